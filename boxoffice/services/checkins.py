"""Recording a tap at a gate: gather the facts, let the domain decide, keep the result.

The central server's verify endpoint, the desktop lookup and the simulator
all go through ``decide_and_record`` so that one rule set answers everywhere.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import Select, Table, and_, bindparam, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
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
from boxoffice.domain.references import (
    NEW,
    GateId,
    New,
    NotARef,
    SeriesId,
)
from boxoffice.domain.validation import MAX_DEVICE_ID, MAX_SCAN_ID, validate_token
from boxoffice.errors import ScanIdTakenError, ValidationError
from boxoffice.schemas.checkin import CheckinView
from boxoffice.services import band_signature, occupancy, outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import Base, new_id
from boxoffice.store.database import Store
from boxoffice.store.models import (
    CategoryOccupancy,
    Checkin,
    Event,
    EventSeries,
    Gate,
    GateCategory,
    SeriesCategoryLimit,
    SeriesGate,
    SeriesOccupancy,
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
    # The category the band is counted under in the occupancy counters.
    category_id: uuid.UUID


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
    # Places of the series taken, and bands of the band's category inside, per the kept counters.
    series_taken: int = 0
    category_inside: int = 0

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


_SO = _table(SeriesOccupancy)
_CO = _table(CategoryOccupancy)
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
def _band_facts_columns(series_id: Any, event_id: Any, gate_id: Any) -> list[Any]:
    """What a tap reads of its band (``_facts_of_row`` takes them in this order).

    ``series_id``, ``event_id`` and ``gate_id`` are parameters when the band is
    read alone (``_BAND_FACTS``), the series' and gate's columns when it is read
    with them (``_TAP_READ``).
    """
    return [
        _W.id, _W.uid, _W.status, _W.event_id, _W.category_id,
        _A.id, _P.inside, _P.has_entered, _P.last_scan_at, _P.category_id, _L.band_limit,
        select(_C.id).where(_C.event_id == event_id, _C.client_scan_id == bindparam("scan_id"))
        .scalar_subquery(),
        exists().where(_GC.gate_id == gate_id),
        # The kept counters as this statement sees them (not locked): whether the series,
        # or the band's category, looks full (``decide_and_record``'s ``claim_last``).
        select(_SO.c.inside + _SO.c.held).where(_SO.c.series_id == series_id).scalar_subquery(),
        select(_CO.c.inside).where(_CO.c.series_id == series_id, _CO.c.category_id == _W.category_id)
        .scalar_subquery(),
    ]


def _join_band_facts(statement: Select[Any], series_id: Any) -> Select[Any]:
    """The band's assignment, presence and category limit in the series, joined to the band."""
    return (
        statement
        .outerjoin(SeriesWristbandAssignment.__table__, and_(
            _A.series_id == series_id, _A.wristband_id == _W.id, _A.active.is_(True),
        ))
        .outerjoin(SeriesPresence.__table__, and_(_P.series_id == series_id, _P.wristband_id == _W.id))
        .outerjoin(SeriesCategoryLimit.__table__, and_(
            _L.series_id == series_id, _L.category_id == _W.category_id,
        ))
    )


_BAND_FACT_COUNT = len(_band_facts_columns(None, None, None))
_BAND_FACTS = _join_band_facts(
    select(*_band_facts_columns(bindparam("series_id"), bindparam("event_id"), bindparam("gate_id")))
    .select_from(Wristband.__table__),
    bindparam("series_id"),
).where(_W.event_id == bindparam("event_id"), _W.uid == bindparam("uid"))
# A scan id is unique per event: the replay lookup and the claim of the id are scoped alike.
_PREVIOUS_ID = select(_C.id).where(_C.event_id == bindparam("event_id"),
                                   _C.client_scan_id == bindparam("scan_id"))
