"""Times in the event's time zone, as reports print them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def local(at: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(tz).strftime(fmt)


def from_utc_text(text: str) -> datetime:
    """'YYYY-MM-DD HH:MM' or 'YYYY-MM-DD HH' as grouped in SQL (UTC) back to an aware datetime."""
    if len(text) == 13:
        text += ":00"
    return datetime.fromisoformat(f"{text}:00+00:00")
