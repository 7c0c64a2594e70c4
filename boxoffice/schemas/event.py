from __future__ import annotations

import uuid
from datetime import date, datetime

from boxoffice.domain.enums import GateKind
from boxoffice.schemas.base import View


class EventView(View):
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    timezone: str
    venue: str | None
    starts_on: date | None
    ends_on: date | None
    created_at: datetime


class CategoryView(View):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    color: str | None


class GateView(View):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    kind: GateKind
    # Names of the categories the gate is limited to; empty means open to all.
    categories: list[str] = []


class TicketView(View):
    id: uuid.UUID
    event_id: uuid.UUID
    category_id: uuid.UUID
    # The category's name, for a list a person reads.
    category: str
    code: str
    holder_name: str | None
    holder_email: str | None
    voided_at: datetime | None
    created_at: datetime
