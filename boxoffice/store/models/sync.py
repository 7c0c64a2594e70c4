"""Local bookkeeping for sync: the outbox and a small key-value table."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Sequence, String, Text
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


class SyncState(Base):
    """One row: what this database is to sync.

    ``mode`` is ``local`` for a database nobody syncs with, ``server`` for the
    central server's (it keeps the change log stations pull), ``station`` for
    a desktop logged in to a server (it keeps the outbox it pushes).
    """

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="local")


# PostgreSQL only: the order of a transaction's changes in the log, drawn without a lock.
SYNC_CHANGES_SEQ = Sequence("sync_changes_seq", metadata=Base.metadata)


class SyncChange(Base):
    """The central server's change log: a row's state after a commit, for stations to pull.

    ``row`` holds the values as a station's SQLite stores them (a JSON array
    in the column order of ``table_name``), so a station inserts them without
    converting anything; ``None`` means the row was deleted and ``pk`` says
    which. A change's place in the log is ``(txid, seq)``: the writing
    transaction's id on PostgreSQL (0 on SQLite, and for changes logged
    before migration 0007), then its number; ``boxoffice.sync.changelog``
    explains why that order never lets a station skip a change.
    """

    __tablename__ = "sync_changes"
    __table_args__ = (
        Index("ix_sync_changes_organization_id_txid_seq", "organization_id", "txid", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    txid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    organization_id: Mapped[uuid.UUID]
    table_name: Mapped[str] = mapped_column(String(64))
    pk: Mapped[str] = mapped_column(Text)
    row: Mapped[str | None] = mapped_column(Text, default=None)
    changed_at: Mapped[datetime] = created_at_column()


class AppliedEntry(Base):
    """An outbox entry a station pushed, and what the server made of it.

    The entry id is the key, so a batch sent twice (the answer was lost on
    the way back) is applied once, and the second time gets the first answer.
    """

    __tablename__ = "sync_applied_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(index=True)
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    station: Mapped[str | None] = mapped_column(String(120), default=None)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(64), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    applied_at: Mapped[datetime] = created_at_column()
