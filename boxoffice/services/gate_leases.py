"""Leases of places for gate scanners: how a phone admits people offline without overfilling a series.

The same design as the box office's door-sale leases (``services.place_leases``),
on the series' kept occupancy counter (``services.occupancy``):

- **Grant.** While online, the scanner asks for ``wanted`` places. In one
  transaction the server locks the series' counter row (``SELECT ... FOR
  UPDATE``; SQLite's single writer does the same), and moves ``min(wanted,
  free, MAX_LEASE)`` places to ``held`` with the conditional ``UPDATE
  series_occupancy SET held = held + :n WHERE inside + held + :n <=
  capacity``, which stays the guard. The lease row (``gate_leases``) has
  ``expires_at``, ``LEASE_DURATION`` after the grant. Nothing free: refused
  with a sentence, and the scanner admits nobody offline.
- **Online entries** claim a place only while ``inside + held < capacity``
  (``occupancy.claim``): leased places are not free.
- **Offline**, the scanner counts its own entries against the lease and
  refuses entries beyond it (``decide.js``). Its taps arrive later as
  check-ins kept as decided (``checkins.import_checkin``), which count the
  band inside without a condition: the place was set aside for it.
- **Return.** Back online, the scanner uploads its queue first, then gives
  the lease back with how many it used: the server closes it (one
  conditional UPDATE on ``returned_at IS NULL``, so once only) and takes its
  whole size off ``held`` (the used places are inside by now). Then it
  leases afresh.
- **Expiry.** A scanner that never comes back does not hold places for
  ever: a grant that finds no room first returns leases expired more than
  ``LEASE_GRACE`` ago (``reclaim_expired``).

What a lease does not cover: category limits (a phone offline may admit a
band of a category that filled up meanwhile), and taps uploaded from a
lease after it was reclaimed (counted inside, as any kept offline tap).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from boxoffice.domain.permissions import Action
from boxoffice.domain.validation import LEASE_DURATION, LEASE_GRACE, MAX_DEVICE_ID, MAX_LEASE
from boxoffice.errors import NotFoundError, SoldOutError, ValidationError
from boxoffice.schemas.scanner import GateLeaseView
from boxoffice.services import occupancy, refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import GateLease, SeriesGate, SeriesOccupancy
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_S = cast(Table, SeriesOccupancy.__table__)
_L = cast(Table, GateLease.__table__)

_LOCK = (select(_S.c.inside, _S.c.held).where(_S.c.series_id == bindparam("g_series")).with_for_update())
_HOLD = (update(_S).where(_S.c.series_id == bindparam("g_series"),
                          _S.c.inside + _S.c.held + bindparam("g_n") <= bindparam("g_capacity"))
         .values(held=_S.c.held + bindparam("g_n")).returning(_S.c.held))
_RELEASE = (update(_S).where(_S.c.series_id == bindparam("g_series"), _S.c.held >= bindparam("g_n"))
            .values(held=_S.c.held - bindparam("g_n")).returning(_S.c.held))
_OPEN_LEASE = (_L.c.id == bindparam("g_id"), _L.c.returned_at.is_(None))
_CLOSE = update(_L).where(*_OPEN_LEASE).values(returned_at=bindparam("g_now")).returning(_L.c.size)
_CLOSE_USED = (update(_L).where(*_OPEN_LEASE).values(returned_at=bindparam("g_now"), used=bindparam("g_used"))
               .returning(_L.c.size))


def _view(lease: GateLease) -> GateLeaseView:
    return GateLeaseView(id=lease.id, series_id=lease.series_id, gate_id=lease.gate_id,
                         device_id=lease.device_id,
                         size=lease.size, used=lease.used, granted_at=lease.granted_at,
                         expires_at=lease.expires_at, returned_at=lease.returned_at)


def _lock(session: Session, series_id: uuid.UUID) -> tuple[int, int]:
    """Make the series' counter row if missing and lock it: every lease and claim queues on it."""
    occupancy.ensure_row(session, series_id)
    inside, held = session.execute(_LOCK, {"g_series": series_id}).one()
    return int(inside), int(held)


