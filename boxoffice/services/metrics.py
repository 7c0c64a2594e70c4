"""Series metrics, cached for five minutes because the full picture costs a scan."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import CheckinResult, Direction
from boxoffice.domain.permissions import Action
from boxoffice.schemas.metrics import CategoryMetrics, GateMetrics, PeakHour, SeriesMetrics
from boxoffice.services import occupancy, refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventSeries,
    Gate,
    SeriesMetricsCache,
    SeriesPresence,
)
from boxoffice.store.queries import (
    assigned_by_category,
    category_limits,
    quarter_hour,
)
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

CACHE_TTL = timedelta(minutes=5)


def series_metrics(
    store: Store,
    actor: Actor,
    series_ref: str,
    *,
    fresh: bool = False,
    now: datetime | None = None,
) -> SeriesMetrics:
    """The cached metrics if younger than five minutes, else computed now and cached."""
    actor.require(Action.VIEW_METRICS)
    now = now or utcnow()
    with store.read() as session:
        series = refs.series(session, actor, series_ref)
        series_id = series.id
        if not fresh:
            cached = session.get(SeriesMetricsCache, series_id)
            if cached is not None and now - cached.computed_at < CACHE_TTL:
                return SeriesMetrics.model_validate(cached.data)
        metrics = compute_metrics(session, series, now, store.read_engine.dialect.name)
    with store.write() as session:
        row = session.get(SeriesMetricsCache, series_id)
        data = metrics.model_dump(mode="json")
        if row is None:
            session.add(SeriesMetricsCache(series_id=series_id, computed_at=now, data=data))
        else:
            row.computed_at, row.data = now, data
    return metrics


def compute_metrics(
    session: Session, series: EventSeries, now: datetime, dialect: str
) -> SeriesMetrics:
    sid = series.id
    assigned_by_cat = assigned_by_category(session, sid)

    totals: dict[str, int] = defaultdict(int)
    denials: dict[str, int] = {}
    for result, reason, n in session.execute(
        select(Checkin.result, Checkin.reason, func.count())
        .where(Checkin.series_id == sid)
        .group_by(Checkin.result, Checkin.reason)
    ):
        totals[result.value] += n
        if result is CheckinResult.DENIED:
            denials[reason.value] = n

    gate_counts: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for gate_id, result, n in session.execute(
        select(Checkin.gate_id, Checkin.result, func.count())
        .where(Checkin.series_id == sid)
        .group_by(Checkin.gate_id, Checkin.result)
    ):
        gate_counts[gate_id][result.value] += n
    gate_names = dict(
        session.execute(
            select(Gate.id, Gate.name).where(Gate.id.in_(list(gate_counts)))
        ).all()
    ) if gate_counts else {}
    by_gate = sorted(
        (
            GateMetrics(
                gate_id=g, gate=gate_names.get(g, str(g)),
                scans=c["allowed"] + c["denied"], allowed=c["allowed"], denied=c["denied"],
            )
            for g, c in gate_counts.items()
        ),
        key=lambda m: m.gate,
    )

    # series_presence holds each band's category and whether it ever got in,
    # so the distinct count needs neither the check-ins nor the wristbands.
    entered_by_cat: dict[uuid.UUID, int] = dict(
        session.execute(
            select(SeriesPresence.category_id, func.count())
            .where(SeriesPresence.series_id == sid, SeriesPresence.has_entered.is_(True))
            .group_by(SeriesPresence.category_id)
        ).all()
    )
    limits = category_limits(session, sid)
    categories = session.execute(
        select(Category.id, Category.name)
        .where(Category.event_id == series.event_id)
        .order_by(Category.name)
    ).all()
    by_category = [
        CategoryMetrics(
            category_id=cid, category=name, limit=limits.get(cid),
            assigned=assigned_by_cat.get(cid, 0), entered=entered_by_cat.get(cid, 0),
        )
        for cid, name in categories
    ]

    tz = ZoneInfo(session.get_one(Event, series.event_id).timezone)
    return SeriesMetrics(
        series_id=sid,
        computed_at=now,
        assigned_bands=sum(assigned_by_cat.values()),
        unique_entries=sum(entered_by_cat.values()),
        inside_now=occupancy.inside(session, sid),
        total_scans=totals["allowed"] + totals["denied"],
        allowed=totals["allowed"],
        denied=totals["denied"],
        denials_by_reason=dict(sorted(denials.items(), key=lambda kv: (-kv[1], kv[0]))),
        by_gate=by_gate,
        by_category=by_category,
        peak_hour=_peak_hour(session, sid, tz, dialect),
    )


def _peak_hour(session: Session, series_id: uuid.UUID, tz: ZoneInfo, dialect: str) -> PeakHour | None:
    hour, quarter = quarter_hour(Checkin.occurred_at, dialect)
    per_local_hour: dict[datetime, int] = defaultdict(int)
    for hour_text, q, n in session.execute(
        select(hour, quarter, func.count())
        .where(
            Checkin.series_id == series_id,
            Checkin.result == CheckinResult.ALLOWED,
            Checkin.direction == Direction.IN,
        )
        .group_by(hour, quarter)
    ):
        utc_start = datetime.strptime(f"{hour_text}:{int(q) * 15:02d}+0000", "%Y-%m-%d %H:%M%z")
        local = utc_start.astimezone(tz)
        per_local_hour[local.replace(minute=0)] += n
    if not per_local_hour:
        return None
    start, entries = max(per_local_hour.items(), key=lambda kv: (kv[1], -kv[0].timestamp()))
    return PeakHour(starts_at_local=start, entries=entries)
