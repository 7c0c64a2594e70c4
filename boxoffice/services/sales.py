"""Selling at the door: an order of products and quantities, paid, with one ticket per place.

``sell`` is the Sales page's one call: it checks everything a person can
get wrong before anything is written (unknown product, sales window,
quantities, cash short of the total, a card without its reference, a
complimentary ticket without its reason), then in one transaction claims
the places and writes the order. Where the places come from depends on the
database:

- **the central server, or a database of its own**: off the product's kept
  counters, one conditional UPDATE per product (``services.quotas``); an
  order of several products is all or nothing;
- **a station logged in to a server**: off the leases the server granted it
  (``services.place_leases``), so it sells the same way online or offline;
  the order is queued in the outbox (``order.sell``) and the server counts
  it against the same lease when it arrives (``record_pushed``).

Each order gets a booking reference staff can read aloud
(``domain.sales.new_reference``, unique per organization: a clash is
retried with a new one), and each place a ``tickets`` row with the code
``REFERENCE-n``, linked to the product's series. That code is what the
encoder's ``ticket_ref`` takes (``encoding_bands.plan_band``), so the band
encoded for it is linked to the ticket, and a refund voids that band.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from boxoffice.domain.enums import PaymentKind, WaitlistStatus
from boxoffice.domain.money import format_money
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import NEW, EventId, New, NotARef, ProductId
from boxoffice.domain.sales import change_due, new_reference, ticket_code
from boxoffice.domain.validation import (
    INTEGER_RANGE,
    MAX_LINES_PER_ORDER,
    MAX_PAYMENT_REFERENCE,
    REFERENCE_ATTEMPTS,
    integer_problem,
    quantity_problem,
    station_time_problem,
    validate_holder_email,
    validate_holder_name,
    validate_optional_text,
    validate_reason,
)
from boxoffice.errors import NotFoundError, SalesStateError, SoldOutError, ValidationError
from boxoffice.schemas.sales import OrderView, SoldTicketView
from boxoffice.services import outbox, place_leases, quotas, waitlist
from boxoffice.services.actor import Actor
from boxoffice.services.product_lookup import find, require_authority
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Event,
    Order,
    Product,
    ProductSeries,
    SeriesTicket,
    SoldTicket,
    Ticket,
    WaitlistEntry,
)
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


class Payment(BaseModel):
    """How a sale is paid: cash (what was handed over), card (the terminal's reference), or complimentary
    (why)."""

    model_config = ConfigDict(frozen=True)

    kind: PaymentKind
    tendered_minor: int | None = None
    card_reference: str | None = None
    reason: str | None = None

    @classmethod
    def cash(cls, tendered_minor: int) -> Payment:
        return cls(kind=PaymentKind.CASH, tendered_minor=tendered_minor)

    @classmethod
    def card(cls, reference: str) -> Payment:
        return cls(kind=PaymentKind.CARD, card_reference=reference)

    @classmethod
    def complimentary(cls, reason: str) -> Payment:
        return cls(kind=PaymentKind.COMPLIMENTARY, reason=reason)


class Holder(BaseModel):
    """Whose tickets these are, when the buyer gives it (both optional)."""

    name: str | None = None
    email: str | None = None


class TicketSold(outbox.Payload):
    ticket_id: New
    code: str
    product_id: ProductId
    price_minor: int
    lease_id: Annotated[uuid.UUID | None, NotARef("a lease: the server counts it only if it is the pusher's "
                                                  "(place_leases.consume)")] = None


class OrderSellChange(outbox.Payload):
    """An order as a station recorded it, with the lease each ticket was sold from."""

    id: New
    event_id: EventId
    reference: str
    station: str | None
    holder_name: str | None
    holder_email: str | None
    currency: str
    total_minor: int
    payment: PaymentKind
    tendered_minor: int | None
    change_minor: int | None
    card_reference: str | None
    comp_reason: str | None
    sold_at: datetime
    tickets: list[TicketSold]


outbox.declare("order.sell", OrderSellChange, NEW)


def _lines(session: Session, actor: Actor, lines: Sequence[tuple[str, int]],
           event_ref: str | None) -> list[tuple[Product, int]]:
    """The products of a sale with their quantities (a product named twice counts once, added up)."""
    if not lines:
        raise ValidationError.single("lines", "Add at least one product to the sale.")
    if len(lines) > MAX_LINES_PER_ORDER:
        raise ValidationError.single("lines", f"A sale has at most {MAX_LINES_PER_ORDER} lines.")
    problems = [p for _, qty in lines if (p := quantity_problem(qty)) is not None]
    if problems:
        raise ValidationError(problems[:1])
    counted: Counter[uuid.UUID] = Counter()
    products: dict[uuid.UUID, Product] = {}
    for ref, qty in lines:
        product = find(session, actor, ref, event_ref)
        products[product.id] = product
        counted[product.id] += qty
    out = []
    for product_id in sorted(counted):  # claimed in id order: two orders never wait on each other in a circle
        product, qty = products[product_id], counted[product_id]
        problem = quantity_problem(qty, product.name)
        if problem is not None:
            raise ValidationError([problem])
        out.append((product, qty))
    if len({p.event_id for p, _ in out}) > 1:
        raise ValidationError.single("lines", "One sale is for one event; sell the others separately.")
    if len({p.currency for p, _ in out}) > 1:
        raise ValidationError.single("lines", "The products are priced in different currencies; "
                                              "sell them separately.")
    return out


def _check_window(product: Product, at: datetime) -> None:
    if at < product.sales_opens_at:
        raise ValidationError.single("lines", f"Sales of {product.name} open at "
                                              f"{product.sales_opens_at:%Y-%m-%d %H:%M} UTC; not yet.")
    if at >= product.sales_closes_at:
        raise ValidationError.single("lines", f"Sales of {product.name} closed at "
                                              f"{product.sales_closes_at:%Y-%m-%d %H:%M} UTC.")


def check_payment(payment: Payment, total_minor: int, currency: str) -> Payment:
    """The payment as kept, or a sentence for what is missing or short; nothing is written before this."""
    if payment.kind is PaymentKind.CASH:
        if payment.tendered_minor is None:
            raise ValidationError.single("tendered", "Say how much cash was handed over.")
        problem = integer_problem("tendered", "cash tendered", payment.tendered_minor, (0, INTEGER_RANGE[1]))
        if problem is not None:
            raise ValidationError([problem])
        if payment.tendered_minor < total_minor:
            short = total_minor - payment.tendered_minor
            given, due, more = (format_money(payment.tendered_minor, currency),
                                format_money(total_minor, currency), format_money(short, currency))
            raise ValidationError.single(
                "tendered", f"Cash tendered ({given}) is less than the total ({due}): {more} more is due.")
        return Payment.cash(payment.tendered_minor)
    if payment.kind is PaymentKind.CARD:
        ref = validate_optional_text("card_reference", "card payment's reference", payment.card_reference,
                                     MAX_PAYMENT_REFERENCE)
        if ref is None:
            raise ValidationError.single("card_reference",
                                         "Type the card terminal's reference for this payment.")
        return Payment.card(ref)
    return Payment.complimentary(validate_reason("reason", "reason for the complimentary tickets",
                                                 payment.reason))


def order_view(session: Session, order: Order) -> OrderView:
    rows = session.execute(
        select(SoldTicket, Ticket.code, Product.name)
        .join(Ticket, Ticket.id == SoldTicket.ticket_id).join(Product, Product.id == SoldTicket.product_id)
        .where(SoldTicket.order_id == order.id).order_by(Ticket.code)).all()
    tickets = [SoldTicketView(ticket_id=st.ticket_id, code=code, product_id=st.product_id, product=name,
                              price_minor=st.price_minor, refunded=st.refund_id is not None)
               for st, code, name in rows]
    return OrderView(
        id=order.id, reference=order.reference, event_id=order.event_id, station=order.station,
        operator_id=order.operator_id, holder_name=order.holder_name, holder_email=order.holder_email,
        currency=order.currency, total_minor=order.total_minor, payment=order.payment,
        tendered_minor=order.tendered_minor, change_minor=order.change_minor,
        card_reference=order.card_reference, comp_reason=order.comp_reason, sold_at=order.sold_at,
        tickets=tickets)


def _write_order(session: Session, actor: Actor, *, order_id: uuid.UUID, event_id: uuid.UUID, reference: str,
                 station: str | None, holder: Holder, currency: str, payment: Payment,
                 tickets: list[TicketSold], sold_at: datetime) -> Order:
    """Insert the order and its tickets; a reference (or ticket code) another order has is replaced."""
    ev = session.get_one(Event, event_id)
    series_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    for t in tickets:
        if t.product_id not in series_of:
            series_of[t.product_id] = list(session.scalars(
                select(ProductSeries.series_id).where(ProductSeries.product_id == t.product_id)))
    categories = dict(session.execute(select(Product.id, Product.category_id).where(
        Product.id.in_(list(series_of)))).all())
    total = sum(t.price_minor for t in tickets)
    change = (change_due(total, payment.tendered_minor)
              if payment.kind is PaymentKind.CASH and payment.tendered_minor is not None else None)
    for attempt in range(REFERENCE_ATTEMPTS):
        if attempt:
            reference = new_reference()
        try:
            with session.begin_nested():
                order = Order(id=order_id, organization_id=ev.organization_id, event_id=ev.id,
                              reference=reference, station=station, operator_id=actor.member_id,
                              holder_name=holder.name, holder_email=holder.email, currency=currency,
                              total_minor=total, payment=payment.kind, tendered_minor=payment.tendered_minor,
                              change_minor=change, card_reference=payment.card_reference,
                              comp_reason=payment.reason, sold_at=sold_at)
                session.add(order)
                session.flush()
                for i, t in enumerate(tickets, start=1):
                    code = t.code if attempt == 0 else ticket_code(reference, i)
                    session.add(Ticket(id=t.ticket_id, event_id=ev.id, category_id=categories[t.product_id],
                                       code=code, holder_name=holder.name, holder_email=holder.email))
                session.flush()
                for t in tickets:
                    session.add_all(SeriesTicket(series_id=s, ticket_id=t.ticket_id)
                                    for s in series_of[t.product_id])
                    session.add(SoldTicket(ticket_id=t.ticket_id, order_id=order.id, product_id=t.product_id,
                                           price_minor=t.price_minor, lease_id=t.lease_id))
                session.flush()
        except IntegrityError:
            log.info("booking reference %s is taken in this organization; trying another", reference)
            continue
        return order
    raise SalesStateError("No free booking reference was found; try the sale again. Nothing was sold.")


def _tickets(reference: str, allocations: list[tuple[Product, int, list[uuid.UUID | None]]],
             payment: Payment) -> list[TicketSold]:
    tickets: list[TicketSold] = []
    for product, _, leases in allocations:
        price = 0 if payment.kind is PaymentKind.COMPLIMENTARY else product.price_minor
        for lease_id in leases:
            tickets.append(TicketSold(ticket_id=new_id(), code=ticket_code(reference, len(tickets) + 1),
                                      product_id=product.id, price_minor=price, lease_id=lease_id))
    return tickets


def sell(store: Store, actor: Actor, *, lines: Sequence[tuple[str, int]], payment: Payment,
         holder: Holder | None = None, station: str | None = None, event_ref: str | None = None,
         now: datetime | None = None) -> OrderView:
    """Sell ``lines`` ((product name or id, quantity), …) paid by ``payment``; the order, or a sentence.

    Nothing is written when any line cannot be sold: an order is all or nothing.
    """
    actor.require(Action.SELL)
    now = now or utcnow()
    holder = Holder(name=validate_holder_name(holder.name if holder else None),
                    email=validate_holder_email(holder.email if holder else None))
    station = validate_optional_text("station", "station name", station, 120)
    reclaimed = False
    while True:
        try:
            return _sell_once(store, actor, lines, payment, holder, station, event_ref, now)
        except SoldOutError as exc:
            # Places of leases expired long ago may still be held: return them once, then try again.
            if reclaimed or store.mode == "station" or exc.product_id is None:
                raise
            reclaimed = True
            if not place_leases.reclaim_expired(store, product_id=exc.product_id, now=now):
                raise


def _sell_once(store: Store, actor: Actor, lines: Sequence[tuple[str, int]], payment: Payment, holder: Holder,
               station: str | None, event_ref: str | None, now: datetime) -> OrderView:
    with store.write() as session:
        wanted = _lines(session, actor, lines, event_ref)
        for product, _ in wanted:
            _check_window(product, now)
        currency = wanted[0][0].currency
        total = 0 if payment.kind is PaymentKind.COMPLIMENTARY else sum(p.price_minor * q for p, q in wanted)
        kept = check_payment(payment, total, currency)
        allocations: list[tuple[Product, int, list[uuid.UUID | None]]] = []
        for product, qty in wanted:
            if store.mode == "station":
                taken = place_leases.take(session, product, qty, now)
                leases: list[uuid.UUID | None] = [lid for lid, k in taken for _ in range(k)]
            else:
                if not quotas.sell(session, product.id, qty):
                    quota, sold, held = quotas.counters(session, product.id)
                    free = max(0, quota - sold - held)
                    raise SoldOutError(
                        f"{product.name} is sold out: no place is free. Nothing was sold." if free == 0 else
                        f"Only {free} place{'s' if free != 1 else ''} of {product.name} "
                        f"{'are' if free != 1 else 'is'} left; {qty} were asked for. Nothing was sold.",
                        product_id=product.id)
                leases = [None] * qty
            allocations.append((product, qty, leases))
        reference = new_reference()
        tickets = _tickets(reference, allocations, kept)
        order = _write_order(session, actor, order_id=new_id(), event_id=wanted[0][0].event_id,
                             reference=reference, station=station, holder=holder, currency=currency,
                             payment=kept, tickets=tickets, sold_at=now)
        view = order_view(session, order)
        outbox.record(session, actor, "order.sell", order.id, _change(order, tickets))
        log.info("order %s: %d tickets, %s by %s at %s", order.reference, len(tickets),
                 format_money(order.total_minor, currency), kept.kind.value, station or actor.email)
        return view


def _change(order: Order, tickets: list[TicketSold]) -> dict[str, object]:
    return OrderSellChange(
        id=order.id, event_id=order.event_id, reference=order.reference, station=order.station,
        holder_name=order.holder_name, holder_email=order.holder_email, currency=order.currency,
        total_minor=order.total_minor, payment=order.payment, tendered_minor=order.tendered_minor,
        change_minor=order.change_minor, card_reference=order.card_reference, comp_reason=order.comp_reason,
        sold_at=order.sold_at, tickets=tickets).model_dump()


def record_pushed(store: Store, actor: Actor, change: OrderSellChange, *,
                  now: datetime | None = None) -> None:
    """Keep an order a station sold (offline or from its lease), counting it against the lease it names.

    A ticket whose lease is no longer open (its places went back after it
    expired) takes a free place like an online sale; with none free the
    whole order is refused with a sentence, and the station shows it among
    the refused changes: the one way a station's sale can fail. It never
    oversells.
    """
    actor.require(Action.SELL)
    now = now or utcnow()
    problem = station_time_problem("sold_at", "time of the sale", change.sold_at, now)
    if problem is not None:
        raise ValidationError([problem])
    if not change.tickets:
        raise ValidationError.single("tickets", "An order without tickets was pushed; nothing to keep.")
    with store.write() as session:
        if session.get(Order, change.id) is not None:
            return
        names = {}
        groups: Counter[tuple[uuid.UUID, uuid.UUID | None]] = Counter()
        for t in change.tickets:
            groups[(t.product_id, t.lease_id)] += 1
        for (product_id, lease_id), n in sorted(groups.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            product = session.get_one(Product, product_id)
            names[product_id] = product.name
            if product.event_id != change.event_id:
                raise ValidationError.single("tickets",
                                             f"{product.name} is not a product of this order's event.")
            if lease_id is not None and place_leases.consume(session, actor, lease_id, product_id, n):
                continue
            if quotas.sell(session, product_id, n):
                log.info("order %s: %d of %s came after its lease ended; free places took them",
                         change.reference, n, product.name)
                continue
            raise SoldOutError(
                f"Order {change.reference} ({n} × {product.name}, sold at {change.station or 'a station'} "
                f"on {change.sold_at:%Y-%m-%d %H:%M} UTC) came after the station's lease of places had "
                f"ended, and {product.name} has no place left: the sale cannot be kept. Refund the buyer.")
        payment = Payment(kind=change.payment, tendered_minor=change.tendered_minor,
                          card_reference=change.card_reference, reason=change.comp_reason)
        order = _write_order(session, actor, order_id=change.id, event_id=change.event_id,
                             reference=change.reference, station=change.station,
                             holder=Holder(name=change.holder_name, email=change.holder_email),
                             currency=change.currency, payment=payment, tickets=change.tickets,
                             sold_at=change.sold_at)
        if order.reference != change.reference:
            log.warning("order %s from %s was given the reference %s (its own was taken)", change.reference,
                        change.station, order.reference)


def accept_offer(store: Store, actor: Actor, entry_id: uuid.UUID, *, payment: Payment,
                 station: str | None = None, holder: Holder | None = None,
                 now: datetime | None = None) -> OrderView:
    """Sell the place a waitlist offer holds to its person (the offer's place, not a free one)."""
    actor.require(Action.SELL)
    require_authority(store)
    now = now or utcnow()
    with store.write() as session:
        entry = session.get(WaitlistEntry, entry_id)
        product = session.get(Product, entry.product_id) if entry is not None else None
        ev = session.get(Event, product.event_id) if product is not None else None
        if entry is None or product is None or ev is None or ev.organization_id != actor.organization_id:
            raise NotFoundError("waitlist entry", entry_id)
        waitlist.expire_offers(session, product.id, now)
        session.refresh(entry)
        if entry.status is WaitlistStatus.SERVED:
            raise SalesStateError(f"{entry.name} has already been served; nothing was sold.")
        if entry.status is not WaitlistStatus.OFFERED:
            raise SalesStateError(f"{entry.name} has no open offer (it is {entry.status.value}); "
                                  "nothing was sold.")
        _check_window(product, now)
        total = 0 if payment.kind is PaymentKind.COMPLIMENTARY else product.price_minor
        kept = check_payment(payment, total, product.currency)
        quotas.lock(session, product.id)  # the counter before the entry: the one lock order (``quotas``)
        served = session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id == entry.id, WaitlistEntry.status == WaitlistStatus.OFFERED)
            .values(status=WaitlistStatus.SERVED).returning(WaitlistEntry.id)).first()
        if served is None or not quotas.held_to_sold(session, product.id, 1):
            raise SalesStateError(f"{entry.name}'s offer was just taken or ended; nothing was sold.")
        reference = new_reference()
        tickets = _tickets(reference, [(product, 1, [None])], kept)
        who = Holder(name=validate_holder_name(holder.name if holder and holder.name else entry.name),
                     email=validate_holder_email(holder.email if holder else None))
        order = _write_order(session, actor, order_id=new_id(), event_id=product.event_id,
                             reference=reference, station=station, holder=who, currency=product.currency,
                             payment=kept, tickets=tickets, sold_at=now)
        session.execute(update(WaitlistEntry).where(WaitlistEntry.id == entry.id).values(order_id=order.id))
        log.info("waitlist: %s bought %s (order %s)", entry.name, product.name, order.reference)
        return order_view(session, order)


def get_order(store: Store, actor: Actor, reference: str) -> OrderView:
    """An order by its booking reference (any case, as read aloud)."""
    actor.require(Action.SELL)
    with store.read() as session:
        return order_view(session, find_order(session, actor, reference))


def find_order(session: Session, actor: Actor, reference: str) -> Order:
    ref = reference.strip().upper()
    order = session.scalar(select(Order).where(Order.organization_id == actor.organization_id,
                                               Order.reference == ref))
    if order is None:
        raise NotFoundError("order with booking reference", reference.strip())
    return order


__all__ = ["Holder", "OrderSellChange", "Payment", "TicketSold", "accept_offer", "check_payment",
           "find_order", "get_order", "order_view", "record_pushed", "sell"]
