from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.schemas.base import View


class GateMetrics(View):
    gate_id: uuid.UUID
    gate: str
    scans: int
    allowed: int
    denied: int


class CategoryMetrics(View):
    category_id: uuid.UUID
    category: str
    limit: int | None
    assigned: int
    entered: int


class PeakHour(View):
    # Local wall-clock start of the hour in the event's time zone.
    starts_at_local: datetime
    entries: int


class SeriesMetrics(View):
    series_id: uuid.UUID
    computed_at: datetime
    assigned_bands: int
    unique_entries: int
    inside_now: int
    total_scans: int
    allowed: int
    denied: int
    denials_by_reason: dict[str, int]
    by_gate: list[GateMetrics]
    by_category: list[CategoryMetrics]
    peak_hour: PeakHour | None
