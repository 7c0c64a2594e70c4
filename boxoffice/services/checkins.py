"""Recording a tap at a gate: gather the facts, let the domain decide, keep the result.

The central server's verify endpoint, the desktop lookup and the simulator
all go through ``decide_and_record`` so that one rule set answers everywhere.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
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


def checkin_view(row: Checkin, *, replayed: bool = False) -> CheckinView:
    return CheckinView(
        id=row.id, client_scan_id=row.client_scan_id, series_id=row.series_id,
        gate_id=row.gate_id, wristband_id=row.wristband_id, uid=row.uid,
        direction=row.direction, result=row.result, reason=row.reason,
        message=Decision(row.result is CheckinResult.ALLOWED, row.reason).message,
        device_id=row.device_id, occurred_at=row.occurred_at, replayed=replayed,
    )


@dataclass(frozen=True)
class _BandFacts:
    band: Wristband | None
    assigned: bool = False
    inside: bool = False
    entered: bool = False
    category_limit: int | None = None


def _band_facts(session: Session, series: EventSeries, uid: str) -> _BandFacts:
    """The band, its assignment, presence and category limit in one statement.

    One joined query instead of four lookups: a verify is mostly the ORM's
    per-statement cost. On PostgreSQL the band's row is locked first, in a
    statement of its own, so concurrent taps of one band wait for each other
    and the joined read after the wait sees the presence the other tap left
    (a lock taken inside the joined query would return the presence as it
    was before the wait). SQLite writers are serialised by BEGIN IMMEDIATE.
    """
    sid = series.id
    if session.get_bind().dialect.name != "sqlite":
        session.execute(
            select(Wristband.id)
            .where(Wristband.event_id == series.event_id, Wristband.uid == uid)
            .with_for_update()
        ).all()
    row = session.execute(
        select(Wristband, SeriesWristbandAssignment.id, SeriesPresence,
               SeriesCategoryLimit.band_limit)
        .outerjoin(SeriesWristbandAssignment, and_(
            SeriesWristbandAssignment.series_id == sid,
            SeriesWristbandAssignment.wristband_id == Wristband.id,
            SeriesWristbandAssignment.active.is_(True),
        ))
        .outerjoin(SeriesPresence, and_(
            SeriesPresence.series_id == sid, SeriesPresence.wristband_id == Wristband.id,
        ))
        .outerjoin(SeriesCategoryLimit, and_(
            SeriesCategoryLimit.series_id == sid,
            SeriesCategoryLimit.category_id == Wristband.category_id,
        ))
        .where(Wristband.event_id == series.event_id, Wristband.uid == uid)
    ).first()
    if row is None:
        return _BandFacts(None)
    band, assignment_id, presence, limit = row
    return _BandFacts(
        band=band,
        assigned=assignment_id is not None,
        inside=bool(presence and presence.inside),
        entered=bool(presence and presence.has_entered),
        category_limit=limit,
    )


def gather_facts(
    session: Session,
    series: EventSeries,
    gate: Gate,
    band: Wristband | None,
    direction: Direction,
    now: datetime,
    signature_valid: bool | None,
    *,
    gate_in_series: bool | None = None,
    band_facts: _BandFacts | None = None,
) -> AccessFacts:
    sid = series.id
    if gate_in_series is None:
        gate_in_series = session.get(SeriesGate, (sid, gate.id)) is not None
    gate_categories = frozenset(
        session.scalars(select(GateCategory.category_id).where(GateCategory.gate_id == gate.id))
    )
    if band_facts is None:
        band_facts = _band_facts(session, series, band.uid) if band is not None else _BandFacts(None)
    inside, category_limit = band_facts.inside, band_facts.category_limit
    # The counts cost a scan of the series' presence: only an entry that got
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
        band_assigned=band_facts.assigned,
        gate_kind=gate.kind,
        gate_in_series=gate_in_series,
        gate_categories=gate_categories,
        band_inside=inside,
        band_has_entered=band_facts.entered,
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
    gate_in_series: bool | None = None,
) -> tuple[CheckinView, bool]:
    """Decide one tap and store it; a known ``client_scan_id`` returns the stored answer.

    Returns the check-in and whether it was new.
    """
    previous = session.scalar(select(Checkin).where(Checkin.client_scan_id == client_scan_id))
    if previous is not None:
        return checkin_view(previous, replayed=True), False
    uid = refs.normalize_uid(uid)
    facts_of_band = _band_facts(session, series, uid)
    band = facts_of_band.band
    facts = gather_facts(session, series, gate, band, direction, now, signature_valid,
                         gate_in_series=gate_in_series, band_facts=facts_of_band)
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
    return checkin_view(row), True


def _series_and_gate(
    session: Session, actor: Actor, series_ref: str, gate_ref: str
) -> tuple[EventSeries, Gate, bool]:
    """The series, the gate and whether the gate serves the series, in one statement for ids."""
    sid, gid = refs.as_uuid(series_ref), refs.as_uuid(gate_ref)
    if sid is not None and gid is not None:
        row = session.execute(
            select(EventSeries, Gate, SeriesGate.gate_id)
            .join(Gate, and_(Gate.id == gid, Gate.event_id == EventSeries.event_id))
            .outerjoin(SeriesGate, and_(SeriesGate.series_id == EventSeries.id,
                                        SeriesGate.gate_id == Gate.id))
            .where(EventSeries.id == sid, EventSeries.organization_id == actor.organization_id)
        ).first()
        if row is not None:
            return row[0], row[1], row[2] is not None
    # Names, or something not found: the lookups that say precisely what is wrong.
    series = refs.series(session, actor, series_ref)
    ev = session.get_one(Event, series.event_id)
    gate = refs.gate(session, actor, ev, gate_ref)
    return series, gate, session.get(SeriesGate, (series.id, gate.id)) is not None


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
        series, gate, gate_in_series = _series_and_gate(session, actor, series_ref, gate_ref)
        view, new = decide_and_record(
            session, series, gate, uid, direction,
            client_scan_id=client_scan_id or str(uuid.uuid4()),
            device_id=device_id, now=now or utcnow(), gate_in_series=gate_in_series,
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
