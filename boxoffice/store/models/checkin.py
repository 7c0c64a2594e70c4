"""Taps at the gates, allowed or denied."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.domain.enums import CheckinResult, Direction, Reason
from boxoffice.store.base import Base, created_at_column, enum_column, uuid_pk


class Checkin(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_series_id_occurred_at", "series_id", "occurred_at"),
        Index("ix_checkins_wristband_id_series_id", "wristband_id", "series_id"),
        Index("ix_checkins_gate_id_occurred_at", "gate_id", "occurred_at"),
        # Covers the reports' tally (GROUP BY gate, result, reason, minute) so it never reads the rows.
        Index("ix_checkins_series_tally", "series_id", "gate_id", "result", "reason", "occurred_at"),
        # A scan id names one tap, and a tap belongs to one event (so to one
        # organization): another organization's device that happens to use the
        # same id makes a check-in of its own, and a replay finds only the caller's.
        UniqueConstraint("event_id", "client_scan_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Made by the scanning device; a retried upload carries the same id, so
    # the unique constraint is what keeps a tap from counting twice.
    client_scan_id: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE")
    )
    gate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gates.id"))
    # None when the tapped band is unknown; ``uid`` then says what was tapped.
    # SET NULL: a station that loses a UID conflict to the server drops its
    # own band row; its check-ins keep the UID and stay in the history.
    wristband_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("wristbands.id", ondelete="SET NULL"), default=None
    )
    uid: Mapped[str | None] = mapped_column(String(32), default=None)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    result: Mapped[CheckinResult] = mapped_column(enum_column(CheckinResult, "checkin_result"))
    reason: Mapped[Reason] = mapped_column(enum_column(Reason, "reason"))
    device_id: Mapped[str] = mapped_column(String(120))
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = created_at_column()


class SeriesPresence(Base):
    """Where each band is now, per series: kept up to date with every allowed tap.

    Derivable from ``checkins``, but a gate needs it on every tap, and
    recomputing it from the whole history would make each tap slower than the
    last. ``last_scan_at`` lets a late-arriving offline scan that is older
    than what is already known leave the presence alone.
    """

    __tablename__ = "series_presence"
    __table_args__ = (
        Index("ix_series_presence_series_id_inside_category_id", "series_id", "inside", "category_id"),
    )

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True
    )
    wristband_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("wristbands.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"))
    inside: Mapped[bool]
    has_entered: Mapped[bool]
    last_scan_at: Mapped[datetime]


class SeriesOccupancy(Base):
    """How many bands are inside a series now: the kept count every entry claims a place from.

    Equal at every commit to the number of ``series_presence`` rows with
    ``inside`` (``services.occupancy.recount`` checks and repairs it). An
    entry claims its place with one conditional statement (``inside <
    capacity``), so concurrent taps, in one server process or several,
    cannot both take the last place, and the cost does not grow with the
    crowd. A series without a row has nobody inside.
    """

    __tablename__ = "series_occupancy"
    __table_args__ = (CheckConstraint("inside >= 0", name="inside_not_negative"),
                      CheckConstraint("held >= 0", name="held_not_negative"))

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True
    )
    inside: Mapped[int]
    # Places leased to gate scanners for admitting offline (``services.gate_leases``): an online
    # entry claims a place only while ``inside + held < capacity``.
    held: Mapped[int] = mapped_column(default=0, server_default="0")


class CategoryOccupancy(Base):
    """``SeriesOccupancy`` per category: what category limits are claimed from.

    Kept for every category, limited or not, so that a limit set during the
    day starts from a true count.
    """

    __tablename__ = "category_occupancy"
    __table_args__ = (CheckConstraint("inside >= 0", name="inside_not_negative"),)

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    inside: Mapped[int]


class CheckinMinute(Base):
    """Check-ins counted per gate, minute, result, reason and device: the gate monitor's first picture.

    Kept by SQLite triggers on ``checkins`` (migration 0005), so it is exact
    for every insert, including bulk inserts and pulled offline scans, and the
    monitor reads ~80,000 rows instead of grouping 1,000,000 check-ins. Only a
    station's SQLite file keeps it: on the central server's PostgreSQL the
    table exists (one schema for both) but stays empty, and nothing there
    reads it. ``minute`` is the UTC minute as 'YYYY-MM-DD HH:MM'. A deleted
    check-in is taken off ``scans``; ``last_at`` keeps the latest time seen.
    A later migration that rebuilds ``checkins`` (batch mode copies the table)
    must create the three triggers of 0005 again.
    """

    __tablename__ = "checkin_minutes"
    # WITHOUT ROWID on SQLite: rows live in primary-key order, so a gate's day is one range read.
    # No other index: every one would be paid on each check-in insert (the triggers' upsert).
    __table_args__ = ({"sqlite_with_rowid": False},)

    gate_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    minute: Mapped[str] = mapped_column(String(16), primary_key=True)
    result: Mapped[CheckinResult] = mapped_column(
        enum_column(CheckinResult, "checkin_result"), primary_key=True
    )
    reason: Mapped[Reason] = mapped_column(enum_column(Reason, "reason"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    event_id: Mapped[uuid.UUID]
    scans: Mapped[int]
    last_at: Mapped[datetime]
