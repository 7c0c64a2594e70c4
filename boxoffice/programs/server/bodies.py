"""Request bodies of the editing endpoints (PATCH and PUT, and the ticket POST).

Each is the model of the change it makes, as the use case declares it for a
station's push (``services.*Changed*``, ``services.*Fields``), so the API
and the push take the same fields with the same bounds. In a PATCH, a field
left out is left alone; a field sent as ``null`` is cleared where the
model's ``clearable`` says so (a venue, a colour) and refused where it does
not (a name). A PUT sends every field.
"""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from boxoffice.domain.enums import ReentryPolicy
from boxoffice.programs.server.requests import Body, RecurRequest
from boxoffice.schemas.fields import Description, Int32, Name
from boxoffice.services.event_admin import CategoryChangedFields, EventChangedFields, GateEdit
from boxoffice.services.series import SeriesChangedFields
from boxoffice.services.tickets import TicketChangedFields, TicketFields


class EventUpdate(EventChangedFields, Body):
    """``event.update``'s changes."""


class GateUpdate(GateEdit, Body):
    """A gate's edit, its categories by id or name (``gate.update`` carries their ids)."""


class CategoryUpdate(CategoryChangedFields, Body):
    """``category.update``'s changes."""


class TicketCreate(TicketFields, Body):
    """``ticket.create``, its event in the path."""


class TicketUpdate(TicketChangedFields, Body):
    """``ticket.update``'s changes."""


class SeriesReplace(SeriesChangedFields, Body):
    """PUT of a series: ``series.update`` with every field of ``SeriesChangedFields`` required.

    ``description`` null clears it; a check-in bound null means the default
    window, the series' own run. The other fields cannot be null.
    """

    expected_version: int
    name: Name
    description: Description | None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    checkin_opens_at: AwareDatetime | None
    checkin_closes_at: AwareDatetime | None
    capacity: Int32
    reentry_policy: ReentryPolicy


class RecurringCreate(RecurRequest):
    """Children of a series, the parent named in the body."""

    parent_series_id: uuid.UUID
