"""Recording a tap at a gate: gather the facts, let the domain decide, keep the result.

The central server's verify endpoint, the desktop lookup and the simulator
all go through ``decide_and_record`` so that one rule set answers everywhere.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, exists, func, insert, select, update
from sqlalchemy.orm import Session

from boxoffice.domain.access import AccessFacts, Decision, decide
from boxoffice.domain.enums import (
    BandStatus,
    CheckinResult,
    Direction,
    GateKind,
    ReentryPolicy,
    SeriesStatus,
)
from boxoffice.domain.permissions import Action
from boxoffice.schemas.checkin import CheckinView
from boxoffice.services import band_signature, outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import Base, new_id
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
class _Band:
    """What a decision needs of a band: read as columns, not as an ORM object, on the hot path."""

    id: uuid.UUID
    uid: str
    status: BandStatus
    event_id: uuid.UUID
    category_id: uuid.UUID


@dataclass(frozen=True)
class _Presence:
    inside: bool
    has_entered: bool
    last_scan_at: datetime


@dataclass(frozen=True)
class _BandFacts:
    band: _Band | None
    assigned: bool = False
    presence: _Presence | None = None
    category_limit: int | None = None
    # Read in the same statement: a check-in already stored under this scan id,
    # and whether the gate is limited to some categories at all.
    previous_id: uuid.UUID | None = None
    gate_restricted: bool = True

    @property
    def inside(self) -> bool:
        return bool(self.presence and self.presence.inside)

    @property
    def entered(self) -> bool:
        return bool(self.presence and self.presence.has_entered)


# The hot path's statements, built (and so compiled and cached) once: a verify
# is mostly per-statement overhead, and building a select costs as much as running it.
def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_W = Wristband.__table__.c
_A = SeriesWristbandAssignment.__table__.c
_P = SeriesPresence.__table__.c
_L = SeriesCategoryLimit.__table__.c
_C = Checkin.__table__.c
_GC = GateCategory.__table__.c

_LOCK_BAND = (
    select(_W.id)
    .where(_W.event_id == bindparam("event_id"), _W.uid == bindparam("uid"))
    .with_for_update()
)
_BAND_FACTS = (
    select(
        _W.id, _W.uid, _W.status, _W.event_id, _W.category_id,
        _A.id, _P.inside, _P.has_entered, _P.last_scan_at, _L.band_limit,
        select(_C.id).where(_C.client_scan_id == bindparam("scan_id")).scalar_subquery(),
        exists().where(_GC.gate_id == bindparam("gate_id")),
    )
    .select_from(Wristband.__table__)
    .outerjoin(SeriesWristbandAssignment.__table__, and_(
        _A.series_id == bindparam("series_id"), _A.wristband_id == _W.id, _A.active.is_(True),
    ))
    .outerjoin(SeriesPresence.__table__, and_(
        _P.series_id == bindparam("series_id"), _P.wristband_id == _W.id,
    ))
    .outerjoin(SeriesCategoryLimit.__table__, and_(
        _L.series_id == bindparam("series_id"), _L.category_id == _W.category_id,
    ))
    .where(_W.event_id == bindparam("event_id"), _W.uid == bindparam("uid"))
)
_PREVIOUS_ID = select(_C.id).where(_C.client_scan_id == bindparam("scan_id"))
_GATE_CATEGORIES = select(_GC.category_id).where(_GC.gate_id == bindparam("gate_id"))
# Who is inside: all bands, and those of one category (used only when it has a limit).
_INSIDE_COUNTS = select(
    func.count(),
    func.coalesce(func.sum(case((_P.category_id == bindparam("category_id"), 1), else_=0)), 0),
).where(_P.series_id == bindparam("series_id"), _P.inside.is_(True))
_INSERT_CHECKIN = insert(_table(Checkin))
_INSERT_PRESENCE = insert(_table(SeriesPresence))
_UPDATE_PRESENCE = (
    update(_table(SeriesPresence))
    .where(_P.series_id == bindparam("p_series_id"), _P.wristband_id == bindparam("p_wristband_id"))
    .values(inside=bindparam("p_inside"), has_entered=bindparam("p_has_entered"),
            last_scan_at=bindparam("p_last_scan_at"))
)
_S = EventSeries.__table__.c
_G = Gate.__table__.c
_SG = SeriesGate.__table__.c
_SERIES_AND_GATE = (
    select(_S.id, _S.organization_id, _S.event_id, _S.status, _S.checkin_opens_at,
           _S.checkin_closes_at, _S.capacity, _S.reentry_policy,
           _G.id, _G.name, _G.kind, _SG.gate_id)
    .select_from(EventSeries.__table__)
    .join(Gate.__table__, and_(_G.id == bindparam("gate_id"), _G.event_id == _S.event_id))
    .outerjoin(SeriesGate.__table__, and_(_SG.series_id == _S.id, _SG.gate_id == _G.id))
    .where(_S.id == bindparam("series_id"), _S.organization_id == bindparam("organization_id"))
)


@dataclass(frozen=True)
class _Series:
    """What a tap needs of its series, read as columns (as of this transaction)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    event_id: uuid.UUID
    status: SeriesStatus
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    capacity: int
    reentry_policy: ReentryPolicy


