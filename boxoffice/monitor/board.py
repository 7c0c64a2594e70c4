"""The gate board: today's scans per gate and minute, folded in one scan at a time.

The board is an aggregate kept up to date incrementally: the first picture
comes from one GROUP BY (``monitor.loader``), every check-in inserted later
is added with ``add_scan``. A late offline scan lands in the minute it
happened, not the minute it arrived, so the past of a chart can still grow.
"Today" is the event's day in its own time zone; scans outside it are counted
as ignored, not added.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from boxoffice.domain.enums import CheckinResult, Direction

#: The window "rate now" and the denial-rate rule look at.
RECENT = timedelta(minutes=5)


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start and end of a local calendar day (23 or 25 hours long on a clock change)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Scan:
    """One check-in as the board needs it (no band, no id)."""

    gate_id: uuid.UUID
    occurred_at: datetime
    result: CheckinResult
    reason: str
    device_id: str
    series_id: uuid.UUID | None = None
    direction: Direction = Direction.IN


@dataclass
class GateLine:
    """One gate's day: allowed and denied per minute, denial reasons, devices, last scan."""

    gate_id: uuid.UUID
    name: str
    allowed: list[int]
    denied: list[int]
    reasons: Counter[str] = field(default_factory=Counter)
    devices: dict[str, datetime] = field(default_factory=dict)
    last_scan: datetime | None = None
    #: Bumped on every change, so a view redraws only the gates that changed.
    version: int = 0

    @property
    def allowed_total(self) -> int:
        return sum(self.allowed)

    @property
    def denied_total(self) -> int:
        return sum(self.denied)

    @property
    def total(self) -> int:
        return self.allowed_total + self.denied_total

    def top_reasons(self, n: int = 3) -> list[tuple[str, int]]:
        return sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


@dataclass(frozen=True)
class CategoryFill:
    category_id: uuid.UUID
    name: str
    entered: int
    limit: int | None


@dataclass(frozen=True)
class SeriesFill:
    """An active series: its window, its gates and how full it is."""

    series_id: uuid.UUID
    name: str
    capacity: int
    opens_at: datetime
    closes_at: datetime
    gate_ids: frozenset[uuid.UUID]
    inside: int = 0
    categories: tuple[CategoryFill, ...] = ()

    def window_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


@dataclass
class GateBoard:
    event_id: uuid.UUID
    event_name: str
    tz: ZoneInfo
    day: date
    gates: dict[uuid.UUID, GateLine]
    series: list[SeriesFill] = field(default_factory=list)
    #: The last check-in (SQLite rowid) already folded in; the loader reads only what follows.
    cursor: int = 0
    #: Scans seen outside today or at a gate not of this event (not added).
    ignored: int = 0

    def __post_init__(self) -> None:
        self.day_start, self.day_end = day_bounds(self.day, self.tz)
        self.minutes = int((self.day_end - self.day_start).total_seconds() // 60)

    @classmethod
    def empty(cls, event_id: uuid.UUID, event_name: str, tz: ZoneInfo, day: date,
              gates: list[tuple[uuid.UUID, str]]) -> GateBoard:
        board = cls(event_id, event_name, tz, day, {})
        for gate_id, name in gates:
            board.gates[gate_id] = GateLine(gate_id, name, [0] * board.minutes, [0] * board.minutes)
        return board

    # ------------------------------------------------------------------ folding in

    def minute_of(self, at: datetime) -> int | None:
        """Index of the minute of today ``at`` falls in, or None outside today."""
        if not self.day_start <= at < self.day_end:
            return None
        return int((at - self.day_start).total_seconds() // 60)

    def add_count(self, gate_id: uuid.UUID, minute: int, result: CheckinResult, n: int) -> bool:
        """Add ``n`` scans to one minute (the loader's GROUP BY rows); False if not on this board."""
        line = self.gates.get(gate_id)
        if line is None or not 0 <= minute < self.minutes:
            self.ignored += n
            return False
        (line.allowed if result is CheckinResult.ALLOWED else line.denied)[minute] += n
        line.version += 1
        return True

    def add_scan(self, scan: Scan) -> bool:
        """Fold one check-in in; False (and counted as ignored) when it is not today's or not ours."""
        minute = self.minute_of(scan.occurred_at)
        line = self.gates.get(scan.gate_id)
        if minute is None or line is None:
            self.ignored += 1
            return False
        if scan.result is CheckinResult.ALLOWED:
            line.allowed[minute] += 1
        else:
            line.denied[minute] += 1
            line.reasons[scan.reason] += 1
        self.see(line, scan.device_id, scan.occurred_at)
        line.version += 1
        return True

    @staticmethod
    def see(line: GateLine, device_id: str, at: datetime) -> None:
        """A device was heard at ``at``: keep the latest contact, and the gate's last scan."""
        seen = line.devices.get(device_id)
        if seen is None or at > seen:
            line.devices[device_id] = at
        if line.last_scan is None or at > line.last_scan:
            line.last_scan = at

    # ------------------------------------------------------------------ reading

    def recent(self, gate_id: uuid.UUID, now: datetime, span: timedelta = RECENT) -> tuple[int, int]:
        """(allowed, denied) over the minutes that overlap [now − span, now]."""
        line = self.gates[gate_id]
        last = self._clamp(now)
        first = self._clamp(now - span + timedelta(microseconds=1))
        if first is None or last is None:
            return 0, 0
        return sum(line.allowed[first:last + 1]), sum(line.denied[first:last + 1])

    def rate_per_minute(self, gate_id: uuid.UUID, now: datetime, span: timedelta = RECENT) -> float:
        allowed, denied = self.recent(gate_id, now, span)
        return (allowed + denied) / (span.total_seconds() / 60)

    def _clamp(self, at: datetime) -> int | None:
        if at < self.day_start:
            return None
        return min(self.minutes - 1, int((at - self.day_start).total_seconds() // 60))

    def minute_starts(self) -> list[datetime]:
        return [self.day_start + timedelta(minutes=i) for i in range(self.minutes)]

    def series_of_gate(self, gate_id: uuid.UUID) -> list[SeriesFill]:
        return [s for s in self.series if gate_id in s.gate_ids]

    def snapshot(self) -> dict[str, object]:
        """Everything the board holds, as plain values: two boards are equal if their snapshots are."""
        return {
            "day": self.day.isoformat(),
            "gates": {
                str(g): {
                    "allowed": {i: n for i, n in enumerate(line.allowed) if n},
                    "denied": {i: n for i, n in enumerate(line.denied) if n},
                    "reasons": dict(line.reasons),
                    "devices": {d: t.isoformat() for d, t in line.devices.items()},
                    "last_scan": line.last_scan.isoformat() if line.last_scan else None,
                }
                for g, line in sorted(self.gates.items(), key=lambda kv: str(kv[0]))
            },
        }
