"""Leases of places: how a station sells offline without ever selling a place twice.

The server is the only one that decides a sale against a product's quota
(``services.quotas``). A station that may lose the network sells offline
only from places the server set aside for it beforehand:

- **Grant.** While online, the station asks for a lease of a product with a
  wanted size, which it chooses from its recent sales (``domain.sales.
  lease_size``: enough for ``LEASE_COVERS`` at the rate of the last
  ``LEASE_RATE_WINDOW``, between ``MIN_LEASE`` and ``MAX_LEASE``). The
  server grants ``min(wanted, free, MAX_LEASE)`` places: in one transaction
  it locks the product's counter row (``SELECT ... FOR UPDATE``; SQLite's
  single writer does the same), and moves them from free to ``held`` with
  the conditional ``UPDATE ... SET held = held + :n WHERE sold + held + :n
  <= quota``, which stays the guard. With nothing free it refuses with a
  sentence. A lease has ``expires_at`` (``LEASE_DURATION`` after the grant).
- **Selling from it.** The station keeps a copy of the lease and counts its
  sales in ``used`` with ``UPDATE place_leases SET used = used + :n WHERE
  id = :id AND used + :n <= size AND expires_at > now``: two sales at one
  station can never take the same place, and a station never sells from a
  lease that has expired by its own clock. Each offline sale is queued in
  the outbox with the lease each ticket came from.
- **The server applies the pushed sale** against the lease: ``UPDATE
  place_leases SET used = used + :n WHERE id = :id AND used + :n <= size
  AND returned_at IS NULL`` (only the lease's own login), then moves the
  places from ``held`` to ``sold``. The places were set aside for this
  station, so this never fails for a sale made inside a live lease.
- **Settle.** When a station syncs, it pushes its sales first, then gives
  back the leases that are used up or end within ``LEASE_RENEW_BEFORE``:
  the server closes the lease at the ``used`` its pushed sales made and
  returns the rest (``held -= size - used``), and the freed places go to
  the waitlist first. Then the station leases afresh.
- **Expiry.** A station that never comes back does not keep its places for
  ever: the server returns the unused places of a lease that expired more
  than ``LEASE_GRACE`` ago (longer than a station's clock may be wrong:
  a sale made just before expiry by the station's clock is still inside
  the lease). It does so lazily, whenever a grant or a sale finds no room,
  and in ``reclaim_expired``; each lease is closed by one conditional
  UPDATE on ``returned_at IS NULL``, so it is returned once only.

**The one way a station can fail to sell.** A sale pushed from a lease
after that lease's places were returned (the station was offline past
expiry plus grace, with its clock far behind) is accepted only if the
product still has a free place, taken like an online sale; otherwise the
server refuses it through the refused-changes mechanism with a sentence
(the buyer is to be refunded). The quota is never oversold: ``sold + held
<= quota`` is both every statement's condition and a check constraint.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from boxoffice.domain.permissions import Action, may
from boxoffice.domain.sales import lease_size
from boxoffice.domain.validation import (
    LEASE_DURATION,
    LEASE_GRACE,
    LEASE_RATE_WINDOW,
    LEASE_RENEW_BEFORE,
    MAX_LEASE,
    integer_problem,
)
from boxoffice.errors import NotFoundError, SalesStateError, SoldOutError, ValidationError
from boxoffice.schemas.sales import HeldPlaces, LeaseView
from boxoffice.services import quotas, waitlist
from boxoffice.services.actor import Actor
from boxoffice.services.product_lookup import find, require_authority
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Event, Member, Order, PlaceLease, Product, ProductCounter, SoldTicket
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_L = cast(Table, PlaceLease.__table__)
_C = cast(Table, ProductCounter.__table__)

_LOCK_FREE = (select(_C.c.quota - _C.c.sold - _C.c.held)
              .where(_C.c.product_id == bindparam("l_product")).with_for_update())
_CLOSE = (update(_L).where(_L.c.id == bindparam("l_id"), _L.c.returned_at.is_(None))
          .values(returned_at=bindparam("l_now")).returning(_L.c.product_id, _L.c.size - _L.c.used))
_CONSUME = (update(_L).where(_L.c.id == bindparam("l_id"), _L.c.product_id == bindparam("l_product"),
                             _L.c.member_id == bindparam("l_member"), _L.c.returned_at.is_(None),
                             _L.c.used + bindparam("l_n") <= _L.c.size)
            .values(used=_L.c.used + bindparam("l_n")).returning(_L.c.used))
_TAKE_LOCAL = (update(_L).where(_L.c.id == bindparam("l_id"), _L.c.returned_at.is_(None),
                                _L.c.expires_at > bindparam("l_now"),
                                _L.c.used + bindparam("l_n") <= _L.c.size)
               .values(used=_L.c.used + bindparam("l_n")).returning(_L.c.used))


def _view(lease: PlaceLease) -> LeaseView:
    return LeaseView(id=lease.id, product_id=lease.product_id, station=lease.station, size=lease.size,
                     used=lease.used, granted_at=lease.granted_at, expires_at=lease.expires_at,
                     returned_at=lease.returned_at)


# -- the server's side --------------------------------------------------------------------------


def size_problem(wanted: int) -> ValidationError | None:
    if wanted < 1:
        return ValidationError.single("size", "A lease is of one place at least.")
    problem = integer_problem("size", "lease size", wanted)
    return ValidationError([problem]) if problem is not None else None


def grant(store: Store, actor: Actor, product_ref: str, wanted: int, *, station: str | None,
          event_ref: str | None = None, now: datetime | None = None) -> LeaseView:
    """Lease ``min(wanted, free, MAX_LEASE)`` places of a product to the caller's station, or refuse."""
    actor.require(Action.SELL)
    require_authority(store)
    problem = size_problem(wanted)
    if problem is not None:
        raise problem
    now = now or utcnow()
    for attempt in range(2):
        with store.write() as session:
            product = find(session, actor, product_ref, event_ref)
            if now >= product.sales_closes_at:
                raise SalesStateError(f"Sales of {product.name} have closed; no places are leased.")
            free = int(session.execute(_LOCK_FREE, {"l_product": product.id}).scalar_one())
            size = min(wanted, free, MAX_LEASE)
            if size > 0:
                if not quotas.hold(session, product.id, size):  # cannot fail under the lock: the guard
                    raise SoldOutError(f"No place of {product.name} is free to lease.")
                lease = PlaceLease(id=new_id(), product_id=product.id, member_id=actor.member_id,
                                   station=station, size=size, used=0, granted_at=now,
                                   expires_at=now + LEASE_DURATION)
                session.add(lease)
                session.flush()
                log.info("leased %d of %s to %s (asked %d)", size, product.name, station or actor.email,
                         wanted)
                return _view(lease)
            name, product_id = product.name, product.id
        if attempt == 0 and reclaim_expired(store, product_id=product_id, now=now):
            continue
        raise SoldOutError(f"No place of {name} is free to lease: it is sold out or held by other "
                           "stations. This station can still sell online.")
    raise AssertionError("unreachable")


