"""Instants that keep tests true at every hour of the day.

The festival the demo seeds starts ten hours before its ``now``, so seeded
with the wall clock between midnight and ten in the morning its taps span
two days, and "twenty minutes ago" can be yesterday. Tests whose assertions
are about one day seed at a fixed evening, or clamp "earlier" to today.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Nine in the evening in Amsterdam on a festival day: the demo's Day 1 (from 11:00) lies within it.
FESTIVAL_EVENING = datetime(2026, 7, 10, 19, 0, tzinfo=UTC)


def evening_today(timezone: str, now: datetime | None = None) -> datetime:
    """Nine in the evening of today's local date: a seed at it keeps Day 1 inside today."""
    tz = ZoneInfo(timezone)
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    return datetime.combine(today, time(21, 0), tzinfo=tz).astimezone(UTC)


def earlier_today(minutes: int, timezone: str, now: datetime | None = None) -> datetime:
    """``minutes`` before ``now``, but never before today's local midnight (so it stays on today's board)."""
    now = now or datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(ZoneInfo(timezone)).date(), time(0), tzinfo=ZoneInfo(timezone))
    return max(now - timedelta(minutes=minutes), midnight.astimezone(UTC))