_GATE_CATEGORIES = select(_GC.category_id).where(_GC.gate_id == bindparam("gate_id"))
# Claims the scan id as it stores the tap: a concurrent request with the same
# id (no band row to queue on, or another band) inserts nothing and answers
# with the stored tap instead of failing on the unique constraint.
_CLAIM_CHECKIN = {
    name: dialect.insert(_table(Checkin))
    .on_conflict_do_nothing(index_elements=[_C.event_id, _C.client_scan_id])
    .returning(_C.id)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_INSERT_CHECKIN = insert(_table(Checkin))
_INSERT_PRESENCE = insert(_table(SeriesPresence))
_UPDATE_PRESENCE = (
    update(_table(SeriesPresence))
    .where(_P.series_id == bindparam("p_series_id"), _P.wristband_id == bindparam("p_wristband_id"))
    .values(inside=bindparam("p_inside"), has_entered=bindparam("p_has_entered"),
            last_scan_at=bindparam("p_last_scan_at"), category_id=bindparam("p_category_id"))
)
# The same, only over the presence as it was read (``_write_presence(if_unchanged=True)``).
_UPDATE_PRESENCE_IF_UNCHANGED = _UPDATE_PRESENCE.where(
    _P.inside == bindparam("o_inside"), _P.has_entered == bindparam("o_has_entered"),
    _P.last_scan_at == bindparam("o_last_scan_at"), _P.category_id == bindparam("o_category_id"),
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
# PostgreSQL: the same, and the band's row locked in the same round trip (``_band_facts``
# says why the lock is a statement of its own before the joined read of the band).
_SERIES_AND_GATE_LOCKING_BAND = _SERIES_AND_GATE.add_columns(
    select(_W.id).where(_W.event_id == _S.event_id, _W.uid == bindparam("uid"))
    .with_for_update().scalar_subquery()
)
# A tap's whole read in one statement: ``_SERIES_AND_GATE`` and the band's facts of
# ``_BAND_FACTS``, the series, event and gate taken from their rows. On
# PostgreSQL it also locks the band (an alias, so the lock is not correlated with the band
# this statement joins): the presence it read may then predate a concurrent tap of the
# same band that held the lock, which ``_write_presence(if_unchanged=True)`` finds out.
_LOCKED_BAND = _table(Wristband).alias("locked_band")
_TAP_READ = _join_band_facts(
    _SERIES_AND_GATE.add_columns(*_band_facts_columns(_S.id, _S.event_id, _G.id))
    .outerjoin(Wristband.__table__, and_(_W.event_id == _S.event_id, _W.uid == bindparam("uid"))),
    _S.id,
)
_TAP_READ_LOCKING_BAND = _TAP_READ.add_columns(
    select(_LOCKED_BAND.c.id)
    .where(_LOCKED_BAND.c.event_id == _S.event_id, _LOCKED_BAND.c.uid == bindparam("uid"))
    .with_for_update().scalar_subquery()
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
                client_scan_id: str, *, locked: bool = False) -> _BandFacts:
    """The band, its assignment, presence and category limit in one statement.

    One joined query instead of four lookups (and the scan id's earlier
    check-in and whether the gate is limited to categories, as subqueries):
    a verify is mostly per-statement cost. On PostgreSQL the band's row is
    locked first, in a statement of its own, so concurrent taps of one band
    wait for each other and the joined read after the wait sees the presence
    the other tap left (a lock taken inside the joined query would return the
    presence as it was before the wait). SQLite writers are serialised by
    BEGIN IMMEDIATE. ``locked``: the caller already holds the band's row
    (``_series_and_gate`` took it with the series).

    The selects run on the session's connection: core statements, which the
    session would neither flush for nor log, and its execute costs as much
    again as the statement.
    """
    conn = session.connection()
    if not locked and conn.dialect.name != "sqlite":
        conn.execute(_LOCK_BAND, {"event_id": series.event_id, "uid": uid}).all()
    row = conn.execute(_BAND_FACTS, {
        "series_id": series.id, "event_id": series.event_id, "uid": uid,
        "scan_id": client_scan_id, "gate_id": gate.id,
    }).first()
    if row is None:
        return _BandFacts(None, previous_id=conn.scalar(
            _PREVIOUS_ID, {"event_id": series.event_id, "scan_id": client_scan_id}))
    return _facts_of_row(tuple(row))


def _facts_of_row(row: tuple[Any, ...]) -> _BandFacts:
    """``_BAND_FACTS``' columns (also the band's part of ``_TAP_READ``, whose band may be missing)."""
    (band_id, band_uid, status, event_id, category_id, assignment_id, inside, has_entered,
     last_scan_at, counted_as, limit, previous_id, gate_restricted, series_taken, category_inside) = row
    if band_id is None:
        return _BandFacts(None, previous_id=previous_id, gate_restricted=bool(gate_restricted))
    return _BandFacts(
        band=_Band(band_id, band_uid, status, event_id, category_id),
        assigned=assignment_id is not None,
        presence=(None if inside is None
                  else _Presence(bool(inside), bool(has_entered), last_scan_at, counted_as)),
        category_limit=limit,
        previous_id=previous_id,
        gate_restricted=bool(gate_restricted),
        series_taken=series_taken or 0,
        category_inside=category_inside or 0,
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
        frozenset(session.connection().scalars(_GATE_CATEGORIES, {"gate_id": gate.id}))
        if band_facts.gate_restricted else frozenset()
    )
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
        band_inside=band_facts.inside,
        band_has_entered=band_facts.entered,
        # Room is claimed on the kept counters after the decision (services.occupancy).
        occupancy=None,
        category_inside=None,
        category_limit=band_facts.category_limit,
    )


def check_tap_ids(client_scan_id: str, device_id: str) -> None:
    """The scan id and device name of a tap, held to their columns' limits on both databases."""
    validate_token("scan_id", "scan id", client_scan_id, MAX_SCAN_ID)
    validate_token("device_id", "device name", device_id, MAX_DEVICE_ID)


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
    band_locked: bool = False,
    claim_last: bool = False,
    read: _BandFacts | None = None,
) -> tuple[CheckinView, bool]:
    """Decide one tap and store it; a known ``client_scan_id`` returns the stored answer.

    ``payload`` is the record read off the band, if the reader sent it: its
    signature is checked (against the event's keys, for this UID and band)
    only for a band the database knows, since an unknown band is denied first.

    The order is what keeps it true under concurrency: the band is held
    first (``_band_facts``); the domain decides everything but room; an
    entry that puts the band inside then claims its place on the kept
    counters (``occupancy.claim``, one conditional statement); the check-in
    is stored with its scan id claimed in the same statement, and only a tap
    that got its scan id moves the presence. A concurrent request with the
    same scan id gives its place back and answers with the stored tap.

    ``claim_last`` (for a caller that owns the transaction and can decide
    again): the entry's place is claimed after its check-in and presence are
    written, just before the commit, so the counter rows every entry queues on
    (on PostgreSQL, until the commit) are held for as short a time as
    possible. A refusal then raises ``RoomTaken``: the caller undoes the
    transaction and decides the tap again with the claim first. When the
    counters, as read with the band, already look full, the claim comes first
    anyway, so a full series refuses in one transaction.

    ``read`` (``_record_tap``): the band's facts, already read with the series
    and the gate in one statement. On PostgreSQL that statement read them
    before its lock on the band was granted, so a tap of the same band that
    held the lock may have moved the presence since: the presence is then
    written only if it is still as read, or ``PresenceMoved`` is raised (the
    caller undoes the transaction and decides the tap again, reading after
    the lock). SQLite's one writer never reads stale facts.

    Returns the check-in and whether it was new. The check-in and the
    presence are written with core statements through the session, where
    the change log sees their values without reading them back: the ORM's
    unit of work costs more than the rest of the tap.
    """
    uid = refs.normalize_uid(uid)
    check_tap_ids(client_scan_id, device_id)
    facts_of_band = read or _band_facts(session, series, gate, uid, client_scan_id, locked=band_locked)
    if facts_of_band.previous_id is not None:
        previous = session.get_one(Checkin, facts_of_band.previous_id)
        return checkin_view(previous, replayed=True), False
    band = facts_of_band.band
    if payload is not None and band is not None:
        signature_valid = band_signature.signature_valid(session, series.event_id, band, uid, payload)
    facts = gather_facts(session, series, gate, band, direction, now, signature_valid,
                         gate_in_series=gate_in_series, band_facts=facts_of_band)
    decision = decide(facts)
    presence = facts_of_band.presence
    moved = _moved(presence, band, direction, now) if decision.allowed and band else None
    enters = moved is not None and band is not None and moved.inside and not facts_of_band.inside
    limit = facts_of_band.category_limit
    if claim_last and (facts_of_band.series_taken >= series.capacity
                       or (limit is not None and facts_of_band.category_inside >= limit)):
        claim_last = False  # looks full: claim first, and record the refusal in this transaction
    claimed = False
    if enters and not claim_last:
        assert band is not None
        refusal = occupancy.claim(session, series.id, band.category_id, series.capacity,
                                  facts_of_band.category_limit)
        if refusal is not None:
            decision, moved = refusal, None
        else:
            claimed = True
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
    # A concurrent request that stored this scan id first makes this insert fail on the
    # unique (event, scan id): the transaction is undone, place claimed included, and
    # ``record_tap`` answers again, finding that tap. A plain INSERT is what the change
    # log records with no read-back.
    session.execute(_INSERT_CHECKIN, values)
    if moved is not None and band is not None:
        # With ``claim_last`` an entry's place is claimed right below.
        _write_presence(session, series, band.id, presence, moved, counted=claimed or enters,
                        if_unchanged=read is not None and session.get_bind().dialect.name != "sqlite")
    if enters and claim_last:
        assert band is not None
        if occupancy.claim(session, series.id, band.category_id, series.capacity,
                           facts_of_band.category_limit) is not None:
            raise RoomTaken(client_scan_id)
    return CheckinView(
        id=values["id"], client_scan_id=client_scan_id, series_id=series.id, gate_id=gate.id,
        wristband_id=values["wristband_id"], uid=uid, direction=direction,
        result=values["result"], reason=decision.reason, message=decision.message,
        device_id=device_id, occurred_at=now, replayed=False,
    ), True


