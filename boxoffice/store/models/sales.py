"""Door sales: products and their kept quota counters, leases of places, orders, refunds, the waitlist.

``products`` and ``product_series`` travel to the stations (what they may
sell, and what it admits to); the counters, leases, orders and the waitlist
are each database's own (see ``services.place_leases`` for how a station's
lease and the server's record of it relate).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.domain.enums import PaymentKind, WaitlistStatus
from boxoffice.store.base import Base, created_at_column, enum_column, uuid_pk
from boxoffice.store.types import utcnow


class Product(Base):
    """What the box office sells: a category's admission to some series, at a price, in a window."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(String(120))
    # Minor units (cents) of ``currency``: never a float.
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    sales_opens_at: Mapped[datetime]
    sales_closes_at: Mapped[datetime]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProductSeries(Base):
    """A series a product's tickets admit to."""

    __tablename__ = "product_series"
    __table_args__ = (Index("ix_product_series_series_id", "series_id"),)

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True)


class ProductCounter(Base):
    """A product's quota and the kept counters every sale moves with one conditional UPDATE.

    ``held`` is what leases to stations and waitlist offers hold. Not
    replicated: the change log cannot carry an ``UPDATE ... RETURNING``, and
    the counters are the authority's alone (a station sells from its lease).
    """

    __tablename__ = "product_counters"
    __table_args__ = (
        CheckConstraint("quota >= 0", name="quota_not_negative"),
        CheckConstraint("sold >= 0", name="sold_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("sold + held <= quota", name="within_quota"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    quota: Mapped[int]
    sold: Mapped[int] = mapped_column(default=0)
    held: Mapped[int] = mapped_column(default=0)


class PlaceLease(Base):
    """``size`` places of a product a station may sell offline until ``expires_at``.

    The server keeps every lease it granted; a station keeps its own, and
    ``used`` counts its sales from it on each side. ``returned_at`` is when
    the unused places went back to the product.
    """

    __tablename__ = "place_leases"
    __table_args__ = (
        Index("ix_place_leases_product_id_returned_at", "product_id", "returned_at"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("used >= 0 AND used <= size", name="used_within_size"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    size: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    granted_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    returned_at: Mapped[datetime | None] = mapped_column(default=None)


class Order(Base):
    """One sale at the counter: its booking reference, who sold it where, and how it was paid."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("organization_id", "reference"),
        Index("ix_orders_event_id_sold_at", "event_id", "sold_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(12))
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    operator_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    holder_name: Mapped[str | None] = mapped_column(String(200), default=None)
    holder_email: Mapped[str | None] = mapped_column(String(254), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int]
    payment: Mapped[PaymentKind] = mapped_column(enum_column(PaymentKind, "payment_kind"))
    tendered_minor: Mapped[int | None] = mapped_column(default=None)
    change_minor: Mapped[int | None] = mapped_column(default=None)
    card_reference: Mapped[str | None] = mapped_column(String(64), default=None)
    comp_reason: Mapped[str | None] = mapped_column(Text, default=None)
    sold_at: Mapped[datetime] = created_at_column()


class SoldTicket(Base):
    """One place sold: the order's ticket (a ``tickets`` row, whose code a band is encoded with)."""

    __tablename__ = "sold_tickets"
    __table_args__ = (
        Index("ix_sold_tickets_order_id", "order_id"),
        Index("ix_sold_tickets_product_id", "product_id"),
    )

    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"))
    price_minor: Mapped[int]
    # The lease it was sold from, when a station sold it offline.
    lease_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    refund_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refunds.id"), default=None)


class Refund(Base):
    """Money given back for some tickets of an order, the way it was paid."""

    __tablename__ = "refunds"
    __table_args__ = (Index("ix_refunds_order_id", "order_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    amount_minor: Mapped[int]
    payment: Mapped[PaymentKind] = mapped_column(enum_column(PaymentKind, "refund_payment_kind"))
    reason: Mapped[str] = mapped_column(Text)
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    operator_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    refunded_at: Mapped[datetime] = created_at_column()


class WaitlistEntry(Base):
    """A person waiting for a sold-out product; an offer holds a place for them until it expires."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        UniqueConstraint("product_id", "contact_key"),
        Index("ix_waitlist_entries_product_id_status", "product_id", "status", "added_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(254))
    contact_key: Mapped[str] = mapped_column(String(254))
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column(WaitlistStatus, "waitlist_status"), default=WaitlistStatus.WAITING)
    added_at: Mapped[datetime] = created_at_column()
    offered_at: Mapped[datetime | None] = mapped_column(default=None)
    offer_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), default=None)
