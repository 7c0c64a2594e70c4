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
from boxoffice.store.base import Base
from boxoffice.store.database import Store
from boxoffice.store.models import LocalSetting, OutboxEntry
from boxoffice.sync.position import START, Position
from boxoffice.sync.replicas import REPLICAS, TABLE_ORDER
from boxoffice.sync.scope import OWN_ROW_ONLY, Scope, describe_loss, gained, lost
from boxoffice.sync.state import SCOPE_NOTICE_KEY

log = logging.getLogger(__name__)

CURSOR_KEY = "sync_cursor"
SUPERSEDED_KEY = "sync_superseded"
SCOPE_KEY = "sync_scope"
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
    # Rows removed because the role may no longer hold them, and the sentence that says so.
    removed: int = 0
    notice: str | None = None
    # The scope widened: the cursor went back to the start, to pull what was held back.
    restarted: bool = False


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
        cursor = Cursor(page["log"], Position.parse(page["cursor"]))
        if page.get("scope") is not None:
            cursor = _follow_scope(session, Scope.from_wire(page["scope"]), cursor, result)
        if result.removed:
            occupancy.recount(session)  # check-ins may have gone with the role
        else:
            _recount_occupancy(session, by_table, page["tables"])
        _save_cursor(session, cursor)
        if result.superseded:
            _remember_superseded(session, result.superseded)
        result.applied = len(latest)
    return cursor, result


def read_scope(session: Session) -> Scope | None:
    setting = session.get(LocalSetting, SCOPE_KEY)
    return Scope.from_wire(setting.value) if setting is not None else None


def _follow_scope(session: Session, scope: Scope, cursor: Cursor, result: ApplyResult) -> Cursor:
    """Hold what ``scope`` admits and nothing more; returns the cursor to save.

    Narrower than before: the rows the role may no longer hold are deleted
    here, in the page's transaction, and a sentence is kept for the person
    (``scope_notice``). Wider: the rows held back until now lie behind the
    cursor in the log, so the cursor goes back to the start.
    """
    before = read_scope(session)
    if before == scope:
        return cursor
    dropped = lost(before, scope)
    removed = _let_go(session, dropped, scope)
    if removed:
        result.removed = removed
        result.notice = describe_loss(scope.role, dropped)
        log.warning("%s (%d rows)", result.notice, removed)
        _set(session, SCOPE_NOTICE_KEY, {"text": result.notice, "rows": removed})
    if gained(before, scope):
        if not removed and (notice := session.get(LocalSetting, SCOPE_NOTICE_KEY)) is not None:
            session.delete(notice)  # the role was raised again: what it said is no longer so
        log.info("this station's role (%s) may hold more than before: pulling everything again",
                 scope.role.value)
        result.restarted = True
        cursor = Cursor(cursor.log, START)
    _set(session, SCOPE_KEY, scope.to_wire())
    return cursor


def _let_go(session: Session, dropped: list[str], scope: Scope | None) -> int:
    """Delete the rows of ``dropped`` (child-first), keeping ``scope``'s own row; returns rows deleted.

    Rows kept that name a dropped row (a series' creator, a batch's operator)
    forget the name: the column is nullable, or the referring row goes too
    (or the database's ON DELETE CASCADE takes it).
    """
    conn = session.connection()
    gone = set(dropped)
    for table in reversed(Base.metadata.sorted_tables):
        for column in table.columns:
            for fk in column.foreign_keys:
                target = fk.column.table.name
                if target not in gone or table.name in gone or fk.ondelete == "CASCADE":
                    continue
                keep = scope.own_value(target) if scope is not None and target in OWN_ROW_ONLY else None
                spare = f' AND "{column.name}" <> ?' if keep is not None else ""
                params = (keep,) if keep is not None else ()
                if column.nullable:
                    conn.exec_driver_sql(f'UPDATE "{table.name}" SET "{column.name}" = NULL '
                                         f'WHERE "{column.name}" IS NOT NULL{spare}', params)
                else:
                    conn.exec_driver_sql(f'DELETE FROM "{table.name}" WHERE 1 = 1{spare}', params)
    removed = 0
    for name in dropped:
        keep = scope.own_value(name) if scope is not None and name in OWN_ROW_ONLY else None
        if keep is not None:
            pk = REPLICAS[name].pk_names[0]
            removed += conn.exec_driver_sql(f'DELETE FROM "{name}" WHERE "{pk}" <> ?', (keep,)).rowcount
        else:
            removed += conn.exec_driver_sql(f'DELETE FROM "{name}"').rowcount
    return removed