class PresenceMoved(Exception):
    """A tap decided on facts read before its band's lock found the presence moved since.

    Never reaches a caller of ``record_tap``, which undoes the transaction and
    decides the tap again on facts read after the lock.
    """


class RoomTaken(Exception):
    """An entry decided with ``claim_last`` found no room left: undo its transaction, decide it again.

    Never reaches a caller of ``record_tap``, which decides the tap again
    with the claim first (and then records the refusal).
    """


def _claim_scan_id(session: Session, values: dict[str, Any]) -> bool:
    """Insert the check-in unless its event already has this scan id; whether it was inserted."""
    statement = _CLAIM_CHECKIN[session.get_bind().dialect.name]
    return session.execute(statement, values).first() is not None


def _moved(presence: _Presence | None, band: _Band, direction: Direction,
           at: datetime) -> _Presence | None:
    """Where an allowed tap leaves the band, or ``None`` when it changes nothing.

    A late offline scan (older than what is known) keeps the band where the
    newer scan put it; it can only mark that the band has entered. The band
    is counted under its category as of this tap.
    """
    inside = direction is Direction.IN
    if presence is None:
        return _Presence(inside, inside, at, band.category_id)
    has_entered = presence.has_entered or inside
    if at >= presence.last_scan_at:
        moved = _Presence(inside, has_entered, at, band.category_id)
    else:
        moved = _Presence(presence.inside, has_entered, presence.last_scan_at, presence.category_id)
    return None if moved == presence else moved


