"""Request bodies of the editing endpoints (PATCH and PUT, and the ticket POST).

In a PATCH, a field left out is left alone; a field sent as ``null`` is
cleared where clearing makes sense (a venue, a colour) and refused where it
does not (a name). A PUT sends every field.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, Field

from boxoffice.domain.enums import GateKind, ReentryPolicy
from boxoffice.programs.server.requests import Body, Capacity, Description, Name, RecurRequest

Email = Annotated[str, Field(max_length=254)]


class EventUpdate(Body):
    name: Name | None = None
    timezone: Annotated[str | None, Field(max_length=64)] = None
    venue: Annotated[str | None, Field(max_length=200)] = None
    starts_on: date | None = None
    ends_on: date | None = None


class GateUpdate(Body):
    name: Name | None = None
    kind: GateKind | None = None
    # Category ids or names; an empty list opens the gate to every category.
    categories: Annotated[list[Annotated[str, Field(max_length=120)]] | None, Field(max_length=100)] = None


class CategoryUpdate(Body):
    name: Name | None = None
    color: Annotated[str | None, Field(max_length=7)] = None


class TicketCreate(Body):
    code: Annotated[str, Field(min_length=1, max_length=64)]
    category_id: uuid.UUID
    holder_name: Annotated[str | None, Field(max_length=200)] = None
    holder_email: Email | None = None


class TicketUpdate(Body):
    code: Annotated[str | None, Field(min_length=1, max_length=64)] = None
    category_id: uuid.UUID | None = None
    holder_name: Annotated[str | None, Field(max_length=200)] = None
    holder_email: Email | None = None
    voided: bool | None = None


class SeriesReplace(Body):
    """PUT of a series: every editable field is required (``services.series.EDITABLE_FIELDS``).

    ``description`` null clears it; a check-in bound null means the default
    window, the series' own run.
    """

    expected_version: int
    name: Name
    description: Description
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    checkin_opens_at: AwareDatetime | None
    checkin_closes_at: AwareDatetime | None
    capacity: Capacity
    reentry_policy: ReentryPolicy


class RecurringCreate(RecurRequest):
    """Children of a series, the parent named in the body."""

    parent_series_id: uuid.UUID
