"""Refunds: money back for some or all tickets of an order, their places freed, their bands voided.

A refund is per ticket: the whole order, or the tickets named by code. In
one transaction it records the money given back (the way the order was
paid: cash back counts against the station's expected cash), marks the
tickets refunded and void, frees their places on the product's counters
(one conditional UPDATE that never goes below zero, ``quotas.unsell``),
offers the freed places to the waitlist, and voids every band encoded for
those tickets through ``band_status.void_band``, the same call a person
voiding a band makes: from then on ``domain.access`` denies it at every
gate (``band_void``). A ticket refunded before is a sentence and nothing
is written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from boxoffice.domain.enums import BandStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.validation import validate_reason
from boxoffice.errors import NotFoundError, SalesStateError
from boxoffice.schemas.sales import RefundView
from boxoffice.services import band_status, quotas, waitlist
from boxoffice.services.actor import Actor
from boxoffice.services.product_lookup import require_authority
from boxoffice.services.sales import find_order
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Refund, SoldTicket, Ticket, Wristband
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


def refund(store: Store, actor: Actor, reference: str, *, reason: str,
           ticket_codes: Sequence[str] | None = None, station: str | None = None,
           now: datetime | None = None) -> RefundView:
    """Refund the tickets ``ticket_codes`` of an order (all of them when None); the refund, or a sentence."""
    actor.require(Action.REFUND)
    require_authority(store)
    reason = validate_reason("reason", "reason for the refund", reason)
    now = now or utcnow()
    with store.write() as session:
        order = find_order(session, actor, reference)
        rows: list[tuple[SoldTicket, Ticket]] = [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(SoldTicket, Ticket).join(Ticket, Ticket.id == SoldTicket.ticket_id)
            .where(SoldTicket.order_id == order.id).order_by(Ticket.code))]
        if ticket_codes:
            wanted = {c.strip().upper() for c in ticket_codes}
            known = {t.code.upper() for _, t in rows}
            missing = sorted(wanted - known)
            if missing:
                raise NotFoundError("ticket", f"{missing[0]} in order {order.reference}")
            rows = [(st, t) for st, t in rows if t.code.upper() in wanted]
            done = [t.code for st, t in rows if st.refund_id is not None]
            if done:
                raise SalesStateError(f"Ticket {done[0]} of order {order.reference} was already refunded; "
                                      "nothing was refunded.")
        else:
            rows = [(st, t) for st, t in rows if st.refund_id is None]
            if not rows:
                raise SalesStateError(f"Every ticket of order {order.reference} was already refunded; "
                                      "nothing was refunded.")
        record = Refund(id=new_id(), order_id=order.id, amount_minor=sum(st.price_minor for st, _ in rows),
                        payment=order.payment, reason=reason, station=station, operator_id=actor.member_id,
                        refunded_at=now)
        session.add(record)
        session.flush()
        ids = [st.ticket_id for st, _ in rows]
        # Conditional on "not refunded yet": a concurrent refund of the same ticket refunds it once.
        hit = session.execute(
            update(SoldTicket).where(SoldTicket.ticket_id.in_(ids), SoldTicket.refund_id.is_(None))
            .values(refund_id=record.id).returning(SoldTicket.ticket_id)).all()
        if len(hit) != len(ids):
            raise SalesStateError(f"A ticket of order {order.reference} was refunded meanwhile; nothing was "
                                  "refunded. Look the order up again.")
        for _, ticket in rows:
            ticket.voided_at = now
        for product_id, n in sorted(Counter(st.product_id for st, _ in rows).items()):
            if not quotas.unsell(session, product_id, n):
                raise RuntimeError(f"product {product_id} has fewer sold places than order {order.reference}")
            waitlist.offer_freed(session, product_id, now)
        session.flush()
        bands = session.execute(select(Wristband.uid).where(
            Wristband.ticket_id.in_(ids), Wristband.status == BandStatus.ACTIVE)).scalars().all()
        for uid in bands:
            band_status.void_band(store, actor, uid, reason=f"refunded (order {order.reference})",
                                  event_ref=str(order.event_id))
        log.info("order %s: %d tickets refunded (%d minor units, %s) by %s: %s", order.reference, len(rows),
                 record.amount_minor, order.payment.value, actor.email, reason)
        return RefundView(id=record.id, order_id=order.id, reference=order.reference,
                          amount_minor=record.amount_minor, currency=order.currency, payment=record.payment,
                          ticket_codes=[t.code for _, t in rows], reason=reason, refunded_at=now)
