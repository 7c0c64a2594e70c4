"""Gate throughput report: per gate and hour, peak minutes, devices."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import CheckinResult
from boxoffice.reports.data import GateActivity, hour_labels
from boxoffice.reports.data import activity as taps
from boxoffice.reports.model import Facts, Report, Table
from boxoffice.reports.series import gate_table, throughput_chart
from boxoffice.reports.timefmt import local
from boxoffice.store.models import Checkin, Event, EventSeries, Gate
from boxoffice.store.types import utcnow

PEAKS_PER_GATE = 5
PIVOT_GATES = 8  # up to this many gates, the hourly table has a column per gate


def build(session: Session, dialect: str, ev: Event, series: EventSeries | None = None) -> Report:
    tz = ZoneInfo(ev.timezone)
    # By series ids rather than event_id: ix_checkins_series_tally then covers the tally.
    ids = [series.id] if series is not None else list(
        session.scalars(select(EventSeries.id).where(EventSeries.event_id == ev.id)))
    where: list[ColumnElement[bool]] = [Checkin.series_id.in_(ids)]
    _, activity = taps(session, dialect, tz, *where, keep_minutes=True)
    scope = f"{series.name} of {ev.name}" if series is not None else ev.name

    hours = hour_labels(activity)
    hourly = hourly_table(activity, hours)
    peaks = Table("peak_minutes", f"Busiest {PEAKS_PER_GATE} minutes of each gate",
                  ["Gate", "Minute", "Scans"],
                  [[g.name, local(at, tz), n]
                   for g in activity
                   for at, n in sorted(g.minutes.items(), key=lambda kv: (-kv[1], kv[0]))[:PEAKS_PER_GATE]],
                  numeric=frozenset({2}))
    allowed = func.count().filter(Checkin.result == CheckinResult.ALLOWED)
    devices = Table(
        "devices", "Devices", ["Gate", "Device", "Scans", "Allowed", "First scan", "Last scan"],
        [[gate, device, n, int(ok or 0), local(first, tz), local(last, tz)]
         for gate, device, n, ok, first, last in session.execute(
             select(Gate.name, Checkin.device_id, func.count(), allowed,
                    func.min(Checkin.occurred_at), func.max(Checkin.occurred_at))
             .join(Gate, Gate.id == Checkin.gate_id).where(*where)
             .group_by(Gate.name, Checkin.device_id).order_by(Gate.name, Checkin.device_id)
         )],
        numeric=frozenset({2, 3}),
    )
    for table in (hourly, peaks, devices):
        if not table.rows:
            table.note = "No tap was recorded."
    facts = Facts("Summary", [
        ("Scope", scope),
        ("Gates with taps", f"{len(activity):,}"),
        ("Hours covered", f"{len(hours):,}"),
        ("Total scans", f"{sum(g.scans for g in activity):,}"),
    ])
    report = Report("gates", f"Gate throughput: {scope}", scope, ev.timezone, utcnow())
    chart = throughput_chart("Scans per hour and gate", activity, ev.timezone)
    report.blocks.extend([facts, chart, gate_table("gates", "Gates", activity, tz), hourly, peaks, devices])
    return report


def hourly_table(activity: list[GateActivity], hours: list[datetime]) -> Table:
    """Scans per hour: an hour a row and a gate a column (a page, where a list of gate-hours took two);
    with more gates than fit across a page, a gate-hour a row."""
    if len(activity) > PIVOT_GATES:
        return Table("hourly", "Scans per gate and hour", ["Gate", "Hour", "Scans"],
                     [[g.name, h.strftime("%Y-%m-%d %H:00"), g.hourly[h]]
                      for g in activity for h in hours if g.hourly.get(h)],
                     numeric=frozenset({2}))
    rows: list[list[str | int | None]] = [
        [h.strftime("%Y-%m-%d %H:00"), *(g.hourly.get(h, 0) for g in activity),
         sum(g.hourly.get(h, 0) for g in activity)]
        for h in hours
    ]
    if rows:
        rows.append(["Total", *(g.scans for g in activity), sum(g.scans for g in activity)])
    return Table("hourly", "Scans per hour and gate", ["Hour", *(g.name for g in activity), "All gates"],
                 rows, numeric=frozenset(range(1, len(activity) + 2)), has_total=bool(rows))
