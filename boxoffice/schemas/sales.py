"""Views of the door sales: products, orders and their tickets, leases, refunds, the waitlist, the cash-up.

What the services hand back and the API sends: plain values, safe to give
to another thread (the Sales page) or to turn into JSON (``--json``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from boxoffice.domain.enums import PaymentKind, WaitlistStatus
from boxoffice.schemas.base import View


class ProductView(View):
    id: uuid.UUID
    event_id: uuid.UUID
    category_id: uuid.UUID
    category: str
    name: str
    series_ids: list[uuid.UUID]
    price_minor: int
    currency: str
    sales_opens_at: datetime
    sales_closes_at: datetime
    # The server's counters; a station does not hold them (``None``): it sells from its leases.
    quota: int | None = None
    sold: int | None = None
    held: int | None = None
    free: int | None = None


class SoldTicketView(View):
    ticket_id: uuid.UUID
    code: str
    product_id: uuid.UUID
    product: str
    price_minor: int
    refunded: bool = False


class OrderView(View):
    id: uuid.UUID
    reference: str
    event_id: uuid.UUID
    station: str | None
    operator_id: uuid.UUID | None
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
    tickets: list[SoldTicketView]


class LeaseView(View):
    """Places of a product the server leased to a station (the API's answer; the station keeps a copy)."""

    id: uuid.UUID
    product_id: uuid.UUID
    station: str | None
    size: int
    used: int
    granted_at: datetime
    expires_at: datetime
    returned_at: datetime | None = None


class HeldPlaces(View):
    """What this station may still sell of one product from its leases (the status bar's figure)."""

    product_id: uuid.UUID
    product: str
    remaining: int
    # The earliest end of the leases it holds places of; None when it holds none.
    expires_at: datetime | None
    used_up: bool


class RefundView(View):
    id: uuid.UUID
    order_id: uuid.UUID
    reference: str
    amount_minor: int
    currency: str
    payment: PaymentKind
    ticket_codes: list[str]
    reason: str
    refunded_at: datetime


class WaitlistEntryView(View):
    id: uuid.UUID
    product_id: uuid.UUID
    product: str
    name: str
    contact: str
    status: WaitlistStatus
    added_at: datetime
    offered_at: datetime | None
    offer_expires_at: datetime | None
    order_reference: str | None = None


class SalesLine(View):
    product: str
    payment: PaymentKind
    currency: str
    tickets: int
    amount_minor: int


class RefundLine(View):
    payment: PaymentKind
    currency: str
    tickets: int
    amount_minor: int


class ComplimentaryLine(View):
    reference: str
    tickets: int
    reason: str


class CashUpGroup(View):
    """One station and operator over the range: what they sold, gave back, and should hold in cash."""

    station: str | None
    operator: str | None
    sales: list[SalesLine]
    refunds: list[RefundLine]
    complimentary: list[ComplimentaryLine]
    # Per currency: cash tendered, less change given, less cash refunded.
    expected_cash: dict[str, int]


class HourlySales(View):
    product: str
    hour: datetime
    tickets: int


class CashUpView(View):
    start: datetime
    end: datetime
    groups: list[CashUpGroup]
    hourly: list[HourlySales]
    # Only the caller's own sales and refunds (a box-office station's login), not every operator's.
    own_only: bool = False