@dataclass(frozen=True)
class _Gate:
    id: uuid.UUID
    name: str
    kind: GateKind


SeriesLike = EventSeries | _Series
GateLike = Gate | _Gate


def _band_facts(session: Session, series: SeriesLike, gate: GateLike, uid: str,
                client_scan_id: str) -> _BandFacts:
    """The band, its assignment, presence and category limit in one statement.

    One joined query instead of four lookups (and the scan id's earlier
    check-in and whether the gate is limited to categories, as subqueries):
    a verify is mostly per-statement cost. On PostgreSQL the band's row is
    locked first, in a statement of its own, so concurrent taps of one band
    wait for each other and the joined read after the wait sees the presence
    the other tap left (a lock taken inside the joined query would return the
    presence as it was before the wait). SQLite writers are serialised by
    BEGIN IMMEDIATE.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(_LOCK_BAND, {"event_id": series.event_id, "uid": uid}).all()
    row = session.execute(_BAND_FACTS, {
        "series_id": series.id, "event_id": series.event_id, "uid": uid,
        "scan_id": client_scan_id, "gate_id": gate.id,
    }).first()
    if row is None:
        return _BandFacts(None, previous_id=session.scalar(_PREVIOUS_ID, {"scan_id": client_scan_id}))
    (band_id, band_uid, status, event_id, category_id, assignment_id, inside, has_entered,
     last_scan_at, limit, previous_id, gate_restricted) = row
    return _BandFacts(
        band=_Band(band_id, band_uid, status, event_id, category_id),
        assigned=assignment_id is not None,
        presence=(None if inside is None
                  else _Presence(bool(inside), bool(has_entered), last_scan_at)),
        category_limit=limit,
        previous_id=previous_id,
        gate_restricted=bool(gate_restricted),
    )


def gather_facts(
    session: Session,
    series: SeriesLike,
    gate: GateLike,
    band: Wristband | _Band | None,
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
    if band_facts is None:
        band_facts = (_band_facts(session, series, gate, band.uid, "") if band is not None
                      else _BandFacts(None))
    gate_categories: frozenset[object] = (
        frozenset(session.scalars(_GATE_CATEGORIES, {"gate_id": gate.id}))
        if band_facts.gate_restricted else frozenset()
    )
    inside, category_limit = band_facts.inside, band_facts.category_limit
    # The counts cost a scan of the series' presence: only an entry that got
    # this far needs them, and one scan gives both.
    occupancy = category_inside = 0
    if band is not None and direction is Direction.IN and not inside:
        counts = session.execute(
            _INSIDE_COUNTS, {"series_id": sid, "category_id": band.category_id}
        ).one()
        occupancy = int(counts[0])
        category_inside = int(counts[1]) if category_limit is not None else 0
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
        occupancy=occupancy,
        category_inside=category_inside,
        category_limit=category_limit,
    )


def decide_and_record(
    session: Session,
    series: SeriesLike,
    gate: GateLike,
    uid: str,
    direction: Direction,
    *,
    client_scan_id: str,
    device_id: str,
    now: datetime,
    signature_valid: bool | None = None,
    gate_in_series: bool | None = None,
    payload: bytes | None = None,
) -> tuple[CheckinView, bool]:
    """Decide one tap and store it; a known ``client_scan_id`` returns the stored answer.

    ``payload`` is the record read off the band, if the reader sent it: its
    signature is checked (against the event's keys, for this UID and band)
    only for a band the database knows, since an unknown band is denied first.

    Returns the check-in and whether it was new. The check-in and the
    presence are written with core statements and logged for the stations
    with ``changelog.log_row``: the ORM's unit of work and its change capture
    cost more than the rest of the tap.
    """
    uid = refs.normalize_uid(uid)
    facts_of_band = _band_facts(session, series, gate, uid, client_scan_id)
    if facts_of_band.previous_id is not None:
        previous = session.get_one(Checkin, facts_of_band.previous_id)
        return checkin_view(previous, replayed=True), False
    band = facts_of_band.band
    if payload is not None and band is not None:
        signature_valid = band_signature.signature_valid(session, series.event_id, band, uid, payload)
    facts = gather_facts(session, series, gate, band, direction, now, signature_valid,
                         gate_in_series=gate_in_series, band_facts=facts_of_band)
    decision = decide(facts)
    values: dict[str, Any] = {
        "id": new_id(),
        "client_scan_id": client_scan_id,
        "event_id": series.event_id,
        "series_id": series.id,
        "gate_id": gate.id,
        "wristband_id": band.id if band else None,
        "uid": uid,
        "direction": direction,
        "result": CheckinResult.ALLOWED if decision.allowed else CheckinResult.DENIED,
        "reason": decision.reason,
        "device_id": device_id,
        "occurred_at": now,
        "recorded_at": utcnow(),
    }
    session.execute(_INSERT_CHECKIN, values)
    if decision.allowed and band is not None:
        _move_core(session, series, band, facts_of_band.presence, direction, now)
    return CheckinView(
        id=values["id"], client_scan_id=client_scan_id, series_id=series.id, gate_id=gate.id,
        wristband_id=values["wristband_id"], uid=uid, direction=direction,
        result=values["result"], reason=decision.reason, message=decision.message,
        device_id=device_id, occurred_at=now, replayed=False,
    ), True


def _move_core(session: Session, series: SeriesLike, band: _Band, presence: _Presence | None,
               direction: Direction, at: datetime) -> None:
    """``_move`` with core statements, from the presence read (under the band's lock) for the tap."""
    inside = direction is Direction.IN
    # An ORM copy of this presence in the session (a caller's larger
    # transaction) must not flush stale values over ours, nor be read stale.
    key = session.identity_key(SeriesPresence, (series.id, band.id))
    held = session.identity_map.get(key)
    if held is not None:
        session.flush()
        session.expire(held)
    if presence is None:
        values: dict[str, Any] = {
            "series_id": series.id, "wristband_id": band.id, "category_id": band.category_id,
            "inside": inside, "has_entered": inside, "last_scan_at": at,
        }
        session.execute(_INSERT_PRESENCE, values)
    else:
        has_entered = presence.has_entered or inside
        now_inside, last_scan_at = presence.inside, presence.last_scan_at
        if at >= presence.last_scan_at:
            now_inside, last_scan_at = inside, at
        if (now_inside, has_entered, last_scan_at) == (
                presence.inside, presence.has_entered, presence.last_scan_at):
            return
        session.execute(_UPDATE_PRESENCE, {
            "p_series_id": series.id, "p_wristband_id": band.id, "p_inside": now_inside,
            "p_has_entered": has_entered, "p_last_scan_at": last_scan_at,
        })
        values = {
            "series_id": series.id, "wristband_id": band.id, "category_id": band.category_id,
            "inside": now_inside, "has_entered": has_entered, "last_scan_at": last_scan_at,
        }


def _series_and_gate(
    session: Session, actor: Actor, series_ref: str, gate_ref: str
) -> tuple[SeriesLike, GateLike, bool]:
    """The series, the gate and whether the gate serves the series, in one statement for ids."""
    sid, gid = refs.as_uuid(series_ref), refs.as_uuid(gate_ref)
    if sid is not None and gid is not None:
        row = session.execute(_SERIES_AND_GATE, {
            "series_id": sid, "gate_id": gid, "organization_id": actor.organization_id,
        }).first()
        if row is not None:
            return _Series(*row[:8]), _Gate(*row[8:11]), row[11] is not None
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
    payload: bytes | None = None,
) -> CheckinView:
    """One tap at a gate, decided and kept; a malformed ``payload`` is refused before anything is written."""
    actor.require(Action.VERIFY)
    if payload is not None:
        band_signature.check_shape(payload)
    with store.write() as session:
        series, gate, gate_in_series = _series_and_gate(session, actor, series_ref, gate_ref)
        view, new = decide_and_record(
            session, series, gate, uid, direction,
            client_scan_id=client_scan_id or str(uuid.uuid4()),
            device_id=device_id, now=now or utcnow(), gate_in_series=gate_in_series,
            payload=payload,
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
