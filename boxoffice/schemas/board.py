"""The gate board as the server sends it: today's figures per gate, with no person and no device in it.

A viewer's station holds no check-ins (``HOLD`` in the permission table), so
its Gates page asks the server for this instead of reading its own file. One
shape serves the route and the desktop. It carries what the series metrics
already show a viewer (counts per gate and result, denials by reason,
occupancy per series and category), spread over the day's minutes, and each
gate's last scan time; never band ids, UIDs or scanning devices' names.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from boxoffice.schemas.base import View


class GateDay(View):
    gate_id: uuid.UUID
    name: str
    #: (minute of the day, allowed, denied) for each minute with a scan; minute 0 starts at
    #: local midnight of ``GateBoardView.day`` in the event's time zone.
    minutes: list[tuple[int, int, int]]
    denials_by_reason: dict[str, int]
    last_scan: datetime | None


class CategoryFillView(View):
    category_id: uuid.UUID
    name: str
    entered: int
    limit: int | None


class SeriesFillView(View):
    """An active series: its check-in window, its gates and how full it is."""

    series_id: uuid.UUID
    name: str
    capacity: int
    opens_at: datetime
    closes_at: datetime
    gate_ids: list[uuid.UUID]
    inside: int
    categories: list[CategoryFillView]


class GateBoardView(View):
    event_id: uuid.UUID
    event_name: str
    timezone: str
    #: The event's day (in its own time zone) the figures are of.
    day: date
    #: When the server read them: what a station shows as the time of its figures.
    computed_at: datetime
    gates: list[GateDay]
    series: list[SeriesFillView]
