"""A station's side of a pull: copy the server's rows into the local store, the server's word winning.

Rows arrive as SQLite stores them, so they go to ``executemany`` unconverted;
that is what makes a first pull of a day's million check-ins take seconds.
A page is applied only while the outbox is empty (checked inside the write
transaction, which holds SQLite's write lock): otherwise a change made here
but not yet pushed would be overwritten by the server's older state.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, UniqueConstraint, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from boxoffice.domain.enums import OutboxStatus
from boxoffice.errors import BoxOfficeError
from boxoffice.services import occupancy
from boxoffice.store.database import Store
from boxoffice.store.models import LocalSetting, OutboxEntry
from boxoffice.sync.position import START, Position
from boxoffice.sync.replicas import REPLICAS, TABLE_ORDER

log = logging.getLogger(__name__)

CURSOR_KEY = "sync_cursor"
SUPERSEDED_KEY = "sync_superseded"
_KEEP_SUPERSEDED = 200
_APPEND_ONLY = frozenset({"checkins", "series_state_transitions"})


class UnpushedChangesError(BoxOfficeError):
    code = "unpushed_changes"

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} local changes must reach the server before its changes are applied.")
        self.count = count


@dataclass(frozen=True)
class Cursor:
    """Which server log this station follows, and the position of the last change it applied."""

    log: str
    position: Position


def read_cursor(session: Session) -> Cursor:
    """The stored cursor; one stored before positions had a transaction id reads as (0, seq)."""
    setting = session.get(LocalSetting, CURSOR_KEY)
    if setting is None:
        return Cursor("", START)
    value = setting.value
    return Cursor(str(value.get("log", "")),
                  Position(int(value.get("txid", 0)), int(value.get("seq", 0))))


def _save_cursor(session: Session, cursor: Cursor) -> None:
    value = {"log": cursor.log, "txid": cursor.position.txid, "seq": cursor.position.seq}
    setting = session.get(LocalSetting, CURSOR_KEY)
    if setting is None:
        session.add(LocalSetting(key=CURSOR_KEY, value=value))
    else:
        setting.value = value


@dataclass
class _Statements:
    """SQL for one table and one column list, built once per page shape."""

    insert: str
    upsert: str
    delete: str
    columns: list[str]  # the columns the upsert's values follow
    index: list[int] | None  # positions of those columns in the server's rows; None = same


def _statements(table: Table, remote_columns: list[str]) -> _Statements:
    local = [c.name for c in table.columns]
    usable = [c for c in remote_columns if c in local]
    pk = [c.name for c in table.primary_key.columns]
    missing_pk = [c for c in pk if c not in usable]
    if missing_pk:
        raise ValueError(f"the server's {table.name} rows lack {missing_pk}")
    cols = ", ".join(f'"{c}"' for c in usable)
    marks = ", ".join("?" for _ in usable)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in usable if c not in pk) or None
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    where_pk = " AND ".join(f'"{c}" = ?' for c in pk)
    insert = f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})'
    return _Statements(
        insert=insert,
        upsert=f'{insert} ON CONFLICT ({", ".join(pk)}) {conflict}',
        delete=f'DELETE FROM "{table.name}" WHERE {where_pk}',
        columns=usable,
        index=None if usable == remote_columns else [remote_columns.index(c) for c in usable],
    )


@dataclass
class ApplyResult:
    applied: int = 0
    superseded: list[dict[str, Any]] = field(default_factory=list)


def apply_page(store: Store, page: dict[str, Any], expected_log: str) -> tuple[Cursor, ApplyResult]:
    """Apply one pull page and move the cursor, in one transaction."""
    result = ApplyResult()
    with store.write() as session:
        pending = session.scalar(
            select(func.count()).select_from(OutboxEntry)
            .where(OutboxEntry.status == OutboxStatus.PENDING)
        )
        if pending:
            raise UnpushedChangesError(int(pending))
        if read_cursor(session).log not in ("", expected_log):
            raise ValueError("the cursor changed while this page was fetched")
        # The last state of each row in the page is all that matters.
        latest: dict[tuple[Any, ...], tuple[list[Any], list[Any] | None]] = {}
        for _, table, pk, row in page["changes"]:
            latest[(table, *pk)] = (pk, row)
        by_table: dict[str, tuple[list[Sequence[Any]], list[Sequence[Any]]]] = {}
        for (table, *_), (pk, row) in latest.items():
            if table not in REPLICAS:
                continue  # a table this (older) program does not have
            ups, dels = by_table.setdefault(table, ([], []))
            if row is None:
                dels.append(pk)
            else:
                ups.append(row)
        order = sorted(by_table, key=lambda t: TABLE_ORDER[t])
        for name in order:
            ups = by_table[name][0]
            if not ups:
                continue
            stmts = _statements(REPLICAS[name].table, page["tables"][name])
            rows: list[Sequence[Any]] = (
                ups if stmts.index is None else [[r[i] for i in stmts.index] for r in ups]
            )
            _upsert(session, REPLICAS[name].table, stmts, rows, result)
        for name in reversed(order):
            dels = by_table[name][1]
            if dels:
                stmts = _statements(REPLICAS[name].table, page["tables"].get(name)
                                    or list(REPLICAS[name].column_names))
                session.connection().exec_driver_sql(stmts.delete, [tuple(pk) for pk in dels])
        _recount_occupancy(session, by_table, page["tables"])
        cursor = Cursor(page["log"], Position.parse(page["cursor"]))
        _save_cursor(session, cursor)
        if result.superseded:
            _remember_superseded(session, result.superseded)
        result.applied = len(latest)
    return cursor, result


def _recount_occupancy(
    session: Session, by_table: dict[str, tuple[list[Sequence[Any]], list[Sequence[Any]]]],
    columns: dict[str, list[str]],
) -> None:
    """Bring the occupancy counters in line with the presence rows this page wrote.

    The server's taps move its counters one by one; rows pulled in bulk do
    not, so the station counts the series they touched again (every series
    when a band was deleted, which takes its presence rows with it).
    """
    if by_table.get("wristbands", ([], []))[1]:
        occupancy.recount(session)
        return
    ups, dels = by_table.get("series_presence", ([], []))
    if not ups and not dels:
        return
    position = columns.get("series_presence", REPLICAS["series_presence"].column_names).index("series_id")
    series_ids = {uuid.UUID(str(row[position])) for row in ups}
    series_ids.update(uuid.UUID(str(pk[0])) for pk in dels)
    occupancy.recount(session, series_ids)


def _upsert(session: Session, table: Table, stmts: _Statements, rows: list[Sequence[Any]],
            result: ApplyResult) -> None:
    conn = session.connection()
    params = [tuple(r) for r in rows]
    if table.name in _APPEND_ONLY:
        # Rows of these tables are written once and never changed, so they
        # are almost always new here; SQLite's plain INSERT is much faster
        # than its upsert. The rare repeat falls through to the upsert.
        try:
            conn.exec_driver_sql(stmts.insert, params)
            return
        except IntegrityError:
            pass
    try:
        conn.exec_driver_sql(stmts.upsert, params)
        return
    except IntegrityError:
        # SQLite undid only the failing statement's row; the rows before it
        # stay, and upserting them again below changes nothing. (No savepoint
        # around the batch: it would copy every page it touches to a journal.)
        pass
    # Some row clashes with a local one on another unique key (the same UID
    # registered here and at another station): row by row, the local loser
    # makes way.
    for row in rows:
        try:
            conn.exec_driver_sql(stmts.upsert, tuple(row))
        except IntegrityError:
            _make_way(conn, table, stmts, row, result)
            conn.exec_driver_sql(stmts.upsert, tuple(row))


def _make_way(conn: Connection, table: Table, stmts: _Statements, row: Sequence[Any],
              result: ApplyResult) -> None:
    names = [c.name for c in table.columns]
    values = dict(zip(stmts.columns, row, strict=True))
    pk = [c.name for c in table.primary_key.columns]
    for constraint in table.constraints:
        if not isinstance(constraint, UniqueConstraint):
            continue
        cols = [c.name for c in constraint.columns]
        if not all(c in values for c in cols):
            continue
        where = " AND ".join(f'"{c}" = ?' for c in cols)
        not_same = " OR ".join(f'"{c}" IS NOT ?' for c in pk)
        sql_cols = ", ".join(f'"{c}"' for c in names)
        params = tuple(values[c] for c in cols) + tuple(values[c] for c in pk)
        for loser in conn.exec_driver_sql(
            f'SELECT {sql_cols} FROM "{table.name}" WHERE {where} AND ({not_same})', params
        ).mappings().all():
            log.warning("local %s row %s gives way to the server's", table.name,
                        {c: loser[c] for c in cols})
            result.superseded.append({
                "table": table.name,
                "local": {c: loser[c] for c in pk + cols},
                "server": {c: values[c] for c in pk},
            })
            conn.exec_driver_sql(
                f'DELETE FROM "{table.name}" WHERE ' + " AND ".join(f'"{c}" = ?' for c in pk),
                tuple(loser[c] for c in pk),
            )


def _remember_superseded(session: Session, items: list[dict[str, Any]]) -> None:
    setting = session.get(LocalSetting, SUPERSEDED_KEY)
    kept = list(setting.value.get("items", [])) if setting else []
    kept = (kept + json.loads(json.dumps(items, default=str)))[-_KEEP_SUPERSEDED:]
    if setting is None:
        session.add(LocalSetting(key=SUPERSEDED_KEY, value={"items": kept}))
    else:
        setting.value = {"items": kept}


def superseded(store: Store) -> list[dict[str, Any]]:
    """Local rows that gave way to the server's (newest last), for the user to see."""
    with store.read() as session:
        setting = session.get(LocalSetting, SUPERSEDED_KEY)
        return list(setting.value.get("items", [])) if setting else []


def reset_cursor(store: Store) -> None:
    with store.write() as session:
        _save_cursor(session, Cursor("", START))


def organization_ids(store: Store) -> set[uuid.UUID]:
    from boxoffice.store.models import Organization

    with store.read() as session:
        return set(session.scalars(select(Organization.id)))
