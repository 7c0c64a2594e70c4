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
