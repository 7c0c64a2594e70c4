"""Gate throughput report: per gate and hour, peak minutes, devices."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import CheckinResult
from boxoffice.reports.data import activity as taps
from boxoffice.reports.data import hour_labels
from boxoffice.reports.model import Facts, Report, Table
from boxoffice.reports.series import gate_table, throughput_chart
from boxoffice.reports.timefmt import local
from boxoffice.store.models import Checkin, Event, EventSeries, Gate
from boxoffice.store.types import utcnow

PEAKS_PER_GATE = 5


def build(session: Session, dialect: str, ev: Event, series: EventSeries | None = None) -> Report:
    tz = ZoneInfo(ev.timezone)
    # By series ids rather than event_id: ix_checkins_series_tally then covers the tally.
    ids = [series.id] if series is not None else list(
        session.scalars(select(EventSeries.id).where(EventSeries.event_id == ev.id)))
    where: list[ColumnElement[bool]] = [Checkin.series_id.in_(ids)]
    _, activity = taps(session, dialect, tz, *where, keep_minutes=True)
    scope = f"{series.name} of {ev.name}" if series is not None else ev.name

    hours = hour_labels(activity)
    hourly = Table("hourly", "Scans per gate and hour", ["Gate", "Hour", "Scans"],
                   [[g.name, h.strftime("%Y-%m-%d %H:00"), g.hourly[h]]
                    for g in activity for h in hours if g.hourly.get(h)],
                   numeric=frozenset({2}))
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
    report.blocks.extend([facts, gate_table("gates", "Gates", activity, tz),
                          throughput_chart("Scans per hour and gate", activity), hourly, peaks, devices])
    return report
