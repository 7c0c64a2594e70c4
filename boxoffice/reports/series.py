"""Series report: one series from its lifecycle to its last tap."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.reports.data import (
    GateActivity,
    PeakInside,
    activity,
    entered_by_category,
    hour_labels,
    peak_inside,
)
from boxoffice.reports.model import BarChart, Facts, Report, Table
from boxoffice.reports.timefmt import local
from boxoffice.services.actor import Actor
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventSeries,
    Member,
    SeriesStateTransition,
)
from boxoffice.store.queries import assigned_by_category, category_limits
from boxoffice.store.types import utcnow


def reason_words(code: str) -> str:
    """``already_inside`` → "Already inside": a printed report is read by people, not programs."""
    return code.replace("_", " ").capitalize()


def percent(part: int, whole: int | None) -> str:
    if not whole:
        return "–"
    return f"{100 * part / whole:.1f} %"


def peak_words(peak: PeakInside, capacity: int | None, tz: ZoneInfo) -> str:
    """"1,930 of 2,700 (71.5 %) at 2026-12-02 09:40": people inside at once against the capacity."""
    if peak.at is None:
        return "nobody has been inside yet"
    of = f" of {capacity:,} ({percent(peak.peak, capacity)})" if capacity else ""
    return f"{peak.peak:,}{of} at {local(peak.at, tz)}"


def gate_table(name: str, title: str, activity: list[GateActivity], tz: ZoneInfo) -> Table:
    rows: list[list[str | int | None]] = [
        [g.name, g.scans, g.allowed, g.denied,
         local(g.peak_minute, tz), g.peak_scans] for g in activity
    ]
    if activity:
        rows.append(["Total", sum(g.scans for g in activity), sum(g.allowed for g in activity),
                     sum(g.denied for g in activity), "", None])
    return Table(name, title, ["Gate", "Scans", "Allowed", "Denied", "Peak minute", "Scans in it"], rows,
                 numeric=frozenset({1, 2, 3, 5}), has_total=bool(activity))


def throughput_chart(title: str, activity: list[GateActivity], timezone: str) -> BarChart:
    """Scans per local hour, a bar per gate; the x axis says the day once when all hours share it."""
    hours = hour_labels(activity)
    one_day = len({h.date() for h in hours}) <= 1
    labels = [h.strftime("%H:00" if one_day else "%a %H:00") for h in hours]
    day = f" on {hours[0]:%a %d %b %Y}" if hours and one_day else ""
    return BarChart(
        title, labels, [(g.name, [g.hourly.get(h, 0) for h in hours]) for g in activity],
        x_title=f"Hour starting{day} ({timezone})", y_title="Scans in the hour",
    )


def series_blocks(session: Session, dialect: str, series: EventSeries, ev: Event, prefix: str = ""
                  ) -> list[Table | Facts | BarChart]:
    """The series report's blocks; the event report does not use them, the CLI and UI do."""
    tz = ZoneInfo(ev.timezone)
    sid = series.id
    assigned = assigned_by_category(session, sid)
    entered = entered_by_category(session, sid)
    limits = category_limits(session, sid)
    seen, taps = activity(session, dialect, tz, Checkin.series_id == sid)
    peak = peak_inside(session, sid)

    facts = Facts("Summary", [
        ("Event", ev.name),
        ("Lifecycle", series.status.value),
        ("Series runs", f"{local(series.starts_at, tz)} – {local(series.ends_at, tz)}"),
        ("Check-in window", f"{local(series.checkin_opens_at, tz)} – {local(series.checkin_closes_at, tz)}"),
        ("Capacity", f"{series.capacity:,} inside at once"),
        ("Peak inside", peak_words(peak, series.capacity, tz)),
        ("Inside now", f"{peak.now:,}"),
        ("Bands assigned", f"{sum(assigned.values()):,}"),
        ("Unique entries", f"{sum(entered.values()):,} (bands that got in at least once)"),
        ("Total scans", f"{seen.scans:,} ({seen.allowed:,} allowed, {seen.denied:,} denied)"),
    ])
    denials = Table(f"{prefix}denials", "Denials by reason", ["Reason", "Denied", "Share"],
                    [[reason_words(r), n, percent(n, seen.denied)] for r, n in seen.denials.items()],
                    numeric=frozenset({1, 2}), note="" if seen.denials else "No tap was denied.")

    cat_rows: list[list[str | int | None]] = []
    for cid, name in session.execute(
        select(Category.id, Category.name).where(Category.event_id == ev.id).order_by(Category.name)
    ):
        limit = limits.get(cid)
        n_assigned, n_entered = assigned.get(cid, 0), entered.get(cid, 0)
        cat_rows.append([name, limit, n_assigned, n_entered, percent(n_entered, n_assigned)])
    cat_rows.append(["Total", None, sum(assigned.values()), sum(entered.values()),
                     percent(sum(entered.values()), sum(assigned.values()))])
    categories = Table(f"{prefix}categories", "Categories",
                       ["Category", "Limit", "Assigned", "Entered", "Entered %"], cat_rows,
                       numeric=frozenset({1, 2, 3, 4}), has_total=True,
                       note="Entered % is the share of the category's assigned bands that got in at "
                            "least once.")

    gates = gate_table(f"{prefix}gates", "Gates", taps, tz)
    if not taps:
        gates.note = "No tap was recorded at any gate."
    chart = throughput_chart("Scans per hour and gate", taps, ev.timezone)

    member = {m: e for m, e in session.execute(select(Member.id, Member.display_name))}
    history = Table(
        f"{prefix}transitions", "Lifecycle history", ["When", "From", "To", "By", "Why"],
        [[local(t.at, tz), t.from_status.value, t.to_status.value,
          member.get(t.actor_id, "") if t.actor_id else "", t.reason]
         for t in session.scalars(select(SeriesStateTransition)
                                  .where(SeriesStateTransition.series_id == sid)
                                  .order_by(SeriesStateTransition.at))],
        note="",
    )
    if not history.rows:
        history.note = "The series has not changed state since it was created."
    # The picture first: the summary and the chart fill page 1, the tables follow.
    return [facts, chart, gates, categories, denials, history]


def build(session: Session, dialect: str, actor: Actor, series: EventSeries) -> Report:
    ev = session.get_one(Event, series.event_id)
    report = Report("series", f"Series report: {series.name}", f"{series.name} of {ev.name}",
                    ev.timezone, utcnow())
    report.blocks.extend(series_blocks(session, dialect, series, ev))
    return report


def series_ids_of(session: Session, event_id: uuid.UUID) -> list[EventSeries]:
    return list(session.scalars(
        select(EventSeries).where(EventSeries.event_id == event_id).order_by(EventSeries.starts_at)
    ))
