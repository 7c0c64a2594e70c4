"""The bounded field types a pushed change and the API's request body share.

Each bound is its column's (``domain.validation``). A change's model is
built from these, and the REST body describing the same change reuses that
model, so a station's push and an HTTP client are refused the same values
before any use case runs; the use case then checks what a type cannot say
(blank names, control characters, a known time zone).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from boxoffice.domain.validation import (
    INTEGER_RANGE,
    MAX_COLOR,
    MAX_DESCRIPTION,
    MAX_EMAIL,
    MAX_HOLDER_NAME,
    MAX_NAME_LENGTH,
    MAX_TICKET_CODE,
    MAX_TIMEZONE,
    MAX_TRANSITION_REASON,
    MAX_VENUE,
)

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]
# What a ``Mapped[int]`` column holds on both databases (a capacity, a limit).
Int32 = Annotated[int, Field(ge=INTEGER_RANGE[0], le=INTEGER_RANGE[1])]
TimezoneName = Annotated[str, Field(max_length=MAX_TIMEZONE)]
Venue = Annotated[str, Field(max_length=MAX_VENUE)]
Color = Annotated[str, Field(max_length=MAX_COLOR)]
TicketCode = Annotated[str, Field(min_length=1, max_length=MAX_TICKET_CODE)]
HolderName = Annotated[str, Field(max_length=MAX_HOLDER_NAME)]
Email = Annotated[str, Field(max_length=MAX_EMAIL)]
TransitionReason = Annotated[str, Field(max_length=MAX_TRANSITION_REASON)]