def _write_presence(session: Session, series: SeriesLike, band_id: uuid.UUID,
                    old: _Presence | None, new: _Presence, *, counted: bool,
                    if_unchanged: bool = False) -> None:
    """Store the band's new presence and move the occupancy counters to match it.

    ``counted``: the caller already claimed the place of a band entering.
    Every other change of who is inside (exits, kept offline taps, a band
    counted under a new category) moves the counters without a condition, so
    the kept counts always equal the presence rows.

    ``if_unchanged``: ``old`` may be stale (read before the band's lock), so
    the row is written only if it is still ``old`` (or still missing);
    otherwise ``PresenceMoved``, and the caller undoes the transaction,
    counters included.
    """
    # The row first: a stale ``old`` is found out before any counter moves on its word.
    _store_presence(session, series, band_id, old, new, if_unchanged=if_unchanged)
    was_inside = old is not None and old.inside
    if was_inside and old is not None and (not new.inside or new.category_id != old.category_id):
        occupancy.leave(session, series.id, old.category_id)
    if new.inside and not counted and (not was_inside or (
            old is not None and new.category_id != old.category_id)):
        occupancy.enter(session, series.id, new.category_id)


def _store_presence(session: Session, series: SeriesLike, band_id: uuid.UUID,
                    old: _Presence | None, new: _Presence, *, if_unchanged: bool) -> None:
    # An ORM copy of this presence in the session (a caller's larger
    # transaction) must not flush stale values over ours, nor be read stale.
    key = session.identity_key(SeriesPresence, (series.id, band_id))
    held = session.identity_map.get(key)
    if held is not None:
        session.flush()
        session.expire(held)
    if old is None:
        values: dict[str, Any] = {
            "series_id": series.id, "wristband_id": band_id, "category_id": new.category_id,
            "inside": new.inside, "has_entered": new.has_entered, "last_scan_at": new.last_scan_at,
        }
        try:
            session.execute(_INSERT_PRESENCE, values)
        except IntegrityError as exc:
            if if_unchanged:  # inserted by the tap that held the band's lock while we read
                raise PresenceMoved(band_id) from exc
            raise
        return
    params = {
        "p_series_id": series.id, "p_wristband_id": band_id, "p_inside": new.inside,
        "p_has_entered": new.has_entered, "p_last_scan_at": new.last_scan_at,
        "p_category_id": new.category_id,
    }
    if not if_unchanged:
        session.execute(_UPDATE_PRESENCE, params)
        return
    result = session.execute(_UPDATE_PRESENCE_IF_UNCHANGED, {
        **params, "o_inside": old.inside, "o_has_entered": old.has_entered,
        "o_last_scan_at": old.last_scan_at, "o_category_id": old.category_id,
    })
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PresenceMoved(band_id)