def _close(session: Session, lease_id: uuid.UUID, now: datetime) -> int | None:
    """Close a lease and give its unused places back; how many, or None if it was closed already."""
    product_id = session.scalar(select(_L.c.product_id).where(_L.c.id == lease_id))
    if product_id is None:
        return None
    quotas.lock(session, product_id)  # the counter before the lease: the one lock order (``quotas``)
    row = session.execute(_CLOSE, {"l_id": lease_id, "l_now": now}).first()
    if row is None:
        return None
    product_id, unused = row
    if not quotas.release(session, product_id, int(unused)):
        raise RuntimeError(f"product {product_id} holds fewer places than lease {lease_id} returns")
    waitlist.offer_freed(session, product_id, now)
    return int(unused)


def settle(store: Store, actor: Actor, lease_id: uuid.UUID, *, now: datetime | None = None) -> LeaseView:
    """Close the caller's lease at the sales pushed from it and give the rest back (a station's sync)."""
    actor.require(Action.SELL)
    require_authority(store)
    now = now or utcnow()
    with store.write() as session:
        lease = session.get(PlaceLease, lease_id)
        if lease is None or lease.member_id != actor.member_id:
            raise NotFoundError("lease", lease_id)
        returned = _close(session, lease.id, now)
        session.refresh(lease)
        if returned is not None:
            log.info("lease %s settled: %d of %d used, %d returned", lease.id, lease.used, lease.size,
                     returned)
        return _view(lease)


def reclaim_expired(store: Store, *, product_id: uuid.UUID | None = None, now: datetime | None = None) -> int:
    """Return the unused places of leases expired more than ``LEASE_GRACE`` ago; how many places."""
    now = now or utcnow()
    total = 0
    with store.write() as session:
        query = select(_L.c.id).where(_L.c.returned_at.is_(None), _L.c.expires_at < now - LEASE_GRACE)
        if product_id is not None:
            query = query.where(_L.c.product_id == product_id)
        # In product order: each product's counter is locked before its leases (``quotas``).
        for lease_id in session.scalars(query.order_by(_L.c.product_id, _L.c.id)).all():
            returned = _close(session, lease_id, now)
            if returned:
                total += returned
                log.info("lease %s expired: %d unused places returned", lease_id, returned)
    return total


def consume(session: Session, actor: Actor, lease_id: uuid.UUID, product_id: uuid.UUID, n: int) -> bool:
    """Count ``n`` pushed sales against the pusher's live lease (held becomes sold); False if it cannot."""
    quotas.lock(session, product_id)  # the counter before the lease: the one lock order (``quotas``)
    row = session.execute(_CONSUME, {"l_id": lease_id, "l_product": product_id, "l_member": actor.member_id,
                                     "l_n": n}).first()
    if row is None:
        return False
    if not quotas.held_to_sold(session, product_id, n):
        raise RuntimeError(f"product {product_id} holds fewer places than its lease {lease_id} used")
    return True


# -- the station's side -------------------------------------------------------------------------


