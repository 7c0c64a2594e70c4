"""Event series ("Day 1", "Day 2") and everything hanging off one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from boxoffice.domain.enums import RecurrenceKind, ReentryPolicy, SeriesStatus
from boxoffice.store.base import Base, created_at_column, enum_column, uuid_pk
from boxoffice.store.types import utcnow


class EventSeries(Base):
    __tablename__ = "event_series"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        # (event_id, starts_at): "series of an event, in order" is the builder's main list.
        Index("ix_event_series_event_id", "event_id", "starts_at"),
        Index("ix_event_series_status_starts_at", "status", "starts_at"),
        Index("ix_event_series_organization_id", "organization_id"),
        Index("ix_event_series_parent_series_id", "parent_series_id"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Denormalised from the event: "every series of my organization" is a
    # frequent, unjoined query (the Event Series design's index list).
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    checkin_opens_at: Mapped[datetime]
    checkin_closes_at: Mapped[datetime]
    capacity: Mapped[int]
    status: Mapped[SeriesStatus] = mapped_column(
        enum_column(SeriesStatus, "series_status"), default=SeriesStatus.DRAFT
    )
    reentry_policy: Mapped[ReentryPolicy] = mapped_column(
        enum_column(ReentryPolicy, "reentry_policy"), default=ReentryPolicy.REENTRY
    )
    # A parent carries the pattern it generated its children from.
    recurrence_kind: Mapped[RecurrenceKind | None] = mapped_column(
        enum_column(RecurrenceKind, "recurrence_kind"), default=None
    )
    recurrence_interval: Mapped[int | None] = mapped_column(default=None)
    # Comma-separated ISO weekdays counted from 0 = Monday, e.g. "4,5".
    recurrence_weekdays: Mapped[str | None] = mapped_column(String(20), default=None)
    recurrence_count: Mapped[int | None] = mapped_column(default=None)
    parent_series_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("event_series.id", ondelete="SET NULL"), default=None
    )
    sequence_number: Mapped[int | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # SQLAlchemy bumps ``version`` on every UPDATE and adds it to the WHERE
    # clause, so two writers that loaded the same version cannot both win.
    __mapper_args__ = {"version_id_col": version}


class SeriesGate(Base):
    __tablename__ = "series_gates"
    __table_args__ = (
        Index("ix_series_gates_series_id", "series_id"),
        Index("ix_series_gates_gate_id", "gate_id"),
    )

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True
    )
    gate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("gates.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = created_at_column()


class SeriesCategoryLimit(Base):
    """At most ``band_limit`` bands of the category assigned to, and inside, the series."""

    __tablename__ = "series_category_limits"
    __table_args__ = (CheckConstraint("band_limit >= 0", name="limit_not_negative"),)

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    band_limit: Mapped[int]


_ASSIGNMENT_IDS = uuid.UUID("6f1f6c0e-3b7a-4f53-9d0c-5a2f1c9e8b41")


def assignment_id(series_id: uuid.UUID, wristband_id: uuid.UUID) -> uuid.UUID:
    """An assignment's id follows from its series and band.

    A station that admits a band offline and the server replaying that change
    then make the same row, not two that clash on (series, band) when the
    station pulls the server's back.
    """
    return uuid.uuid5(_ASSIGNMENT_IDS, f"{series_id}/{wristband_id}")


class SeriesWristbandAssignment(Base):
    """A band admitted to a series; removal clears ``active`` so history is kept."""

    __tablename__ = "series_wristband_assignments"
    __table_args__ = (
        UniqueConstraint("series_id", "wristband_id"),
        Index("ix_series_wristband_assignments_series_id_active", "series_id", "active"),
        Index("ix_series_wristband_assignments_wristband_id", "wristband_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE")
    )
    wristband_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("wristbands.id", ondelete="CASCADE")
    )
    active: Mapped[bool] = mapped_column(default=True)
    assigned_at: Mapped[datetime] = created_at_column()
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class SeriesTicket(Base):
    __tablename__ = "series_tickets"
    __table_args__ = (Index("ix_series_tickets_ticket_id", "ticket_id"),)

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )


class SeriesStateTransition(Base):
    """The lifecycle log: every change of status, who made it, when and why."""

    __tablename__ = "series_state_transitions"
    __table_args__ = (Index("ix_series_state_transitions_series_id_at", "series_id", "at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE")
    )
    from_status: Mapped[SeriesStatus] = mapped_column(enum_column(SeriesStatus, "from_status"))
    to_status: Mapped[SeriesStatus] = mapped_column(enum_column(SeriesStatus, "to_status"))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), default=None)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = created_at_column()


class SeriesMetricsCache(Base):
    """Last computed metrics of a series; stale after five minutes."""

    __tablename__ = "series_metrics_cache"

    series_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("event_series.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]