def _series_and_gate(
    session: Session, actor: Actor, series_ref: str, gate_ref: str, lock_uid: str | None = None
) -> tuple[SeriesLike, GateLike, bool, bool]:
    """The series, the gate and whether the gate serves the series, in one statement for ids.

    With ``lock_uid`` (a normalized UID), on PostgreSQL, the same statement
    locks that band's row of the series' event; the last value says whether it did.
    """
    sid, gid = refs.as_uuid(series_ref), refs.as_uuid(gate_ref)
    if sid is not None and gid is not None:
        conn = session.connection()
        locking = lock_uid is not None and conn.dialect.name != "sqlite"
        row = conn.execute(_SERIES_AND_GATE_LOCKING_BAND if locking else _SERIES_AND_GATE, {
            "series_id": sid, "gate_id": gid, "organization_id": actor.organization_id, "uid": lock_uid,
        }).first()
        if row is not None:
            return _Series(*row[:8]), _Gate(*row[8:11]), row[11] is not None, locking
    # Names, or something not found: the lookups that say precisely what is wrong.
    series = refs.series(session, actor, series_ref)
    ev = session.get_one(Event, series.event_id)
    gate = refs.gate(session, actor, ev, gate_ref)
    return series, gate, session.get(SeriesGate, (series.id, gate.id)) is not None, False


