"""SQL fragments that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Integer, cast, func, literal_column, select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from boxoffice.store.models import (
    SeriesCategoryLimit,
    SeriesWristbandAssignment,
    Wristband,
)


def quarter_hour(
    column: ColumnElement[Any] | QueryableAttribute[Any], dialect: str
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """(UTC hour as 'YYYY-MM-DD HH', quarter 0..3) of a UTC timestamp column.

    Quarter hours, not hours, because local hours in zones offset by :30 or
    :45 (India, Nepal) are made of whole UTC quarters but not of UTC hours.
    """
    if dialect == "sqlite":
        # UTCDateTime stores 'YYYY-MM-DD HH:MM:SS.ffffff' on SQLite.
        return func.substr(column, 1, 13), cast(func.substr(column, 15, 2), Integer) // 15
    utc = func.timezone("UTC", column)
    return func.to_char(utc, "YYYY-MM-DD HH24"), cast(func.floor(func.extract("minute", utc) / 15), Integer)


def assigned_by_category(
    session: Session, series_id: uuid.UUID, category_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, int]:
    """Bands actively assigned to a series, per category (only ``category_ids`` when given)."""
    query = (
        select(Wristband.category_id, func.count())
        .join(SeriesWristbandAssignment, SeriesWristbandAssignment.wristband_id == Wristband.id)
        .where(
            SeriesWristbandAssignment.series_id == series_id,
            SeriesWristbandAssignment.active.is_(True),
        )
        .group_by(Wristband.category_id)
    )
    if category_ids is not None:
        query = query.where(Wristband.category_id.in_(category_ids))
    return {cat: n for cat, n in session.execute(query).all()}


def category_limits(session: Session, series_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """The series' category limits; a category without a row has no limit."""
    rows = session.execute(
        select(SeriesCategoryLimit.category_id, SeriesCategoryLimit.band_limit).where(
            SeriesCategoryLimit.series_id == series_id
        )
    ).all()
    return {cat: limit for cat, limit in rows}


def utc_minute(column: ColumnElement[Any] | QueryableAttribute[Any], dialect: str) -> ColumnElement[Any]:
    """The UTC minute of a timestamp column as 'YYYY-MM-DD HH:MM' text, for GROUP BY.

    Every time zone's offset is a whole number of minutes, so UTC minutes regroup into local
    minutes, hours and days without going back to the rows.
    """
    if dialect == "sqlite":
        # Literal positions, not bound parameters: SQLite then sees the SELECT's and the GROUP BY's
        # expressions as one and computes it once per row.
        return func.substr(column, literal_column("1"), literal_column("16"))
    return func.to_char(func.timezone("UTC", column), literal_column("'YYYY-MM-DD HH24:MI'"))


def utc_hour(column: ColumnElement[Any] | QueryableAttribute[Any], dialect: str) -> ColumnElement[Any]:
    """The UTC hour of a timestamp column as 'YYYY-MM-DD HH' text (local days are made of UTC hours,
    except in zones offset by :30 or :45, where a band encoded in the first half hour may fall on the
    neighbouring day)."""
    if dialect == "sqlite":
        return func.substr(column, 1, 13)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
