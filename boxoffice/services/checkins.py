"""Recording a tap at a gate: gather the facts, let the domain decide, keep the result.

The central server's verify endpoint, the desktop lookup and the simulator
all go through ``decide_and_record`` so that one rule set answers everywhere.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boxoffice.domain.access import AccessFacts, Decision, decide
from boxoffice.domain.enums import CheckinResult, Direction
from boxoffice.domain.permissions import Action
from boxoffice.schemas.checkin import CheckinView
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Checkin,
    Event,
    EventSeries,
    Gate,
    GateCategory,
    SeriesCategoryLimit,
    SeriesGate,
    SeriesPresence,
    SeriesWristbandAssignment,
    Wristband,
)
from boxoffice.store.queries import inside_count
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


def _view(row: Checkin, *, replayed: bool = False) -> CheckinView:
    return CheckinView(
        id=row.id, client_scan_id=row.client_scan_id, series_id=row.series_id,
        gate_id=row.gate_id, wristband_id=row.wristband_id, uid=row.uid,
        direction=row.direction, result=row.result, reason=row.reason,
        message=Decision(row.result is CheckinResult.ALLOWED, row.reason).message,
        device_id=row.device_id, occurred_at=row.occurred_at, replayed=replayed,
    )


def gather_facts(
    session: Session,
    series: EventSeries,
    gate: Gate,
    band: Wristband | None,
    direction: Direction,
    now: datetime,
    signature_valid: bool | None,
) -> AccessFacts:
    sid = series.id
    gate_in_series = session.get(SeriesGate, (sid, gate.id)) is not None
    gate_categories = frozenset(
        session.scalars(select(GateCategory.category_id).where(GateCategory.gate_id == gate.id))
    )
    assigned = inside = entered = False
    category_limit: int | None = None
    if band is not None:
        assigned = bool(
            session.scalar(
                select(func.count()).select_from(SeriesWristbandAssignment).where(
                    SeriesWristbandAssignment.series_id == sid,
                    SeriesWristbandAssignment.wristband_id == band.id,
                    SeriesWristbandAssignment.active.is_(True),
                )
            )
        )
        presence = session.get(SeriesPresence, (sid, band.id))
        if presence is not None:
            inside, entered = presence.inside, presence.has_entered
        limit_row = session.get(SeriesCategoryLimit, (sid, band.category_id))
        category_limit = limit_row.band_limit if limit_row else None
    # The counts cost a scan of the series' check-ins: only an entry that got
    # this far needs them.
    needs_counts = band is not None and direction is Direction.IN and not inside
    return AccessFacts(
        direction=direction,
        now=now,
        band_status=band.status if band else None,
        band_event_id=band.event_id if band else None,
        band_category_id=band.category_id if band else None,
        signature_valid=signature_valid,
        series_event_id=series.event_id,
        series_status=series.status,
        checkin_opens_at=series.checkin_opens_at,
        checkin_closes_at=series.checkin_closes_at,
        capacity=series.capacity,
        reentry_policy=series.reentry_policy,
        band_assigned=assigned,
        gate_kind=gate.kind,
        gate_in_series=gate_in_series,
        gate_categories=gate_categories,
        band_inside=inside,
        band_has_entered=entered,
        occupancy=inside_count(session, sid, None) if needs_counts else 0,
        category_inside=(
            inside_count(session, sid, band.category_id)
            if needs_counts and band is not None and category_limit is not None
            else 0
        ),
        category_limit=category_limit,
    )


def decide_and_record(
    session: Session,
    series: EventSeries,
    gate: Gate,
    uid: str,
    direction: Direction,
    *,
    client_scan_id: str,
    device_id: str,
    now: datetime,
    signature_valid: bool | None = None,
) -> tuple[CheckinView, bool]:
    """Decide one tap and store it; a known ``client_scan_id`` returns the stored answer.

    Returns the check-in and whether it was new.
    """
    previous = session.scalar(select(Checkin).where(Checkin.client_scan_id == client_scan_id))
    if previous is not None:
        return _view(previous, replayed=True), False
    uid = refs.normalize_uid(uid)
    # FOR UPDATE makes concurrent taps of one band wait for each other on
    # PostgreSQL (SQLite writers are already serialised by BEGIN IMMEDIATE).
    band = session.scalar(
        select(Wristband)
        .where(Wristband.event_id == series.event_id, Wristband.uid == uid)
        .with_for_update()
    )
    facts = gather_facts(session, series, gate, band, direction, now, signature_valid)
    decision = decide(facts)
    row = Checkin(
        client_scan_id=client_scan_id,
        event_id=series.event_id,
        series_id=series.id,
        gate_id=gate.id,
        wristband_id=band.id if band else None,
        uid=uid,
        direction=direction,
        result=CheckinResult.ALLOWED if decision.allowed else CheckinResult.DENIED,
        reason=decision.reason,
        device_id=device_id,
        occurred_at=now,
    )
    session.add(row)
    if decision.allowed and band is not None:
        _move(session, series.id, band, direction, now)
    session.flush()
    return _view(row), True


def _move(session: Session, series_id: uuid.UUID, band: Wristband, direction: Direction,
          at: datetime) -> None:
    presence = session.get(SeriesPresence, (series_id, band.id))
    inside = direction is Direction.IN
    if presence is None:
        session.add(SeriesPresence(series_id=series_id, wristband_id=band.id,
                                   category_id=band.category_id, inside=inside,
                                   has_entered=inside, last_scan_at=at))
        return
    presence.has_entered = presence.has_entered or inside
    if at >= presence.last_scan_at:
        presence.inside, presence.last_scan_at = inside, at


def record_tap(
    store: Store,
    actor: Actor,
    series_ref: str,
    gate_ref: str,
    uid: str,
    direction: Direction,
    *,
    client_scan_id: str | None = None,
    device_id: str = "desktop",
    now: datetime | None = None,
) -> CheckinView:
    actor.require(Action.VERIFY)
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        ev = session.get_one(Event, series.event_id)
        gate = refs.gate(session, actor, ev, gate_ref)
        view, new = decide_and_record(
            session, series, gate, uid, direction,
            client_scan_id=client_scan_id or str(uuid.uuid4()),
            device_id=device_id, now=now or utcnow(),
        )
        if new:
            outbox.record(session, actor, "checkin.record", view.id, view.model_dump())
        log.info("tap %s at %s: %s (%s)", view.uid, gate.name, view.result, view.reason)
        return view


def import_checkin(store: Store, actor: Actor, tap: CheckinView) -> bool:
    """Keep a tap a station decided offline, as it was decided: the person is through the gate.

    Re-deciding it here could turn an admitted person into a denial after the
    fact; what the server owes the others is the presence it implies. A scan
    id already known is left alone. Returns whether the tap was new.
    """
    actor.require(Action.VERIFY)
    with store.write() as session:
        if session.scalar(select(Checkin.id).where(Checkin.client_scan_id == tap.client_scan_id)):
            return False
        series = refs.series(session, actor, str(tap.series_id))
        ev = session.get_one(Event, series.event_id)
        gate = refs.gate(session, actor, ev, str(tap.gate_id))
        uid = refs.normalize_uid(tap.uid) if tap.uid else None
        band = None
        if uid:
            band = session.scalar(
                select(Wristband)
                .where(Wristband.event_id == series.event_id, Wristband.uid == uid)
                .with_for_update()
            )
        session.add(Checkin(
            id=tap.id, client_scan_id=tap.client_scan_id, event_id=series.event_id,
            series_id=series.id, gate_id=gate.id, wristband_id=band.id if band else None, uid=uid,
            direction=tap.direction, result=tap.result, reason=tap.reason, device_id=tap.device_id,
            occurred_at=tap.occurred_at,
        ))
        if tap.result is CheckinResult.ALLOWED and band is not None:
            _move(session, series.id, band, tap.direction, tap.occurred_at)
        session.flush()
        return True