def let_go_of_organization(store: Store, message: str) -> int:
    """This station's member was removed: delete every row it holds of the organization, and say so.

    What was never sent (the outbox) stays, for whoever logs in next to see.
    """
    with store.write() as session:
        removed = _let_go(session, [name for name in reversed(REPLICAS)], None)
        occupancy.recount(session)
        _save_cursor(session, Cursor("", START))
        gone = session.get(LocalSetting, SCOPE_KEY)
        if gone is not None:
            session.delete(gone)
        notice = f"{message} This station removed the organization's data it held ({removed:,} rows)."
        _set(session, SCOPE_NOTICE_KEY, {"text": notice, "rows": removed})
    log.warning("%s", notice)
    return removed


def _set(session: Session, key: str, value: dict[str, Any]) -> None:
    setting = session.get(LocalSetting, key)
    if setting is None:
        session.add(LocalSetting(key=key, value=value))
    else:
        setting.value = value


def scope_notice(store: Store) -> str | None:
    """The last sentence about rows this station removed when its role was lowered, if any."""
    with store.read() as session:
        setting = session.get(LocalSetting, SCOPE_NOTICE_KEY)
        return str(setting.value["text"]) if setting is not None else None


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
                "text": _gave_way_text(conn, table.name, dict(loser), values, cols),
            })
            conn.exec_driver_sql(
                f'DELETE FROM "{table.name}" WHERE ' + " AND ".join(f'"{c}" = ?' for c in pk),
                tuple(loser[c] for c in pk),
            )


def _category_name(conn: Connection, category_id: Any) -> str | None:
    found = conn.exec_driver_sql('SELECT "name" FROM "categories" WHERE "id" = ?', (category_id,)).scalar()
    return str(found) if found is not None else None


def _band_label(conn: Connection, row: dict[str, Any]) -> str:
    category = _category_name(conn, row.get("category_id")) or "another category"
    return f"{category} #{int(row['number']):04d}" if row.get("number") else category


def _gave_way_text(conn: Connection, table: str, loser: dict[str, Any], winner: dict[str, Any],
                   cols: list[str]) -> str:
    """A local row that gave way to the server's, for a person: what it was and who had it first."""
    if table == "wristbands":
        station = winner.get("station")
        first = f"at {station}" if station else "at another station"
        same = _band_label(conn, winner)
        mine = _band_label(conn, loser)
        kept = "" if same == mine else f" as {same}"
        return (f"Wristband {loser.get('uid')} ({mine}) was replaced by the server's: "
                f"it was registered first {first}{kept}.")
    named = [c for c in cols if not c.endswith("_id")]
    shown = ", ".join(f"{c.replace('_', ' ')} {loser[c]}" for c in named)
    thing = table.rstrip("s").replace("_", " ")
    same = " and ".join(c.replace("_", " ") for c in named) or "key"
    return (f"A {thing} made here{f' ({shown})' if shown else ''} was replaced by the server's, "
            f"which another station made first with the same {same}.")


def superseded_text(item: dict[str, Any]) -> str:
    """The sentence of one ``superseded`` item (items kept by older versions have none: say what is known)."""
    if item.get("text"):
        return str(item["text"])
    thing = str(item.get("table", "row")).rstrip("s").replace("_", " ")
    return f"A {thing} made here was replaced by the server's."


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
