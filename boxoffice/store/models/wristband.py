"""NFC wristbands as the database knows them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.domain.enums import BandStatus
from boxoffice.store.base import Base, created_at_column, enum_column, uuid_pk
from boxoffice.store.types import utcnow


class Wristband(Base):
    """One band; ``uid`` is the tag's own serial number (upper-case hex).

    A UID is unique per event, not globally: bands are reused between
    events of the same organization.
    """

    __tablename__ = "wristbands"
    __table_args__ = (
        UniqueConstraint("event_id", "uid"),
        Index("ix_wristbands_uid", "uid"),
        Index("ix_wristbands_event_id_category_id", "event_id", "category_id"),
        Index("ix_wristbands_ticket_id", "ticket_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"))
    uid: Mapped[str] = mapped_column(String(32))
    status: Mapped[BandStatus] = mapped_column(enum_column(BandStatus, "band_status"))
    # A person-facing number within the category ("VIP #0042").
    number: Mapped[int | None] = mapped_column(default=None)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    # Set on the new band when it replaces a lost or void one.
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("wristbands.id", ondelete="SET NULL"), default=None
    )
    batch_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    encoded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    encoded_at: Mapped[datetime | None] = mapped_column(default=None)
    # The signed record written on the tag (hex): a pending band resumed at
    # any station writes exactly these bytes again.
    payload: Mapped[str | None] = mapped_column(String(512), default=None)
    # Which organization secret the tag's write password is derived from.
    tag_secret_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    lost_at: Mapped[datetime | None] = mapped_column(default=None)
    # Why it was voided or reported lost, as the person typed it.
    void_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BandNumberCounter(Base):
    """The server's next free band number of one category of an event.

    Every number the server hands out (a block to a station, or one number
    to a band that arrived without a valid one) comes off this row with one
    ``UPDATE ... RETURNING``, so no number is handed out twice, whatever the
    number of requests or server processes. See ``services.band_numbers``.
    """

    __tablename__ = "band_number_counters"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    next_number: Mapped[int]


class BandNumberBlock(Base):
    """Numbers ``first``..``last`` of a category, reserved for one station's login.

    The server keeps every block it handed out (whose it is decides whether
    a pushed number is kept); a station keeps its own, and ``next`` is the
    next one of them it will print. Not replicated: a station's blocks are
    its own business and the server's record of them is the server's.
    """

    __tablename__ = "band_number_blocks"
    __table_args__ = (Index("ix_band_number_blocks_event_id_category_id", "event_id", "category_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    first: Mapped[int]
    last: Mapped[int]
    next: Mapped[int]
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = created_at_column()
