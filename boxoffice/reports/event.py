"""Event report: every series of an event side by side, with totals."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import CheckinResult
from boxoffice.reports.data import as_dict, peak_inside
from boxoffice.reports.model import Facts, Report, Table
from boxoffice.reports.series import percent, series_ids_of
from boxoffice.reports.timefmt import local
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventSeries,
    SeriesCategoryLimit,
    SeriesPresence,
    SeriesWristbandAssignment,
    Wristband,
)
from boxoffice.store.types import utcnow


def build(session: Session, ev: Event) -> Report:
    tz = ZoneInfo(ev.timezone)
    all_series = series_ids_of(session, ev.id)
    in_event = EventSeries.event_id == ev.id
    assigned = as_dict(session.execute(
        select(SeriesWristbandAssignment.series_id, func.count())
        .join(EventSeries, EventSeries.id == SeriesWristbandAssignment.series_id)
        .where(in_event, SeriesWristbandAssignment.active.is_(True))
        .group_by(SeriesWristbandAssignment.series_id)
    ))
    entered = as_dict(session.execute(
        select(SeriesPresence.series_id, func.count())
        .join(EventSeries, EventSeries.id == SeriesPresence.series_id)
        .where(in_event, SeriesPresence.has_entered.is_(True))
        .group_by(SeriesPresence.series_id)
    ))
    allowed: dict[object, int] = {}
    denied: dict[object, int] = {}
    for sid, result, n in session.execute(
        # By series ids rather than event_id: ix_checkins_series_tally then covers the count.
        select(Checkin.series_id, Checkin.result, func.count())
        .where(Checkin.series_id.in_([s.id for s in all_series]))
        .group_by(Checkin.series_id, Checkin.result)
    ):
        (allowed if result is CheckinResult.ALLOWED else denied)[sid] = n

    rows: list[list[str | int | None]] = []
    for s in all_series:
        a, e = assigned.get(s.id, 0), entered.get(s.id, 0)
        ok, no = allowed.get(s.id, 0), denied.get(s.id, 0)
        peak = peak_inside(session, s.id)
        rows.append([s.name, s.status.value, local(s.starts_at, tz), s.capacity, peak.peak,
                     percent(peak.peak, s.capacity), a, e, ok + no, ok, no])
    totals = [sum(int(r[i] or 0) for r in rows) for i in (6, 7, 8, 9, 10)]
    # Capacities and peaks are per series (people inside at once): they do not add up across days.
    rows.append(["Total", "", "", None, None, None, *totals])
    side = Table("series", "Series side by side",
                 ["Series", "Status", "Starts", "Capacity", "Peak inside", "Peak %", "Assigned",
                  "Entered", "Scans", "Allowed", "Denied"], rows,
                 numeric=frozenset(range(3, 11)), has_total=True,
                 note=("Peak inside: the most people inside the series at once (from its entries and "
                       "exits), and as a share of its capacity; Entered: bands that got in at least once.")
                 if all_series else "The event has no series yet.")

    # Per series and category: limit, assigned, entered (three grouped queries, joined here).
    cat_assigned = {(s, c): n for s, c, n in session.execute(
        select(SeriesWristbandAssignment.series_id, Wristband.category_id, func.count())
        .join(Wristband, Wristband.id == SeriesWristbandAssignment.wristband_id)
        .where(Wristband.event_id == ev.id, SeriesWristbandAssignment.active.is_(True))
        .group_by(SeriesWristbandAssignment.series_id, Wristband.category_id)
    )}
    cat_entered = {(s, c): n for s, c, n in session.execute(
        select(SeriesPresence.series_id, SeriesPresence.category_id, func.count())
        .join(EventSeries, EventSeries.id == SeriesPresence.series_id)
        .where(in_event, SeriesPresence.has_entered.is_(True))
        .group_by(SeriesPresence.series_id, SeriesPresence.category_id)
    )}
    limits = {(s, c): n for s, c, n in session.execute(
        select(SeriesCategoryLimit.series_id, SeriesCategoryLimit.category_id, SeriesCategoryLimit.band_limit)
        .join(EventSeries, EventSeries.id == SeriesCategoryLimit.series_id).where(in_event)
    )}
    categories = session.execute(
        select(Category.id, Category.name).where(Category.event_id == ev.id).order_by(Category.name)
    ).all()
    per_cat = Table("series_categories", "Categories per series",
                    ["Series", "Category", "Limit", "Assigned", "Entered", "Entered %"],
                    [[s.name, name, limits.get((s.id, cid)), cat_assigned.get((s.id, cid), 0),
                      cat_entered.get((s.id, cid), 0),
                      percent(cat_entered.get((s.id, cid), 0), cat_assigned.get((s.id, cid), 0))]
                     for s in all_series for cid, name in categories],
                    numeric=frozenset({2, 3, 4, 5}))
    facts = Facts("Summary", [
        ("Event", ev.name),
        ("Venue", ev.venue or "–"),
        ("Time zone", ev.timezone),
        ("Series", f"{len(all_series):,}"),
        ("Entered, all series", f"{totals[1]:,} (a band counts once per series it got into)"),
        ("Total scans", f"{totals[2]:,} ({totals[3]:,} allowed, {totals[4]:,} denied)"),
    ])
    report = Report("event", f"Event report: {ev.name}", ev.name, ev.timezone, utcnow())
    report.blocks.extend([facts, side, per_cat])
    return report
