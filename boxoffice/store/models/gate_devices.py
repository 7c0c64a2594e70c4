"""The gate scanners' side of the server: leases of places for admitting offline, and each device's health.

Neither travels to the stations: a lease is the server's record of places
it set aside (``services.gate_leases``), a device row what the supervisor's
Gates page shows of each phone (``services.gate_devices``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.store.base import Base, created_at_column, uuid_pk


class GateLease(Base):
    """``size`` places of a series a gate device may admit while offline, until ``expires_at``.

    ``used`` is what the device says it admitted from it when it gives the
    lease back (``returned_at``); the entries themselves arrive as check-ins.
    """

    __tablename__ = "gate_leases"
    __table_args__ = (
        Index("ix_gate_leases_series_id_returned_at", "series_id", "returned_at"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("used >= 0 AND used <= size", name="used_within_size"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    series_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event_series.id", ondelete="CASCADE"))
    gate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gates.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID]
    device_id: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    used: Mapped[int] = mapped_column(default=0)
    granted_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    returned_at: Mapped[datetime | None] = mapped_column(default=None)


class GateDevice(Base):
    """A scanner's last heartbeat: its lane, how many scans wait on it, how old its data is."""

    __tablename__ = "gate_devices"
    __table_args__ = (UniqueConstraint("organization_id", "device_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(120))
    member_id: Mapped[uuid.UUID]
    lane: Mapped[str] = mapped_column(String(120))
    series_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    gate_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    direction: Mapped[str] = mapped_column(String(3))
    queued: Mapped[int] = mapped_column(default=0)
    oldest_queued_at: Mapped[datetime | None] = mapped_column(default=None)
    data_at: Mapped[datetime | None] = mapped_column(default=None)
    lane_count: Mapped[int] = mapped_column(default=0)
    last_seen_at: Mapped[datetime]
