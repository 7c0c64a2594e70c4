"""The queries behind the reports: GROUP BY in SQL, plain values out.

Each function aggregates in the database and hands back a few rows per gate, minute or category,
never one row per check-in: a series with a million taps reports in seconds. Times come back as
UTC minutes or hours (text) and are regrouped into the event's local hours here, because SQLite
has no time zones.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import CheckinResult, Direction
from boxoffice.reports.timefmt import from_utc_text
from boxoffice.store.models import Checkin, Gate, SeriesPresence
from boxoffice.store.queries import utc_minute


@dataclass
class GateActivity:
    gate_id: uuid.UUID
    name: str
    scans: int = 0
    allowed: int = 0
    denied: int = 0
    peak_minute: datetime | None = None
    peak_scans: int = 0
    # Local hour (aware datetime) -> scans.
    hourly: dict[datetime, int] = field(default_factory=lambda: defaultdict(int))
    # Local minute -> scans, kept for the peak-minutes table.
    minutes: dict[datetime, int] = field(default_factory=dict)


@dataclass
class Outcomes:
    allowed: int = 0
    denied: int = 0
    denials: dict[str, int] = field(default_factory=dict)

    @property
    def scans(self) -> int:
        return self.allowed + self.denied


def activity(session: Session, dialect: str, tz: ZoneInfo, *where: ColumnElement[bool],
             keep_minutes: bool = False) -> tuple[Outcomes, list[GateActivity]]:
    """Everything the reports say about taps, from one scan of the check-ins.

    One query grouped by gate, UTC minute, result and reason (a few tens of thousands of groups for
    a million taps); from its rows: allowed, denied and denials by reason overall, and per gate the
    scans, the busiest local minute and the scans per local hour.
    """
    minute = utc_minute(Checkin.occurred_at, dialect)
    seen = Outcomes()
    denials: dict[str, int] = defaultdict(int)
    gates: dict[uuid.UUID, GateActivity] = {}
    per_minute: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    allowed = CheckinResult.ALLOWED
    for gate_id, text, result, reason, n in session.execute(
        select(Checkin.gate_id, minute, Checkin.result, Checkin.reason, func.count()).where(*where)
        # In the order of ix_checkins_series_tally, which covers the query.
        .group_by(Checkin.gate_id, Checkin.result, Checkin.reason, minute)
    ):
        g = gates.get(gate_id)
        if g is None:
            g = gates[gate_id] = GateActivity(gate_id, str(gate_id))
        if result is allowed:
            g.allowed += n
        else:
            g.denied += n
            denials[reason.value] += n
        per_minute[gate_id][text] += n
    if gates:
        for gate_id, name in session.execute(select(Gate.id, Gate.name).where(Gate.id.in_(list(gates)))):
            gates[gate_id].name = name
    for gate_id, g in gates.items():
        g.scans = g.allowed + g.denied
        seen.allowed += g.allowed
        seen.denied += g.denied
        best_text, best = "", -1
        for text, n in per_minute[gate_id].items():
            at = from_utc_text(text).astimezone(tz)
            g.hourly[at.replace(minute=0)] += n
            if keep_minutes:
                g.minutes[at] = n
            if n > best or (n == best and text < best_text):
                best_text, best = text, n
        g.peak_minute = from_utc_text(best_text).astimezone(tz)
        g.peak_scans = best
    seen.denials = dict(sorted(denials.items(), key=lambda kv: (-kv[1], kv[0])))
    return seen, sorted(gates.values(), key=lambda g: g.name.casefold())


@dataclass(frozen=True)
class PeakInside:
    """The most people inside a series at once, when that was, and how many are inside now."""

    peak: int
    at: datetime | None  # UTC, the moment the peak was first reached
    now: int


def peak_inside(session: Session, series_id: uuid.UUID) -> PeakInside:
    """The occupancy curve of a series, from its check-ins, in SQL: its highest point and its end.

    A band is inside after its latest allowed tap (by the tap's time) was an entry: the rule the
    gates keep ``series_presence`` and the occupancy counters by (``services.checkins._moved``), so
    ``now`` equals the gate counts. Each allowed tap that changes its band's presence is a +1 or a
    -1 (its direction against the band's previous allowed tap, by LAG over the band's taps);
    those are summed per instant, and a running sum over the instants is the number inside. One
    sort of the series' allowed taps, whatever the crowd.
    """
    now_in = case((Checkin.direction == Direction.IN, 1), else_=0)
    taps = (
        select(
            Checkin.occurred_at.label("at"),
            now_in.label("now_in"),
            func.coalesce(func.lag(now_in).over(
                partition_by=Checkin.wristband_id,
                order_by=(Checkin.occurred_at, Checkin.recorded_at, Checkin.id)), 0).label("was_in"),
        )
        .where(Checkin.series_id == series_id, Checkin.result == CheckinResult.ALLOWED,
               Checkin.wristband_id.is_not(None))
        .subquery()
    )
    steps = (
        select(taps.c.at, func.sum(taps.c.now_in - taps.c.was_in).label("delta"))
        .where(taps.c.now_in != taps.c.was_in)
        .group_by(taps.c.at)
        .subquery()
    )
    curve = select(steps.c.at, func.sum(steps.c.delta).over(order_by=steps.c.at).label("inside")).subquery()
    top = session.execute(
        select(curve.c.at, curve.c.inside).order_by(curve.c.inside.desc(), curve.c.at).limit(1)
    ).first()
    now = session.scalar(select(func.coalesce(func.sum(steps.c.delta), 0))) or 0
    if top is None or int(top.inside) <= 0:
        return PeakInside(0, None, int(now))
    at = top.at if isinstance(top.at, datetime) else from_utc_text(str(top.at))
    return PeakInside(int(top.inside), at, int(now))


def entered_by_category(session: Session, series_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Distinct bands that got in at least once, per category (series_presence keeps it per band)."""
    return {
        cat: n for cat, n in session.execute(
            select(SeriesPresence.category_id, func.count())
            .where(SeriesPresence.series_id == series_id, SeriesPresence.has_entered.is_(True))
            .group_by(SeriesPresence.category_id)
        )
    }


def hour_labels(activity: list[GateActivity]) -> list[datetime]:
    """Every local hour from the first to the last with a scan at any gate (gaps kept, so the chart's
    x axis is time)."""
    hours = sorted({h for g in activity for h in g.hourly})
    if not hours:
        return []
    out: list[datetime] = []
    at = hours[0]
    while at <= hours[-1] and len(out) < 24 * 31:
        out.append(at)
        # Step in UTC so a DST change neither repeats nor skips an hour.
        at = datetime.fromtimestamp(at.timestamp() + 3600, at.tzinfo)
    return out


def as_dict(rows: Any) -> dict[Any, Any]:
    return {k: v for k, v in rows}
