"""Lists the API hands out a page at a time, and the rows in them.

A page carries ``next_after``: pass it back as ``after`` for the next page;
``None`` means this was the last one. Pages are keyset-paged (the position is
the last row's sort key, not an offset), so a row added or removed while a
client walks the list never makes another row appear twice or go missing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import BandStatus, GateKind, ReentryPolicy, SeriesStatus
from boxoffice.schemas.base import View
from boxoffice.schemas.checkin import CheckinView
from boxoffice.schemas.event import TicketView


class CategoryFigures(View):
    """One category of a series: its limit (``None``: none), bands assigned, bands that came in."""

    category_id: uuid.UUID
    category: str
    limit: int | None
    assigned: int
    entered: int


class SeriesBandView(View):
    wristband_id: uuid.UUID
    uid: str
    category_id: uuid.UUID
    category: str
    number: int | None
    status: BandStatus
    assigned_at: datetime


class SeriesBandChange(View):
    band: SeriesBandView
    # True when the band was on the series already: nothing was changed.
    already_assigned: bool
    warnings: list[str] = []


class BandPage(View):
    items: list[SeriesBandView]
    next_after: str | None


class CheckinPage(View):
    items: list[CheckinView]
    next_after: str | None


class TicketPage(View):
    items: list[TicketView]
    next_after: str | None


class ScannableBand(View):
    """A band a gate may see, with what an offline decision needs to know about it."""

    uid: str
    wristband_id: uuid.UUID
    category_id: uuid.UUID
    category: str
    status: BandStatus
    # Presence when the page was made: for anti-passback while offline.
    inside: bool
    has_entered: bool


class ScannablesPage(View):
    """What a gate handheld caches to decide taps while the server is out of reach.

    The series' window and re-entry policy come with every page, so a
    handheld that fetched only part of the list still decides by the rules
    of the moment it fetched.
    """

    series_id: uuid.UUID
    series_status: SeriesStatus
    gate_id: uuid.UUID
    gate_kind: GateKind
    # Category ids the gate is limited to; empty means open to every category.
    gate_categories: list[uuid.UUID]
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    reentry_policy: ReentryPolicy
    capacity: int
    generated_at: datetime
    items: list[ScannableBand]
    next_after: str | None
