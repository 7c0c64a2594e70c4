"""Routes of the door sales: products, orders, refunds, leases of places, the waitlist, the cash-up.

Thin over ``boxoffice.services`` (products, sales, refunds, place_leases,
waitlist, cashup): each route is one service call, and every refusal is
that service's sentence.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, Field

from boxoffice.domain.enums import PaymentKind
from boxoffice.domain.validation import (
    MAX_CONTACT,
    MAX_HOLDER_NAME,
    MAX_LEASE,
    MAX_LINES_PER_ORDER,
    MAX_NAME_LENGTH,
    MAX_PAYMENT_REFERENCE,
    MAX_REASON,
)
from boxoffice.programs.server import requests as rq
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.schemas.sales import (
    CashUpView,
    LeaseView,
    OrderView,
    ProductView,
    RefundView,
    WaitlistEntryView,
)
from boxoffice.services import cashup, place_leases, products, refunds, sales, waitlist

router = APIRouter(prefix="/api", responses=rq.ERROR_RESPONSES)

Text = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]


class ProductCreate(rq.Body):
    event_id: uuid.UUID
    name: Text
    category: Text
    series: Annotated[list[Text], Field(min_length=1, max_length=50)]
    price_minor: int
    currency: Annotated[str, Field(max_length=8)]
    sales_opens_at: AwareDatetime
    sales_closes_at: AwareDatetime
    quota: int


class ProductUpdate(rq.Body):
    name: Text | None = None
    price_minor: int | None = None
    currency: Annotated[str | None, Field(max_length=8)] = None
    sales_opens_at: AwareDatetime | None = None
    sales_closes_at: AwareDatetime | None = None
    quota: int | None = None
    series: Annotated[list[Text] | None, Field(max_length=50)] = None


class Line(rq.Body):
    product: Text
    quantity: int


class PaymentBody(rq.Body):
    kind: PaymentKind
    tendered_minor: int | None = None
    card_reference: Annotated[str | None, Field(max_length=MAX_PAYMENT_REFERENCE * 2)] = None
    reason: Annotated[str | None, Field(max_length=MAX_REASON * 2)] = None


class OrderCreate(rq.Body):
    event_id: uuid.UUID | None = None
    lines: Annotated[list[Line], Field(max_length=MAX_LINES_PER_ORDER * 2)]
    payment: PaymentBody
    holder_name: Annotated[str | None, Field(max_length=MAX_HOLDER_NAME * 2)] = None
    holder_email: Annotated[str | None, Field(max_length=MAX_CONTACT * 2)] = None
    station: Annotated[str | None, Field(max_length=MAX_NAME_LENGTH * 2)] = None


class RefundCreate(rq.Body):
    reason: Annotated[str, Field(max_length=MAX_REASON * 2)]
    tickets: Annotated[list[str] | None, Field(max_length=200)] = None
    station: Annotated[str | None, Field(max_length=MAX_NAME_LENGTH * 2)] = None


class LeaseRequest(rq.Body):
    size: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)] = MAX_LEASE
    station: Annotated[str | None, Field(max_length=MAX_NAME_LENGTH)] = None


class WaitlistAdd(rq.Body):
    name: Annotated[str, Field(max_length=MAX_HOLDER_NAME * 2)]
    contact: Annotated[str, Field(max_length=MAX_CONTACT * 2)]


class OfferAccept(rq.Body):
    payment: PaymentBody
    station: Annotated[str | None, Field(max_length=MAX_NAME_LENGTH * 2)] = None


def _payment(body: PaymentBody) -> sales.Payment:
    return sales.Payment(kind=body.kind, tendered_minor=body.tendered_minor,
                         card_reference=body.card_reference, reason=body.reason)


@router.get("/products", tags=["sales"])
def list_products(store: StoreDep, actor: ActorDep, event_id: uuid.UUID | None = None) -> list[ProductView]:
    return products.list_products(store, actor, str(event_id) if event_id else None)


@router.post("/products", tags=["sales"], status_code=201)
def create_product(body: ProductCreate, store: StoreDep, actor: ActorDep) -> ProductView:
    """A category's admission to some series, at a price (minor units), in a window, up to a quota."""
    return products.create_product(
        store, actor, str(body.event_id), body.name, body.category, body.series, price_minor=body.price_minor,
        currency=body.currency, sales_opens_at=body.sales_opens_at, sales_closes_at=body.sales_closes_at,
        quota=body.quota)


