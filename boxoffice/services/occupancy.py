"""Places inside a series, claimed and given back on kept counters.

Counting everyone inside on every entry made each tap cost more as the crowd
grew, and a count read before deciding lets two concurrent taps both see the
last free place (PostgreSQL admitted 47 into a series of 10). Instead each
series (and each of its categories) keeps how many bands are inside
(``SeriesOccupancy``, ``CategoryOccupancy``), and an entry claims its place
with one statement that increments only while there is room:

    INSERT ... VALUES (series, 1) ON CONFLICT DO UPDATE SET inside = inside + 1
    WHERE inside < :capacity RETURNING inside

No row back means no room. The statement locks the counter row until the
tap's transaction ends, so concurrent entries queue on it (in one server
process or several) and the second sees the first's increment: the decision
and the increment cannot be separated. The category is claimed before the
series, always in that order (no deadlock between two taps), and given back
in the same transaction when the series then turns out to be full.

Exits, offline taps that are kept as they were decided, and late scans move
the counters without a condition. Every path that changes
``series_presence`` changes the counters in the same transaction, so the
invariant is: kept count == rows of ``series_presence`` with ``inside``.
``recount`` restores it where rows arrive in bulk (a station applying a pull)
and ``mismatches`` checks it (tests, and anyone who suspects a repair is due).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, exists, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from boxoffice.domain.access import Decision, no_room
from boxoffice.store.base import Base
from boxoffice.store.models import CategoryOccupancy, SeriesOccupancy, SeriesPresence

log = logging.getLogger(__name__)



def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_SERIES = _table(SeriesOccupancy)
_CATEGORY = _table(CategoryOccupancy)
_P = SeriesPresence.__table__.c


def _taken(table: Table) -> Any:
    """Places of a counter row that are not free: inside, and for a series those leased to scanners."""
    return table.c.inside + table.c.held if "held" in table.c else table.c.inside


def _upsert(dialect: Any, table: Table, keys: list[str], *, limited: bool, limit: str = "o_limit",
            after: Any = None) -> Any:
    """Add ``:o_delta`` to a counter row (making it if missing); with ``limited``, only below ``:<limit>``.

    ``after``: a statement (CTE) whose rows must exist for this one to write anything.
    """
    values = {**{k: bindparam(f"o_{k}", type_=table.c[k].type) for k in keys},
              "inside": bindparam("o_delta", type_=table.c.inside.type)}
    if after is None:
        stmt = dialect.insert(table).values(values)
    else:
        if "held" in table.c:
            values["held"] = literal(0, table.c.held.type)
        stmt = dialect.insert(table).from_select(
            list(values), select(*values.values()).where(exists(select(after.c.inside))))
    return stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys],
        set_={"inside": table.c.inside + stmt.excluded.inside},
        # A series' places leased to gate scanners (``held``, ``services.gate_leases``) are not free.
        where=(_taken(table) < bindparam(limit)) if limited else None,
    ).returning(table.c.inside)


def _claim_both(limited_category: bool) -> Any:
    """PostgreSQL: the category's place, then (only if it was had) the series', in one round trip.

    The series row is written only once the category's statement returned
    its row (``after``), so the rows are locked in the usual order, category
    first. Answers how many rows each claim returned: (1, 1) is a place taken,
    (0, 0) a full category, (1, 0) a full series (its category's place is
    still to be given back).
    """
    category = _upsert(postgresql, _CATEGORY, ["series_id", "category_id"], limited=limited_category,
                       limit="o_category_limit").cte("claimed_category")
    series = _upsert(postgresql, _SERIES, ["series_id"], limited=True, limit="o_capacity",
                     after=category).cte("claimed_series")
    return select(select(func.count()).select_from(category).scalar_subquery(),
                  select(func.count()).select_from(series).scalar_subquery())


# Built once per dialect: the gate's hot path runs them on every entry.
_CLAIM = {
    name: {
        "series": _upsert(dialect, _SERIES, ["series_id"], limited=True),
        "category": _upsert(dialect, _CATEGORY, ["series_id", "category_id"], limited=True),
    }
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_ADD = {
    name: {
        "series": _upsert(dialect, _SERIES, ["series_id"], limited=False),
        "category": _upsert(dialect, _CATEGORY, ["series_id", "category_id"], limited=False),
    }
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_CLAIM_BOTH_PG = {limited: _claim_both(limited) for limited in (False, True)}
_TAKE_SERIES = (
    update(_SERIES).where(_SERIES.c.series_id == bindparam("o_series_id"))
    .values(inside=_SERIES.c.inside - 1)
)
_TAKE_CATEGORY = (
    update(_CATEGORY)
    .where(_CATEGORY.c.series_id == bindparam("o_series_id"),
           _CATEGORY.c.category_id == bindparam("o_category_id"))
    .values(inside=_CATEGORY.c.inside - 1)
)


def _connection(session: Session) -> Connection:
    """Where the counters' statements run: the session's connection, past the session's execute.

    The counter tables are not replicated (the change log has nothing to
    see) and the statements are core ones (nothing to flush first); the
    session's execute would cost as much again as the statement.
    """
    return session.connection()


def claim(session: Session, series_id: uuid.UUID, category_id: uuid.UUID, capacity: int,
          category_limit: int | None) -> Decision | None:
    """Take one place for an entering band: ``None`` when taken, else the refusal to record.

    The caller holds the band (its row lock on PostgreSQL, the write lock on
    SQLite) and has decided that everything but room allows the entry.
    """
    conn = _connection(session)
    dialect = conn.dialect.name
    keys = {"o_series_id": series_id, "o_category_id": category_id, "o_delta": 1}
    if dialect == "postgresql" and capacity > 0 and (category_limit is None or category_limit > 0):
        taken_category, taken_series = conn.execute(_CLAIM_BOTH_PG[category_limit is not None], {
            **keys, "o_category_limit": category_limit, "o_capacity": capacity,
        }).one()
        if not taken_category:
            return no_room(category=True)
        if not taken_series:
            conn.execute(_TAKE_CATEGORY, keys)
            return no_room(category=False)
        return None
    statements = _CLAIM[dialect]
    if category_limit is not None:
        # A new counter row starts at 1 without looking at the limit: a limit of 0 never admits.
        if category_limit <= 0 or conn.execute(
                statements["category"], {**keys, "o_limit": category_limit}).first() is None:
            return no_room(category=True)
    else:
        conn.execute(_ADD[dialect]["category"], keys)
    if capacity <= 0 or conn.execute(
            statements["series"], {**keys, "o_limit": capacity}).first() is None:
        conn.execute(_TAKE_CATEGORY, keys)
        return no_room(category=False)
    return None


def enter(session: Session, series_id: uuid.UUID, category_id: uuid.UUID) -> None:
    """Count a band as inside without asking for room: it is already through the gate."""
    conn = _connection(session)
    statements = _ADD[conn.dialect.name]
    keys = {"o_series_id": series_id, "o_category_id": category_id, "o_delta": 1}
    conn.execute(statements["category"], keys)
    conn.execute(statements["series"], keys)


def ensure_row(session: Session, series_id: uuid.UUID) -> None:
    """Make the series' counter row if it has none (nobody inside), so it can be locked."""
    conn = _connection(session)
    conn.execute(_ADD[conn.dialect.name]["series"], {"o_series_id": series_id, "o_delta": 0})


