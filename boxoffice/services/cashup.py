"""The cash-up's figures: per station and operator over a time range, what was sold, given back and owed.

The data for the end-of-shift report (the PDF and CSV come later, from
``reports``): sales by product and payment kind, refunds, complimentary
tickets with their reasons, and the cash the drawer should hold: cash
tendered, less change given, less cash refunded, per currency. A refund
counts in the range and against the station and operator that made it,
not the ones that sold the order. For managers, sales per product per hour.

Who sees what is ``permissions.sales_seen``: a manager every station and
operator; a box-office station login only what it sold and refunded itself
(its own drawer), the view saying so (``own_only``).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select

from boxoffice.domain.enums import PaymentKind
from boxoffice.domain.permissions import Action, sales_seen
from boxoffice.domain.validation import ensure_aware
from boxoffice.errors import ValidationError
from boxoffice.schemas.sales import (
    CashUpGroup,
    CashUpView,
    ComplimentaryLine,
    HourlySales,
    RefundLine,
    SalesLine,
)
from boxoffice.services import refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Member, Order, Product, Refund, SoldTicket

log = logging.getLogger(__name__)

Key = tuple[str | None, uuid.UUID | None]


def cash_up(store: Store, actor: Actor, *, start: datetime, end: datetime,
            event_ref: str | None = None, station: str | None = None) -> CashUpView:
    """Everything sold and refunded in ``[start, end)``, grouped by station and operator.

    ``station`` narrows it to one counter (one drawer); an actor who sees only its own sales
    (``permissions.sales_seen``) gets the orders and refunds it made itself.
    """
    seen = sales_seen(actor.role)
    if seen is None:
        actor.require(Action.VIEW_SALES)
    own = actor.member_id if seen == "own" else None
    ensure_aware("start", start)
    ensure_aware("end", end)
    if end <= start:
        raise ValidationError.single("end", "The end of the range must come after its start.")
    with store.read() as session:
        orders = select(Order).where(Order.organization_id == actor.organization_id,
                                     Order.sold_at >= start, Order.sold_at < end)
        event_id = refs.event(session, actor, event_ref).id if event_ref is not None else None
        if event_id is not None:
            orders = orders.where(Order.event_id == event_id)
        if station is not None:
            orders = orders.where(Order.station == station)
        if own is not None:
            orders = orders.where(Order.operator_id == own)
        order_rows = session.scalars(orders).all()
        by_id = {o.id: o for o in order_rows}
        lines = session.execute(
            select(SoldTicket.order_id, Product.name, func.count(), func.sum(SoldTicket.price_minor))
            .join(Product, Product.id == SoldTicket.product_id)
            .where(SoldTicket.order_id.in_(list(by_id))).group_by(SoldTicket.order_id, Product.name)).all()
        refund_query = (select(Refund, Order.currency, func.count(SoldTicket.ticket_id))
                        .join(Order, Order.id == Refund.order_id)
                        .outerjoin(SoldTicket, SoldTicket.refund_id == Refund.id)
                        .where(Order.organization_id == actor.organization_id,
                               Refund.refunded_at >= start, Refund.refunded_at < end)
                        .group_by(Refund.id, Order.currency))
        if event_id is not None:
            refund_query = refund_query.where(Order.event_id == event_id)
        if station is not None:
            refund_query = refund_query.where(Refund.station == station)
        if own is not None:
            refund_query = refund_query.where(Refund.operator_id == own)
        refund_rows = session.execute(refund_query).all()
        operators = {m.id: m.email for m in session.scalars(select(Member).where(
            Member.organization_id == actor.organization_id))}

    sales: dict[Key, dict[tuple[str, PaymentKind, str], list[int]]] = defaultdict(dict)
    comps: dict[Key, list[ComplimentaryLine]] = defaultdict(list)
    cash: dict[Key, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hourly: dict[tuple[str, datetime], int] = defaultdict(int)
    counted: dict[uuid.UUID, int] = defaultdict(int)
    for order_id, product, n, amount in lines:
        order = by_id[order_id]
        key = (order.station, order.operator_id)
        figures = sales[key].setdefault((product, order.payment, order.currency), [0, 0])
        figures[0] += n
        figures[1] += int(amount or 0)
        counted[order_id] += n
        hourly[(product, order.sold_at.replace(minute=0, second=0, microsecond=0))] += n
    for order in order_rows:
        key = (order.station, order.operator_id)
        if order.payment is PaymentKind.CASH:
            cash[key][order.currency] += (order.tendered_minor or 0) - (order.change_minor or 0)
        elif order.payment is PaymentKind.COMPLIMENTARY:
            comps[key].append(ComplimentaryLine(reference=order.reference, tickets=counted[order.id],
                                                reason=order.comp_reason or ""))
    refunds: dict[Key, dict[tuple[PaymentKind, str], list[int]]] = defaultdict(dict)
    for refund, currency, n in refund_rows:
        key = (refund.station, refund.operator_id)
        figures = refunds[key].setdefault((refund.payment, currency), [0, 0])
        figures[0] += n
        figures[1] += refund.amount_minor
        if refund.payment is PaymentKind.CASH:
            cash[key][currency] -= refund.amount_minor
    groups = []
    keys = set(sales) | set(refunds) | set(comps) | set(cash)
    for key in sorted(keys, key=lambda k: (k[0] or "", str(k[1]))):
        station, operator_id = key
        groups.append(CashUpGroup(
            station=station, operator=operators.get(operator_id) if operator_id else None,
            sales=[SalesLine(product=p, payment=k, currency=c, tickets=f[0], amount_minor=f[1])
                   for (p, k, c), f in sorted(sales[key].items())],
            refunds=[RefundLine(payment=k, currency=c, tickets=f[0], amount_minor=f[1])
                     for (k, c), f in sorted(refunds[key].items())],
            complimentary=comps[key], expected_cash=dict(cash[key])))
    per_hour = [HourlySales(product=p, hour=h, tickets=n) for (p, h), n in sorted(hourly.items())]
    return CashUpView(start=start, end=end, groups=groups, hourly=per_hour, own_only=own is not None)