def _read_tap(session: Session, actor: Actor, series_ref: str, gate_ref: str, uid: str,
              scan_id: str) -> tuple[_Series, _Gate, bool, _BandFacts] | None:
    """The series, the gate, whether the gate serves the series and the band's facts, in one statement.

    ``None`` unless both are named by id and found (``_series_and_gate``
    then says what is wrong). On PostgreSQL the band's row is locked by the
    same statement; its facts may predate that lock (``decide_and_record``'s ``read``).
    """
    sid, gid = refs.as_uuid(series_ref), refs.as_uuid(gate_ref)
    if sid is None or gid is None:
        return None
    conn = session.connection()
    row = conn.execute(_TAP_READ if conn.dialect.name == "sqlite" else _TAP_READ_LOCKING_BAND, {
        "series_id": sid, "gate_id": gid, "organization_id": actor.organization_id, "uid": uid,
        "scan_id": scan_id,
    }).first()
    if row is None:
        return None
    return (_Series(*row[:8]), _Gate(*row[8:11]), row[11] is not None,
            _facts_of_row(tuple(row[12:12 + _BAND_FACT_COUNT])))


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
    scan_id, at = client_scan_id or str(uuid.uuid4()), now or utcnow()
    # Before the read, which already looks the scan id up (PostgreSQL would answer a NUL
    # in it with an error, not a sentence); ``decide_and_record`` checks it for its
    # other callers.
    check_tap_ids(scan_id, device_id)
    attempts = 0
    claim_last, fresh = True, False
    while True:
        try:
            return _record_tap(store, actor, series_ref, gate_ref, uid, direction, scan_id, device_id,
                               at, payload, claim_last=claim_last, fresh=fresh)
        except IntegrityError:
            # The same scan id was stored by a concurrent request (another server process, or
            # an unknown band, which has no row to queue on) while this one decided. Nothing of
            # this attempt was kept; the next answers with that tap, as any retry would.
            attempts += 1
            if attempts > 1:
                raise
            log.info("scan %s was stored by a concurrent request; answering with its tap", scan_id)
        except RoomTaken:
            # The last place went to a concurrent entry after this one was decided. Nothing of
            # this attempt was kept; deciding again with the claim first records the refusal.
            log.info("scan %s found no room left at its claim; deciding it again", scan_id)
            claim_last = False
        except PresenceMoved:
            # A tap of the same band held its lock while this one read; nothing of this attempt
            # was kept. Read again after the lock, where the presence cannot move under us.
            log.info("scan %s read its band's presence before a concurrent tap moved it; deciding it "
                     "again", scan_id)
            fresh = True


def _record_tap(store: Store, actor: Actor, series_ref: str, gate_ref: str, uid: str,
                direction: Direction, scan_id: str, device_id: str, at: datetime,
                payload: bytes | None, *, claim_last: bool, fresh: bool) -> CheckinView:
    """One attempt; ``fresh``: read the band's facts after its lock (a statement more on PostgreSQL)."""
    try:
        lock_uid: str | None = refs.normalize_uid(uid)
    except ValidationError:
        lock_uid = None  # refused by the decision, after the series and gate, as always
    with store.write() as session:
        read = (None if fresh or lock_uid is None
                else _read_tap(session, actor, series_ref, gate_ref, lock_uid, scan_id))
        facts: _BandFacts | None = None
        series: SeriesLike
        gate: GateLike
        if read is not None:
            series, gate, gate_in_series, facts = read
            locked: bool = True
        else:
            series, gate, gate_in_series, locked = _series_and_gate(session, actor, series_ref,
                                                                    gate_ref, lock_uid)
        view, new = decide_and_record(
            session, series, gate, uid, direction, client_scan_id=scan_id, device_id=device_id,
            now=at, gate_in_series=gate_in_series, payload=payload, band_locked=locked,
            claim_last=claim_last, read=facts,
        )
        # The server keeps no outbox (``outbox.record`` would return at once): spare it the dump.
        if new and store.keeps_outbox:
            outbox.record(session, actor, "checkin.record", view.id, view.model_dump())
        log.info("tap %s at %s: %s (%s)", view.uid, gate.name, view.result, view.reason)
        return view