def leave(session: Session, series_id: uuid.UUID, category_id: uuid.UUID) -> None:
    """Give back the place of a band counted inside (under ``category_id``)."""
    conn = _connection(session)
    keys = {"o_series_id": series_id, "o_category_id": category_id}
    conn.execute(_TAKE_CATEGORY, keys)
    conn.execute(_TAKE_SERIES, keys)


def _inside_by_category(series_ids: list[uuid.UUID] | None) -> Any:
    query = (
        select(_P.series_id, _P.category_id, func.count())
        .where(_P.inside.is_(True))
        .group_by(_P.series_id, _P.category_id)
    )
    return query if series_ids is None else query.where(_P.series_id.in_(series_ids))


def recount(session: Session, series_ids: Iterable[uuid.UUID] | None = None) -> None:
    """Set the counters of these series (all, when ``None``) from ``series_presence`` as it is now.

    For writers that change presence in bulk rather than tap by tap: a
    station applying a pulled page, a repair. Not for the server's taps,
    which move the counters themselves.
    """
    ids = None if series_ids is None else sorted(set(series_ids))
    if ids == []:
        return
    rows = session.execute(_inside_by_category(ids)).all()
    series_totals: dict[uuid.UUID, int] = {}
    for series_id, _, n in rows:
        series_totals[series_id] = series_totals.get(series_id, 0) + n
    # Places leased to gate scanners are not presence: they stay as they are.
    held = dict(session.execute(select(_SERIES.c.series_id, _SERIES.c.held).where(_SERIES.c.held > 0)
                                if ids is None else
                                select(_SERIES.c.series_id, _SERIES.c.held)
                                .where(_SERIES.c.held > 0, _SERIES.c.series_id.in_(ids))).all())
    for series_id in held:
        series_totals.setdefault(series_id, 0)
    if ids is None:
        session.execute(delete(_CATEGORY))
        session.execute(delete(_SERIES))
    else:
        session.execute(delete(_CATEGORY).where(_CATEGORY.c.series_id.in_(ids)))
        session.execute(delete(_SERIES).where(_SERIES.c.series_id.in_(ids)))
    if rows:
        session.execute(insert(_CATEGORY), [
            {"series_id": s, "category_id": c, "inside": n} for s, c, n in rows
        ])
    if series_totals:
        session.execute(insert(_SERIES), [
            {"series_id": s, "inside": n, "held": held.get(s, 0)} for s, n in series_totals.items()
        ])


def inside(session: Session, series_id: uuid.UUID, category_id: uuid.UUID | None = None) -> int:
    """Bands inside a series now (of one category, when given): one row read, whatever the crowd."""
    if category_id is None:
        query = select(_SERIES.c.inside).where(_SERIES.c.series_id == series_id)
    else:
        query = select(_CATEGORY.c.inside).where(
            _CATEGORY.c.series_id == series_id, _CATEGORY.c.category_id == category_id)
    return int(session.scalar(query) or 0)


def mismatches(session: Session) -> list[str]:
    """Every counter that differs from a recount of ``series_presence``, as a sentence; empty when true."""
    counted: dict[tuple[Any, Any], int] = {}
    for series_id, category_id, n in session.execute(_inside_by_category(None)).all():
        counted[(series_id, category_id)] = n
        counted[(series_id, None)] = counted.get((series_id, None), 0) + n
    kept: dict[tuple[Any, Any], int] = {
        (s, c): n for s, c, n in session.execute(
            select(_CATEGORY.c.series_id, _CATEGORY.c.category_id, _CATEGORY.c.inside))
    }
    kept.update({(s, None): n for s, n in session.execute(
        select(_SERIES.c.series_id, _SERIES.c.inside))})
    out = []
    for key in sorted(set(counted) | set(kept), key=str):
        if counted.get(key, 0) != kept.get(key, 0):
            series_id, category_id = key
            scope = f"category {category_id} of series {series_id}" if category_id else f"series {series_id}"
            out.append(f"{scope}: kept {kept.get(key, 0)} inside, recount {counted.get(key, 0)}")
    return out