def keep(store: Store, lease: LeaseView, member_id: uuid.UUID | None) -> None:
    """Keep a lease the server granted this station (once, however many calls)."""
    with store.write() as session:
        if session.get(PlaceLease, lease.id) is None:
            session.add(PlaceLease(id=lease.id, product_id=lease.product_id, member_id=member_id,
                                   station=lease.station, size=lease.size, used=0,
                                   granted_at=lease.granted_at, expires_at=lease.expires_at))


def take(session: Session, product: Product, n: int, now: datetime) -> list[tuple[uuid.UUID, int]]:
    """Take ``n`` places of this station's live leases: (lease, places) pairs; refused when too few."""
    leases = session.execute(
        select(_L.c.id, _L.c.size - _L.c.used).where(
            _L.c.product_id == product.id, _L.c.returned_at.is_(None), _L.c.expires_at > now,
            _L.c.used < _L.c.size).order_by(_L.c.expires_at, _L.c.id)).all()
    taken: list[tuple[uuid.UUID, int]] = []
    need = n
    for lease_id, left in leases:
        k = min(need, int(left))
        if k and session.execute(_TAKE_LOCAL, {"l_id": lease_id, "l_now": now, "l_n": k}).first() is not None:
            taken.append((lease_id, k))
            need -= k
        if not need:
            return taken
    have = n - need
    raise SoldOutError(
        f"This station holds only {have} place{'s' if have != 1 else ''} of {product.name} in its leases; "
        f"{n} were asked for. Sell fewer, or connect to the server to sell online or lease more.")


def held(store: Store, now: datetime | None = None) -> list[HeldPlaces]:
    """Per product, the places this station may still sell offline (``used_up`` when none are left)."""
    now = now or utcnow()
    with store.read() as session:
        rows = session.execute(
            select(Product.id, Product.name, _L.c.size - _L.c.used, _L.c.expires_at)
            .join(_L, _L.c.product_id == Product.id).where(_L.c.returned_at.is_(None))
            .order_by(Product.name)).all()
    names: dict[uuid.UUID, str] = {}
    remaining: dict[uuid.UUID, int] = {}
    soonest: dict[uuid.UUID, datetime | None] = {}
    for product_id, name, left, expires_at in rows:
        names[product_id] = name
        remaining.setdefault(product_id, 0)
        soonest.setdefault(product_id, None)
        if expires_at > now and left > 0:
            remaining[product_id] += int(left)
            first = soonest[product_id]
            soonest[product_id] = expires_at if first is None or expires_at < first else first
    return [HeldPlaces(product_id=p, product=names[p], remaining=remaining[p], expires_at=soonest[p],
                       used_up=remaining[p] == 0) for p in names]


def due_for_return(store: Store, now: datetime | None = None) -> list[uuid.UUID]:
    """This station's leases to give back at this sync: used up, or ending within ``LEASE_RENEW_BEFORE``."""
    now = now or utcnow()
    with store.read() as session:
        return list(session.scalars(select(_L.c.id).where(
            _L.c.returned_at.is_(None),
            (_L.c.used >= _L.c.size) | (_L.c.expires_at <= now + LEASE_RENEW_BEFORE)).order_by(_L.c.id)))


def returned(store: Store, lease_id: uuid.UUID, at: datetime) -> None:
    """Mark this station's copy of a lease as given back (the server has settled it)."""
    with store.write() as session:
        session.execute(update(_L).where(_L.c.id == lease_id, _L.c.returned_at.is_(None))
                        .values(returned_at=at))


def wanted(store: Store, member_id: uuid.UUID, now: datetime | None = None) -> list[tuple[uuid.UUID, int]]:
    """The leases this station should ask for now: (product, size), sized by ``domain.sales.lease_size``.

    Every product on sale now or within a lease's life (a station that is
    offline when sales open still sells), for a login that may sell, is kept at least
    half a lease ahead (a lease ending within ``LEASE_RENEW_BEFORE`` does not
    count: it is given back at this sync).
    """
    now = now or utcnow()
    with store.read() as session:
        me = session.get(Member, member_id)
        if me is None or not may(me.role, Action.SELL):
            return []
        products = session.scalars(
            select(Product.id).join(Event, Event.id == Product.event_id)
            .where(Event.organization_id == me.organization_id,
                   Product.sales_opens_at <= now + LEASE_DURATION, Product.sales_closes_at > now)
            .order_by(Product.id)).all()
        if not products:
            return []
        have = dict(session.execute(
            select(_L.c.product_id, func.sum(_L.c.size - _L.c.used))
            .where(_L.c.returned_at.is_(None), _L.c.expires_at > now + LEASE_RENEW_BEFORE)
            .group_by(_L.c.product_id)).all())
        recent = dict(session.execute(
            select(SoldTicket.product_id, func.count()).join(Order, Order.id == SoldTicket.order_id)
            .where(Order.sold_at >= now - LEASE_RATE_WINDOW).group_by(SoldTicket.product_id)).all())
    out = []
    for product_id in products:
        size = lease_size(int(recent.get(product_id) or 0))
        left = int(have.get(product_id) or 0)
        if left < size / 2:
            out.append((product_id, size - left))
    return out
