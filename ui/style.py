"""Colours and words the windows share, so a status looks the same on every page."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtGui import QColor

from boxoffice.domain.enums import SeriesStatus

# Status colours chosen to read on light and dark themes; text always accompanies the colour
# (a colour-blind supervisor must not have to tell green from red).
STATUS_COLORS: dict[SeriesStatus, str] = {
    SeriesStatus.DRAFT: "#7F8C8D",
    SeriesStatus.SCHEDULED: "#2E86DE",
    SeriesStatus.ACTIVE: "#27AE60",
    SeriesStatus.COMPLETED: "#8E44AD",
    SeriesStatus.CANCELLED: "#C0392B",
}

STATUS_WORDS: dict[SeriesStatus, str] = {
    SeriesStatus.DRAFT: "Draft",
    SeriesStatus.SCHEDULED: "Scheduled",
    SeriesStatus.ACTIVE: "Active",
    SeriesStatus.COMPLETED: "Completed",
    SeriesStatus.CANCELLED: "Cancelled",
}

# What the lifecycle button says for moving *to* a status.
TRANSITION_VERBS: dict[SeriesStatus, str] = {
    SeriesStatus.SCHEDULED: "Schedule",
    SeriesStatus.ACTIVE: "Activate",
    SeriesStatus.COMPLETED: "Complete",
    SeriesStatus.CANCELLED: "Cancel series",
}

OK_COLOR = "#1E8449"
ERROR_COLOR = "#C0392B"
WARN_COLOR = "#B9770E"


def status_color(status: SeriesStatus) -> QColor:
    return QColor(STATUS_COLORS[status])


def local_text(moment: object, tz: ZoneInfo, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """A UTC instant as the event's wall clock, the way people at the event read it."""
    from datetime import datetime

    if not isinstance(moment, datetime):
        return "-"
    return moment.astimezone(tz).strftime(fmt)
