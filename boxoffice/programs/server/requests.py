"""Request bodies of the REST API; responses reuse ``boxoffice.schemas``."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from boxoffice.domain.enums import Direction, RecurrenceKind
from boxoffice.domain.recurrence import RecurrenceRule
from boxoffice.domain.validation import (
    MAX_DEVICE_ID,
    MAX_GATE_CATEGORIES,
    MAX_NAME_LENGTH,
    MAX_NUMBER_BLOCK,
    MAX_SCAN_ID,
    MAX_UID,
    NUMBER_BLOCK,
)
from boxoffice.schemas.member import MemberView
from boxoffice.services.events import CategoryFields, EventFields, GateFields
from boxoffice.services.series import (
    SeriesChangedFields,
    SeriesFields,
    SeriesGatesChange,
    SeriesLimitChange,
    SeriesTransitionFields,
)


class Body(BaseModel):
    # Unknown fields are refused: a typo in a field name must not be silently ignored.
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Body):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=1024)]
    # Which organization's account, when the e-mail has one in several: its id or exact name.
    organization: Annotated[str | None, Field(max_length=120)] = None


class LoginResponse(BaseModel):
    token: str
    token_type: str = "bearer"
    member: MemberView


class EventCreate(EventFields, Body):
    """``event.create``, its id made here."""


class GateCreate(GateFields, Body):
    """A new gate of the event in the path; its categories by id or name (``gate.create`` carries ids)."""

    categories: Annotated[list[Annotated[str, Field(max_length=MAX_NAME_LENGTH)]],
                          Field(max_length=MAX_GATE_CATEGORIES)] = []


class CategoryCreate(CategoryFields, Body):
    """``category.create``, its event in the path."""


class NumberBlockRequest(Body):
    """A station reserving band numbers of a category before it may go offline."""

    size: Annotated[int, Field(ge=1, le=MAX_NUMBER_BLOCK)] = NUMBER_BLOCK
    station: Annotated[str | None, Field(max_length=MAX_NAME_LENGTH)] = None


class SeriesCreate(SeriesFields, Body):
    """``series.create``, its id made here."""


class SeriesUpdate(SeriesChangedFields, Body):
    """The fields a station's pushed edit may change (``series.SeriesChangedFields``), at a version."""

    expected_version: int


class TransitionRequest(SeriesTransitionFields, Body):
    """``series.transition``, at a version if given."""

    expected_version: int | None = None


class GatesRequest(SeriesGatesChange, Body):
    """``series.assign_gates``."""


class LimitRequest(SeriesLimitChange, Body):
    """A category's band limit, as a station pushes it (``series.SeriesLimitChange``)."""


class BandsRequest(Body):
    category_id: uuid.UUID | None = None
    uids: Annotated[list[Annotated[str, Field(max_length=40)]] | None, Field(max_length=200_000)] = None


class RecurRequest(Body):
    kind: RecurrenceKind
    count: int
    interval: int = 1
    weekdays: Annotated[list[int], Field(max_length=7)] = []
    name_pattern: Annotated[str, Field(max_length=200)] = "{name} {n}"

    def rule(self) -> RecurrenceRule:
        """The pattern asked for; an invalid one is refused by the domain (422)."""
        return RecurrenceRule(kind=self.kind, count=self.count, interval=self.interval,
                              weekdays=frozenset(self.weekdays))


class TapRequest(Body):
    """One tap at a gate of a series named elsewhere (the path)."""

    gate_id: uuid.UUID
    # Room for a reader's separators ("04:A2:…"); the UID itself is held to MAX_UID by the service.
    uid: Annotated[str, Field(min_length=1, max_length=3 * MAX_UID)]
    direction: Direction = Direction.IN
    scan_id: Annotated[str, Field(min_length=1, max_length=MAX_SCAN_ID)]
    device_id: Annotated[str | None, Field(max_length=MAX_DEVICE_ID)] = None
    occurred_at: AwareDatetime | None = None
    # The record payload as read off the band, base64: checked against the event's keys
    # (a forged or damaged band is denied bad_signature). Absent for a UID-only reader.
    payload: Annotated[str | None, Field(
        max_length=400, description="The band's NDEF record payload as read, base64 (standard alphabet).",
    )] = None


class VerifyRequest(TapRequest):
    """One tap, the series named in the body."""

    series_id: uuid.UUID


class ProblemBody(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: a stable code and a sentence for a person."""

    error: str
    message: str
    problems: list[ProblemBody] | None = None
    # choose_organization: the organizations the e-mail and password fit.
    organizations: list[str] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Refused"),
        (401, "Not logged in, or the token is not valid"),
        (403, "The caller's role may not do this"),
        (404, "Not found in the caller's organization"),
        (409, "Conflicts with the current state (version, lifecycle, duplicate, limit)"),
        (413, "The request body is too large"),
        (422, "The request is malformed or its values are invalid"),
        (429, "Too many failed logins"),
    )
}
# The login's own 429 says when to try again.
LOGIN_RESPONSES: dict[int | str, dict[str, object]] = {
    409: {"model": ErrorBody,
          "description": "The e-mail and password fit accounts in several organizations: name one"},
    429: {"model": ErrorBody, "description": "Too many failed logins: wait, then try again",
          "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}},
}