def grant(store: Store, actor: Actor, series_ref: str, gate_id: uuid.UUID, device_id: str, wanted: int,
          *, now: datetime | None = None) -> GateLeaseView:
    """Lease ``min(wanted, free, MAX_LEASE)`` places of the series to this scanner, or refuse."""
    actor.require(Action.VERIFY)
    if not 1 <= wanted <= MAX_LEASE:
        raise ValidationError.single("wanted", f"A lease is of 1 to {MAX_LEASE} places.")
    if not device_id or len(device_id) > MAX_DEVICE_ID:
        raise ValidationError.single("device_id", f"A device name is 1 to {MAX_DEVICE_ID} characters.")
    now = now or utcnow()
    for attempt in range(2):
        with store.write() as session:
            series = refs.series(session, actor, series_ref)
            if session.get(SeriesGate, (series.id, gate_id)) is None:
                raise ValidationError.single("gate_id", f"That gate is not a gate of {series.name}.")
            inside, held = _lock(session, series.id)
            size = min(wanted, series.capacity - inside - held, MAX_LEASE)
            if size > 0 and session.execute(_HOLD, {"g_series": series.id, "g_n": size,
                                                    "g_capacity": series.capacity}).first() is not None:
                lease = GateLease(id=uuid.uuid4(), series_id=series.id, gate_id=gate_id,
                                  member_id=actor.member_id, device_id=device_id, size=size, used=0,
                                  granted_at=now, expires_at=now + LEASE_DURATION)
                session.add(lease)
                session.flush()
                log.info("leased %d places of %s to %s (asked %d)", size, series.name, device_id, wanted)
                return _view(lease)
            series_id, name = series.id, series.name
        if attempt == 0 and reclaim_expired(store, series_id=series_id, now=now):
            continue
        raise SoldOutError(f"No place of {name} is free to lease: this scanner admits nobody while offline.")
    raise AssertionError("unreachable")


def give_back(store: Store, actor: Actor, lease_id: uuid.UUID, used: int, *,
              now: datetime | None = None) -> GateLeaseView:
    """Close the caller's lease, noting how many it admitted, and free its places (its entries are inside)."""
    actor.require(Action.VERIFY)
    now = now or utcnow()
    with store.write() as session:
        lease = session.get(GateLease, lease_id)
        if lease is None or lease.member_id != actor.member_id:
            raise NotFoundError("lease", lease_id)
        if not 0 <= used <= lease.size:
            raise ValidationError.single("used", f"This lease was of {lease.size} places.")
        _close(session, lease.id, lease.series_id, used, now)
        session.refresh(lease)
        return _view(lease)


def _close(session: Session, lease_id: uuid.UUID, series_id: uuid.UUID, used: int | None,
           now: datetime) -> bool:
    _lock(session, series_id)  # the counter before the lease: one lock order
    params = {"g_id": lease_id, "g_now": now}
    row = (session.execute(_CLOSE, params) if used is None
           else session.execute(_CLOSE_USED, {**params, "g_used": used})).first()
    if row is None:
        return False
    if session.execute(_RELEASE, {"g_series": series_id, "g_n": int(row[0])}).first() is None:
        raise RuntimeError(f"series {series_id} holds fewer places than lease {lease_id} returns")
    return True


def reclaim_expired(store: Store, *, series_id: uuid.UUID | None = None, now: datetime | None = None) -> int:
    """Close leases expired more than ``LEASE_GRACE`` ago and free their places; how many leases."""
    now = now or utcnow()
    closed = 0
    with store.write() as session:
        query = select(_L.c.id, _L.c.series_id).where(_L.c.returned_at.is_(None),
                                                      _L.c.expires_at < now - LEASE_GRACE)
        if series_id is not None:
            query = query.where(_L.c.series_id == series_id)
        for lease_id, sid in session.execute(query.order_by(_L.c.series_id, _L.c.id)).all():
            if _close(session, lease_id, sid, None, now):
                closed += 1
                log.info("gate lease %s expired: its places are free again", lease_id)
    return closed


def held(store: Store, series_id: uuid.UUID) -> int:
    with store.read() as session:
        return int(session.scalar(select(_S.c.held).where(_S.c.series_id == series_id)) or 0)


__all__ = ["give_back", "grant", "held", "reclaim_expired"]
