"""What a gate handheld keeps to decide taps on its own when the network is gone.

For one gate and one series: every band assigned to the series that the
gate may let through (its category is allowed there), with its status and
presence, a page at a time, and with each page the series' window and
re-entry policy. Exits skip the category check (people must be able to
leave), so an exit-only gate gets every assigned band.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import and_, select

from boxoffice.domain.enums import GateKind
from boxoffice.domain.permissions import Action
from boxoffice.errors import ValidationError
from boxoffice.schemas.pages import ScannableBand, ScannablesPage
from boxoffice.services import paging, refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Gate,
    GateCategory,
    SeriesGate,
    SeriesPresence,
    SeriesWristbandAssignment,
    Wristband,
)
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_PAGE = "scannables"
# A handheld fetches its whole list before the doors open; big pages mean few round trips.
MAX_LIMIT = 5000


def gate_scannables(
    store: Store,
    actor: Actor,
    gate_id: uuid.UUID,
    series_ref: str,
    *,
    limit: int = 1000,
    after: str | None = None,
) -> ScannablesPage:
    actor.require(Action.VIEW_SCANNABLES)
    paging.check_limit(limit, MAX_LIMIT)
    after_uid = paging.decode(after, _PAGE, 1)[0] if after else None
    with store.read() as session:
        gate, ev = refs.by_id(session, actor, Gate, "gate", gate_id)
        series = refs.series(session, actor, series_ref, ev)
        if session.get(SeriesGate, (series.id, gate.id)) is None:
            raise ValidationError.single(
                "gate_id", f"{gate.name} is not a gate of {series.name}; assign it to the series first."
            )
        allowed = sorted(
            session.scalars(select(GateCategory.category_id).where(GateCategory.gate_id == gate.id)),
            key=str,
        )
        query = (
            select(Wristband.uid, Wristband.id, Wristband.category_id, Category.name, Wristband.status,
                   SeriesPresence.inside, SeriesPresence.has_entered)
            .join(SeriesWristbandAssignment, and_(
                SeriesWristbandAssignment.wristband_id == Wristband.id,
                SeriesWristbandAssignment.series_id == series.id,
                SeriesWristbandAssignment.active.is_(True),
            ))
            .join(Category, Category.id == Wristband.category_id)
            .outerjoin(SeriesPresence, and_(
                SeriesPresence.series_id == series.id, SeriesPresence.wristband_id == Wristband.id,
            ))
        )
        if allowed and gate.kind is not GateKind.EXIT:
            query = query.where(Wristband.category_id.in_(allowed))
        if after_uid is not None:
            query = query.where(Wristband.uid > after_uid)
        rows = session.execute(query.order_by(Wristband.uid).limit(limit + 1)).all()
        items = [
            ScannableBand(uid=uid, wristband_id=band_id, category_id=cat_id, category=cat, status=status,
                          inside=bool(inside), has_entered=bool(entered))
            for uid, band_id, cat_id, cat, status, inside, entered in rows[:limit]
        ]
        page = ScannablesPage(
            series_id=series.id, series_status=series.status, gate_id=gate.id, gate_kind=gate.kind,
            gate_categories=allowed, starts_at=series.starts_at, ends_at=series.ends_at,
            checkin_opens_at=series.checkin_opens_at, checkin_closes_at=series.checkin_closes_at,
            reentry_policy=series.reentry_policy, capacity=series.capacity, generated_at=utcnow(),
            items=items,
            next_after=paging.encode(_PAGE, items[-1].uid) if len(rows) > limit else None,
        )
    log.debug("gate %s fetched %d scannable bands of %s", gate.name, len(items), series.name)
    return page
