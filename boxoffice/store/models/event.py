"""What an organization runs: events and their gates, categories and tickets."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.domain.enums import GateKind
from boxoffice.store.base import Base, created_at_column, enum_column, uuid_pk
from boxoffice.store.types import utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # IANA name; every local time of the event is computed in it.
    timezone: Mapped[str] = mapped_column(String(64))
    venue: Mapped[str | None] = mapped_column(String(200), default=None)
    starts_on: Mapped[date | None] = mapped_column(default=None)
    ends_on: Mapped[date | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Gate(Base):
    __tablename__ = "gates"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[GateKind] = mapped_column(enum_column(GateKind, "gate_kind"))
    created_at: Mapped[datetime] = created_at_column()


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # "#RRGGBB", the colour the UI and the band printing use for this category.
    color: Mapped[str | None] = mapped_column(String(7), default=None)
    created_at: Mapped[datetime] = created_at_column()


class GateCategory(Base):
    """A gate open only to some categories (the VIP entrance); no rows means open to all."""

    __tablename__ = "gate_categories"

    gate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )


class Ticket(Base):
    """A ticket sold by a ticketing system, later linked to a band at the counter."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("event_id", "code"),
        Index("ix_tickets_category_id", "category_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"))
    code: Mapped[str] = mapped_column(String(64))
    holder_name: Mapped[str | None] = mapped_column(String(200), default=None)
    holder_email: Mapped[str | None] = mapped_column(String(254), default=None)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = created_at_column()
