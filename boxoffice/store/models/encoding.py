"""Encoding bookkeeping: signing keys, the tag-password secret, batches and their per-band log.

Key material is stored as hex text, not binary: rows of replicated tables
travel through the change log as JSON.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.domain.enums import BatchStatus, EncodeOutcome
from boxoffice.store.base import Base, created_at_column, enum_column, uuid_pk


class EventKey(Base):
    """An Ed25519 key pair that signs an event's bands.

    Each station makes its own key for an event on first use; the private
    half stays in the database it was made in (it is not in the outbox and
    the change log leaves it out), the public half travels to the server,
    the gates and the other stations, so every one of them can verify every
    band. ``key_id`` (4 bytes, hex) is written on each band to say which key
    signed it.
    """

    __tablename__ = "event_keys"
    __table_args__ = (UniqueConstraint("event_id", "key_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key_id: Mapped[str] = mapped_column(String(8))
    public_key: Mapped[str] = mapped_column(String(64))
    private_key: Mapped[str | None] = mapped_column(String(64), default=None)
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = created_at_column()


class TagSecret(Base):
    """The organization's secret that each tag's write password is derived from.

    Shared by every station of the organization (a band protected at one
    must be opened at another, also when it is reused at the next event).
    Two stations that start offline may each make one; both are kept and
    each band remembers which one protected it (``Wristband.tag_secret_id``).
    """

    __tablename__ = "tag_secrets"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()


class EncodeBatch(Base):
    """One sitting at the encoder: a category, the series its bands go to, who and where."""

    __tablename__ = "encode_batches"
    __table_args__ = (Index("ix_encode_batches_event_id_started_at", "event_id", "started_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"))
    series_ids: Mapped[list[str]] = mapped_column(JSON)
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    requested: Mapped[int | None] = mapped_column(default=None)
    status: Mapped[BatchStatus] = mapped_column(
        enum_column(BatchStatus, "batch_status"), default=BatchStatus.OPEN
    )
    started_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    encoded: Mapped[int] = mapped_column(default=0)
    # Outcome -> how many bands ended that way (ok, duplicate, write_failed, ...).
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EncodeLogEntry(Base):
    """What happened to one tag in a batch: the manifest's per-band lines."""

    __tablename__ = "encode_log"
    __table_args__ = (Index("ix_encode_log_batch_id_at", "batch_id", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("encode_batches.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(32))
    band_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    outcome: Mapped[EncodeOutcome] = mapped_column(enum_column(EncodeOutcome, "encode_outcome"))
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = created_at_column()
