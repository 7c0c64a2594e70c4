"""A product's places on its kept counters: each move is one conditional UPDATE, never a read then a write.

``product_counters`` holds per product ``quota``, ``sold`` and ``held``
(places leases to stations and waitlist offers hold), with the check
constraint ``sold + held <= quota``. Every sale claims its places with

    UPDATE product_counters SET sold = sold + :n
    WHERE product_id = :p AND sold + held + :n <= quota

No row hit means no room. The statement locks the row until the sale's
transaction ends (PostgreSQL re-evaluates the condition on the latest
version after waiting; SQLite has one writer at a time), so concurrent
sales, in one server process or several, queue on it and each sees the
ones before: the decision and the increment cannot be separated. An order
of several products claims them in the order of their ids, so two orders
never wait on each other in a circle.

**Lock order.** A statement that moves a product's places and another row
(a lease, a waitlist entry) locks the product's counter row first
(``lock``), and several products in the order of their ids: two
transactions then never hold what the other waits for (a settle and an
expiry sweep of the same lease deadlocked before this rule).

The invariant, which ``mismatches`` checks: ``sold`` is the product's sold
tickets not refunded, and ``held`` is the unused places of its open leases
plus its open waitlist offers.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from boxoffice.domain.enums import WaitlistStatus
from boxoffice.store.models import PlaceLease, ProductCounter, SoldTicket, WaitlistEntry

_C = cast(Table, ProductCounter.__table__)
_P: Any = bindparam("q_product")
_N: Any = bindparam("q_n")
_WHERE = _C.c.product_id == _P

_SELL = update(_C).where(_WHERE, _C.c.sold + _C.c.held + _N <= _C.c.quota) \
    .values(sold=_C.c.sold + _N).returning(_C.c.sold)
_HOLD = update(_C).where(_WHERE, _C.c.sold + _C.c.held + _N <= _C.c.quota) \
    .values(held=_C.c.held + _N).returning(_C.c.held)
_HELD_TO_SOLD = update(_C).where(_WHERE, _C.c.held >= _N) \
    .values(held=_C.c.held - _N, sold=_C.c.sold + _N).returning(_C.c.sold)
_RELEASE = update(_C).where(_WHERE, _C.c.held >= _N).values(held=_C.c.held - _N).returning(_C.c.held)
_UNSELL = update(_C).where(_WHERE, _C.c.sold >= _N).values(sold=_C.c.sold - _N).returning(_C.c.sold)
_SET_QUOTA = update(_C).where(_WHERE, _C.c.sold + _C.c.held <= bindparam("q_quota")) \
    .values(quota=bindparam("q_quota")).returning(_C.c.quota)


_LOCK = select(_C.c.product_id).where(_WHERE).with_for_update()


def lock(session: Session, product_id: uuid.UUID) -> None:
    """Lock the product's counter row until the transaction ends (SQLite's one writer already does)."""
    session.execute(_LOCK, {"q_product": product_id})


def _moved(session: Session, statement: Any, product_id: uuid.UUID, n: int) -> bool:
    return session.execute(statement, {"q_product": product_id, "q_n": n}).first() is not None


def sell(session: Session, product_id: uuid.UUID, n: int) -> bool:
    """Sell ``n`` free places; False (nothing changed) when fewer are free."""
    return _moved(session, _SELL, product_id, n)


def hold(session: Session, product_id: uuid.UUID, n: int) -> bool:
    """Hold ``n`` free places (for a lease or an offer); False when fewer are free."""
    return _moved(session, _HOLD, product_id, n)


def held_to_sold(session: Session, product_id: uuid.UUID, n: int) -> bool:
    """Sell ``n`` places that were held (a lease's sale arriving, an accepted offer)."""
    return _moved(session, _HELD_TO_SOLD, product_id, n)


def release(session: Session, product_id: uuid.UUID, n: int) -> bool:
    """Give back ``n`` held places (a lease returned, an offer expired)."""
    return n == 0 or _moved(session, _RELEASE, product_id, n)


def unsell(session: Session, product_id: uuid.UUID, n: int) -> bool:
    """Free ``n`` sold places (a refund); never below zero."""
    return _moved(session, _UNSELL, product_id, n)


def set_quota(session: Session, product_id: uuid.UUID, quota: int) -> bool:
    """Change the quota, only while it stays at or above what is sold and held."""
    return session.execute(_SET_QUOTA, {"q_product": product_id, "q_quota": quota}).first() is not None


def counters(session: Session, product_id: uuid.UUID) -> tuple[int, int, int]:
    """(quota, sold, held) as of now: for a sentence and a view, never for a decision."""
    row = session.execute(select(_C.c.quota, _C.c.sold, _C.c.held).where(_C.c.product_id == product_id)).one()
    return int(row.quota), int(row.sold), int(row.held)


def mismatches(session: Session) -> list[str]:
    """Every product whose kept counters differ from a recount, as a sentence; empty when true."""
    sold = dict(session.execute(
        select(SoldTicket.product_id, func.count()).where(SoldTicket.refund_id.is_(None))
        .group_by(SoldTicket.product_id)).all())
    held = dict(session.execute(
        select(PlaceLease.product_id, func.sum(PlaceLease.size - PlaceLease.used))
        .where(PlaceLease.returned_at.is_(None)).group_by(PlaceLease.product_id)).all())
    for product_id, n in session.execute(
            select(WaitlistEntry.product_id, func.count())
            .where(WaitlistEntry.status == WaitlistStatus.OFFERED).group_by(WaitlistEntry.product_id)):
        held[product_id] = int(held.get(product_id) or 0) + n
    out = []
    for product_id, quota, kept_sold, kept_held in session.execute(
            select(_C.c.product_id, _C.c.quota, _C.c.sold, _C.c.held)):
        s, h = int(sold.get(product_id) or 0), int(held.get(product_id) or 0)
        if (s, h) != (kept_sold, kept_held) or kept_sold + kept_held > quota:
            out.append(f"product {product_id}: kept sold {kept_sold}, held {kept_held} (quota {quota}); "
                       f"recount sold {s}, held {h}")
    return out