def import_checkin(store: Store, actor: Actor, tap: CheckinView) -> bool:
    """Keep a tap a station decided offline, as it was decided: the person is through the gate.

    Re-deciding it here could turn an admitted person into a denial after the
    fact; what the server owes the others is the presence it implies, and the
    occupancy counts with it (without a condition: the place is already
    taken). The same tap sent again is left alone; a different tap under a
    scan id the event already holds is refused with a sentence, never
    dropped in silence. Returns whether the tap was new.
    """
    actor.require(Action.VERIFY)
    check_tap_ids(tap.client_scan_id, tap.device_id)
    with store.write() as session:
        series = refs.series(session, actor, str(tap.series_id))
        ev = session.get_one(Event, series.event_id)
        gate = refs.gate(session, actor, ev, str(tap.gate_id))
        uid = refs.normalize_uid(tap.uid) if tap.uid else None
        facts = _band_facts(session, series, gate, uid, tap.client_scan_id) if uid else _BandFacts(
            None, previous_id=session.scalar(
                _PREVIOUS_ID, {"event_id": series.event_id, "scan_id": tap.client_scan_id}))
        band = facts.band
        values: dict[str, Any] = {
            "id": tap.id, "client_scan_id": tap.client_scan_id, "event_id": series.event_id,
            "series_id": series.id, "gate_id": gate.id, "wristband_id": band.id if band else None,
            "uid": uid, "direction": tap.direction, "result": tap.result, "reason": tap.reason,
            "device_id": tap.device_id, "occurred_at": tap.occurred_at, "recorded_at": utcnow(),
        }
        if facts.previous_id is not None or not _claim_scan_id(session, values):
            previous = session.scalar(select(Checkin).where(
                Checkin.event_id == series.event_id, Checkin.client_scan_id == tap.client_scan_id))
            assert previous is not None
            if previous.id != tap.id and not _same_tap(previous, tap, uid, gate.id):
                raise ScanIdTakenError(tap.client_scan_id, _describe(previous, gate.name))
            return False
        if tap.result is CheckinResult.ALLOWED and band is not None:
            moved = _moved(facts.presence, band, tap.direction, tap.occurred_at)
            if moved is not None:
                _write_presence(session, series, band.id, facts.presence, moved, counted=False)
        return True


def _same_tap(previous: Checkin, tap: CheckinView, uid: str | None, gate_id: uuid.UUID) -> bool:
    """A tap the server already decided online under this scan id: a scanner that gave up waiting for
    the answer decided it itself and queued it with an id of its own. The server's record stands."""
    return (previous.uid == uid and previous.gate_id == gate_id and previous.direction is tap.direction
            and previous.device_id == tap.device_id)


def _describe(checkin: Checkin, gate_name: str) -> str:
    who = f"band {checkin.uid}" if checkin.uid else "an unknown band"
    return f"{who}, {checkin.direction.value}, {checkin.result.value} at {gate_name}"


# -- what this module's changes carry to the server (its outbox contracts) --------

class CheckinRecordChange(outbox.Payload):
    """What ``import_checkin`` reads of a station's tap (its ``CheckinView``)."""

    id: New
    series_id: SeriesId
    gate_id: GateId
    wristband_id: Annotated[uuid.UUID | None, NotARef("the server finds the band by the tapped UID")] = None


outbox.declare("checkin.record", CheckinRecordChange, NEW)
