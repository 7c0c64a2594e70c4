from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import RecurrenceKind, ReentryPolicy, SeriesStatus
from boxoffice.schemas.base import View


class SeriesView(View):
    id: uuid.UUID
    organization_id: uuid.UUID
    event_id: uuid.UUID
    name: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    capacity: int
    status: SeriesStatus
    reentry_policy: ReentryPolicy
    recurrence_kind: RecurrenceKind | None
    recurrence_interval: int | None
    recurrence_weekdays: str | None
    recurrence_count: int | None
    parent_series_id: uuid.UUID | None
    sequence_number: int | None
    version: int


class TransitionView(View):
    from_status: SeriesStatus
    to_status: SeriesStatus
    actor: str | None
    reason: str
    at: datetime


class CategoryLimitView(View):
    category_id: uuid.UUID
    category: str
    limit: int | None
    assigned: int


class SeriesDetail(View):
    series: SeriesView
    event_name: str
    timezone: str
    gates: list[str]
    limits: list[CategoryLimitView]
    assigned_bands: int
    transitions: list[TransitionView]
    children: list[SeriesView]
    parent_name: str | None = None


class SeriesChange(View):
    """A write that went through, with what the person should still hear about."""

    series: SeriesView
    warnings: list[str] = []


class AssignResult(View):
    series_id: uuid.UUID
    assigned: int
    already_assigned: int
    removed: int = 0
    warnings: list[str] = []
