"""Local bookkeeping for sync: the outbox and a small key-value table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.domain.enums import OutboxStatus
from boxoffice.store.base import Base, created_at_column, enum_column, new_id


class OutboxEntry(Base):
    """A use case as it was called here, to be replayed by the central server.

    Written in the same transaction as the change it describes, so a change
    without its entry (or the reverse) cannot exist. ``seq`` keeps the order
    the changes were made in; ``id`` is what the server deduplicates on.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_seq", "status", "seq"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(unique=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[uuid.UUID]
    payload: Mapped[dict[str, Any]]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class LocalSetting(Base):
    """Per-database settings of this installation (current member, pull cursor)."""

    __tablename__ = "local_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]]