@router.patch("/products/{product_id}", tags=["sales"])
def update_product(product_id: uuid.UUID, body: ProductUpdate, store: StoreDep,
                   actor: ActorDep) -> ProductView:
    """Only the fields sent; a quota below what is sold and held is refused."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    return products.update_product(store, actor, str(product_id), changes)


@router.post("/products/{product_id}/leases", tags=["sales"], status_code=201)
def lease_places(product_id: uuid.UUID, body: LeaseRequest, store: StoreDep, actor: ActorDep) -> LeaseView:
    """Places the calling station may sell offline: min(size, free, MAX_LEASE), or a refusal."""
    return place_leases.grant(store, actor, str(product_id), body.size, station=body.station)


@router.post("/place-leases/{lease_id}/return", tags=["sales"])
def return_lease(lease_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> LeaseView:
    """Close the caller's lease at the sales pushed from it; its unused places go back."""
    return place_leases.settle(store, actor, lease_id)


@router.post("/orders", tags=["sales"], status_code=201)
def create_order(body: OrderCreate, store: StoreDep, actor: ActorDep) -> OrderView:
    """Sell: every line or none, the payment checked against the total."""
    return sales.sell(store, actor, lines=[(line.product, line.quantity) for line in body.lines],
                      payment=_payment(body.payment),
                      holder=sales.Holder(name=body.holder_name, email=body.holder_email),
                      station=body.station, event_ref=str(body.event_id) if body.event_id else None)


@router.get("/orders/{reference}", tags=["sales"])
def get_order(reference: Annotated[str, Path(max_length=20)], store: StoreDep, actor: ActorDep) -> OrderView:
    return sales.get_order(store, actor, reference)


@router.post("/orders/{reference}/refunds", tags=["sales"], status_code=201)
def refund_order(reference: Annotated[str, Path(max_length=20)], body: RefundCreate, store: StoreDep,
                 actor: ActorDep) -> RefundView:
    """Refund the tickets named (all when none): places freed, bands voided, money back recorded."""
    return refunds.refund(store, actor, reference, reason=body.reason, ticket_codes=body.tickets,
                          station=body.station)


@router.post("/products/{product_id}/waitlist", tags=["sales"], status_code=201)
def add_to_waitlist(product_id: uuid.UUID, body: WaitlistAdd, store: StoreDep,
                    actor: ActorDep) -> WaitlistEntryView:
    return waitlist.add(store, actor, str(product_id), body.name, body.contact)


@router.get("/waitlist/to-call", tags=["sales"])
def waitlist_to_call(store: StoreDep, actor: ActorDep,
                     event_id: uuid.UUID | None = None) -> list[WaitlistEntryView]:
    """The open offers, soonest to expire first: who to call now."""
    return waitlist.to_call(store, actor, event_ref=str(event_id) if event_id else None)


@router.post("/waitlist/{entry_id}/offer", tags=["sales"])
def offer_place(entry_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> WaitlistEntryView:
    return waitlist.offer(store, actor, entry_id)


@router.post("/waitlist/{entry_id}/accept", tags=["sales"], status_code=201)
def accept_offer(entry_id: uuid.UUID, body: OfferAccept, store: StoreDep, actor: ActorDep) -> OrderView:
    return sales.accept_offer(store, actor, entry_id, payment=_payment(body.payment), station=body.station)


@router.get("/cash-up", tags=["sales"])
def cash_up(store: StoreDep, actor: ActorDep, start: Annotated[datetime, Query()],
            end: Annotated[datetime, Query()], event_id: uuid.UUID | None = None,
            station: str | None = None) -> CashUpView:
    """Per station and operator in [start, end): sales, refunds, complimentary tickets, expected cash."""
    return cashup.cash_up(store, actor, start=start, end=end, event_ref=str(event_id) if event_id else None,
                          station=station)
