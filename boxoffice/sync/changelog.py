"""The central server's change log: every committed row change, in an order stations can follow.

Stations pull the log page by page after a cursor; the cursor must never
step over a change that is committed later. And with many writers (the
gates' taps, several server processes on one PostgreSQL database), no
commit may wait on a single row to get its number.

**Positions.** A change's position is ``(txid, seq)``, written "TXID.SEQ"
(``boxoffice.sync.position``), ordered by transaction id, then sequence
number.

- On **PostgreSQL**, ``txid`` is the writing transaction's id
  (``pg_current_xact_id()``) and ``seq`` comes from the sequence
  ``sync_changes_seq``, drawn in the order of the transaction's changes
  (parents before children). Neither takes a lock another writer waits on.
  A transaction's id is given when it starts writing, not when it commits,
  so the log fills out of order: the pull therefore serves only changes of
  transactions **below the horizon**, the oldest transaction of this
  database still running when the pull's statement took its snapshot (or,
  with none, the snapshot's ``xmax``, the first id it sees as unfinished).
  Every transaction of this database below it has ended, and its changes
  are either all visible to that snapshot (committed) or never will be
  (rolled back); any transaction still running, or not yet begun, has an id
  at or above it. A cursor only ever advances to a position below the
  horizon of the pull that served it, and every change committed after
  that pull lies at or above that horizon, so beyond the cursor: none is
  skipped. The horizon and the rows are read by one statement (one
  snapshot); reading them in two could let a transaction end between them
  and its rows fall behind the cursor.

  The snapshot's running transactions (``pg_snapshot_xip``) are those of
  the whole cluster. One is left out only when ``pg_stat_activity`` shows
  it running in another database, or in a process that is not a client
  session (autovacuum's ANALYZE takes an id): neither writes this log. One
  that ended meanwhile, or cannot be placed, counts as this database's.
  (With ``pg_snapshot_xmin`` alone, any other database's long transaction,
  say another application's on a shared server, would hold every pull back.)

  *Caveat:* a transaction of this database that has written something and
  stays open (an import running for minutes, a session left "idle in
  transaction", a prepared transaction) holds every pull at its id until it
  ends: stations see nothing newer meanwhile, then everything at once.
  Nothing is lost, only late. Read-only transactions (reports, ``pg_dump``)
  have no id and hold nothing back. Needs PostgreSQL 13 or newer.

- On **SQLite**, there is one writer at a time (``BEGIN IMMEDIATE`` takes
  the write lock when the transaction starts), so numbering under that lock
  just before the commit numbers changes in commit order: ``txid`` is 0 and
  ``seq`` follows the largest number in the log. No horizon is needed.

Changes logged before migration 0007 kept their numbers with ``txid`` 0, and
PostgreSQL's transaction ids are above 0, so they stay first, in their order,
and a station's old integer cursor N is the position (0, N).

**Capture** is ``boxoffice.sync.capture``: the ORM's flushes and every
DML statement executed through a session, so use cases log nothing by hand.
The log is written in ``before_commit`` of the outermost transaction, in the
same transaction as the changes.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, event, func, insert, select, text, tuple_, union_all
from sqlalchemy.orm import Session

from boxoffice.errors import DatabaseError
from boxoffice.store.database import Store
from boxoffice.store.models import Event, EventSeries, Gate, LocalSetting, Organization, SyncChange, SyncState
from boxoffice.store.opening import on_open
from boxoffice.store.types import utcnow
from boxoffice.sync.capture import Capture, Change
from boxoffice.sync.position import START, Position
from boxoffice.sync.replicas import REPLICAS, TABLE_ORDER

log = logging.getLogger(__name__)

LOG_ID_KEY = "changelog_id"
# Rows per statement when a commit logs many (a database's first log, a bulk import).
_WRITE_CHUNK = 5_000

_sync_changes = SyncChange.__table__
assert isinstance(_sync_changes, Table)

# One round trip: the transaction id, and sequence numbers drawn in the order
# of the changes. PostgreSQL evaluates volatile output expressions (nextval)
# after ORDER BY, row by row, as its SELECT reference documents.
_INSERT_PG_HEAD = (
    'INSERT INTO sync_changes (txid, seq, organization_id, table_name, pk, "row", changed_at) '
    "SELECT pg_current_xact_id()::text::bigint, nextval('sync_changes_seq'), c.org, c.tbl, c.pk, "
    "c.r, :now FROM "
)
_INSERT_PG = text(
    _INSERT_PG_HEAD
    + "unnest(CAST(:orgs AS uuid[]), CAST(:tables AS text[]), CAST(:pks AS text[]), "
    "CAST(:rows AS text[])) WITH ORDINALITY AS c(org, tbl, pk, r, ord) ORDER BY c.ord"
)
# A commit that logs a few rows (a gate's tap logs two) passes them as plain parameters
# of a VALUES list instead: adapting four arrays cost a third of the statement's time.
# One text per row count, so each is prepared once per connection like any other.
_SMALL_BATCH = 8
_INSERT_PG_SMALL = {
    n: text(_INSERT_PG_HEAD + "(VALUES " + ", ".join(
        f"(CAST(:o{i} AS uuid), :t{i}, :k{i}, :r{i}, {i})" for i in range(n)
    ) + ") AS c(org, tbl, pk, r, ord) ORDER BY c.ord")
    for n in range(1, _SMALL_BATCH + 1)
}
# Each row numbered after the largest number in the log, its predecessors in the same
# executemany included: one statement, however many rows (SQLite runs them in order).
_INSERT_SQLITE = insert(_sync_changes).inline().values(
    txid=0, seq=select(func.coalesce(func.max(SyncChange.seq), 0) + 1).scalar_subquery())
# This database's transactions below this id have all ended (see the module
# docstring). Read in the statement that reads the rows, so both come from one
# snapshot (pg_current_snapshot() is the statement's, however often it is called).
_HORIZON = text(
    "(SELECT coalesce("
    "(SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x"
    " WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity AS a"
    " WHERE a.backend_xid = xid(x)"
    " AND (a.datname <> current_database() OR a.backend_type <> 'client backend'))),"
    " pg_snapshot_xmax(pg_current_snapshot()))::text::bigint)"
)


def write(session: Session, changes: list[Change]) -> None:
    """Append ``changes`` (already in log order) to the log, numbered for this transaction."""
    store: Store = session.info["store"]
    conn = session.connection()
    now = utcnow()
    for start in range(0, len(changes), _WRITE_CHUNK):
        chunk = changes[start:start + _WRITE_CHUNK]
        if store.is_sqlite:
            # Under SQLite's write lock, held since BEGIN IMMEDIATE: nobody else numbers meanwhile.
            conn.execute(_INSERT_SQLITE, [
                {"organization_id": org, "table_name": name, "pk": pk, "row": row, "changed_at": now}
                for (_, org, name, pk, row) in chunk
            ])
        elif len(chunk) <= _SMALL_BATCH:
            params: dict[str, Any] = {"now": now}
            for i, (_, org, name, pk, row) in enumerate(chunk):
                params.update({f"o{i}": org, f"t{i}": name, f"k{i}": pk, f"r{i}": row})
            conn.execute(_INSERT_PG_SMALL[len(chunk)], params)
        else:
            conn.execute(_INSERT_PG, {
                "orgs": [c[1] for c in chunk], "tables": [c[2] for c in chunk],
                "pks": [c[3] for c in chunk], "rows": [c[4] for c in chunk], "now": now,
            })


@dataclass(frozen=True)
class LoggedChange:
    position: Position
    table: str
    pk: str
    row: str | None


def _below_horizon(store: Store) -> list[ColumnElement[bool]]:
    return [] if store.is_sqlite else [SyncChange.txid < _HORIZON]


def changes_after(session: Session, organization_id: uuid.UUID, after: Position,
                  limit: int) -> list[LoggedChange]:
    """One page of the log: the caller's organization's changes after ``after``, oldest first.

    Both forms read the index (organization_id, txid, seq) in order and stop
    at ``limit``, however long the log. PostgreSQL: one range from the
    cursor, then the horizon on the page (the rows below it come first, so
    what remains is a prefix); put inside the scan, the horizon, unknown
    when the query is planned, makes the planner expect a few rows and sort
    them all. SQLite: two ranges (the rest of the cursor's transaction, then
    the later ones), since it reads ``(txid, seq) > (?, ?)`` as ``txid >= ?``.
    """
    store: Store = session.info["store"]
    cols = (SyncChange.txid, SyncChange.seq, SyncChange.table_name, SyncChange.pk, SyncChange.row)
    mine = SyncChange.organization_id == organization_id
    in_order = (SyncChange.txid, SyncChange.seq)
    if store.is_sqlite:
        rest_of_txid = (select(*cols).where(mine, SyncChange.txid == after.txid, SyncChange.seq > after.seq)
                        .order_by(*in_order).limit(limit).subquery("same"))
        later = (select(*cols).where(mine, SyncChange.txid > after.txid)
                 .order_by(*in_order).limit(limit).subquery("later"))
        page = union_all(select(rest_of_txid), select(later)).subquery("page")
        stmt = select(page).order_by(page.c.txid, page.c.seq).limit(limit)
    else:
        scan = (select(*cols).where(mine, tuple_(*in_order) > tuple_(after.txid, after.seq))
                .order_by(*in_order).limit(limit).subquery("page"))
        stmt = select(scan).where(scan.c.txid < _HORIZON).order_by(scan.c.txid, scan.c.seq)
    rows = session.connection().execute(stmt).all()
    return [LoggedChange(Position(r[0], r[1]), r[2], r[3], r[4]) for r in rows]


def head(session: Session, organization_id: uuid.UUID) -> Position:
    """The newest position a pull of this organization can be served: a station's cursor is never beyond it.

    Unless the log lost its tail (the database came back from a backup):
    then the station starts over.
    """
    store: Store = session.info["store"]
    row = session.connection().execute(
        select(SyncChange.txid, SyncChange.seq)
        .where(SyncChange.organization_id == organization_id, *_below_horizon(store))
        .order_by(SyncChange.txid.desc(), SyncChange.seq.desc())
        .limit(1)
    ).first()
    return Position(row[0], row[1]) if row else START


# -- the hooks ----------------------------------------------------------------


def install(store: Store) -> Capture:
    """Watch the store's write sessions for the log; idempotent. The hooks check ``keeps_changelog``."""
    capture = store.change_capture
    if isinstance(capture, Capture):
        return capture
    capture = Capture(store)
    factory = store.session_factory

    def before_commit(session: Session) -> None:
        if not store.keeps_changelog or session.in_nested_transaction():
            return  # a savepoint's changes are logged with the transaction's
        changes = capture.changes(session)
        if changes:
            write(session, changes)

    event.listen(factory, "do_orm_execute", capture.on_execute)
    event.listen(factory, "after_flush", capture.after_flush)
    event.listen(factory, "before_commit", before_commit)
    event.listen(factory, "after_soft_rollback", capture.after_soft_rollback)
    store.change_capture = capture
    return capture


def _install_if_server(store: Store) -> None:
    if store.keeps_changelog:
        install(store)


# Every store opened in a process that imported this module keeps the log if
# it is a server's; one that did not import it refuses to write a server's
# database (``ChangeLogMissingError``) rather than write it unlogged.
on_open(_install_if_server)


def become_server(store: Store) -> None:
    """Make this database the central server's: it keeps a change log from now on.

    Idempotent. A database that held data before (or was filled with bulk
    statements) gets that data logged first, so the first pull is complete.
    """
    install(store)
    with store.write() as session:
        state = session.get_one(SyncState, 1)
        if state.mode == "station":
            raise DatabaseError(
                f"{store.display_name} is a station's copy of a server's data; "
                "a server needs a database of its own."
            )
        if state.mode != "server":
            state.mode = "server"
            session.flush()
            empty = session.scalar(select(SyncChange.seq).limit(1)) is None
            if empty and session.scalar(select(Organization.id).limit(1)) is not None:
                log.warning("first start as a server: logging the rows %s already holds for the "
                            "stations (once; a large database takes a while)", store.display_name)
                backfill(session)
        if session.get(LocalSetting, LOG_ID_KEY) is None:
            session.add(LocalSetting(key=LOG_ID_KEY, value={"id": str(uuid.uuid4())}))
    store.set_mode("server")


def log_id(session: Session) -> str:
    """Which log this is: a station whose cursor came from another (a restored server) starts over."""
    setting = session.get(LocalSetting, LOG_ID_KEY)
    return str(setting.value["id"]) if setting else ""


def backfill(session: Session) -> int:
    """Log every replicated row as it is now: a database that becomes a server starts its log whole.

    Used when the log is empty but the database is not (an installation that
    ran before it served stations, or data loaded with bulk statements).
    """
    changes: list[Change] = []
    org_of_event = dict(session.execute(select(Event.id, Event.organization_id)).all())
    org_of_series = dict(session.execute(select(EventSeries.id, EventSeries.organization_id)).all())
    event_of_gate = dict(session.execute(select(Gate.id, Gate.event_id)).all())
    owners: dict[str, dict[Any, Any]] = {"event": org_of_event, "series": org_of_series,
              "gate": {g: org_of_event.get(e) for g, e in event_of_gate.items()}}
    for name, replica in REPLICAS.items():
        order = TABLE_ORDER[name]
        for row in session.connection().execute(select(*replica.columns)).mappings():
            key = row[replica.owner_column]
            org = key if replica.owner_kind == "organization" else owners[replica.owner_kind].get(key)
            if org is None:
                continue
            encoded = replica.encode([row[c.name] for c in replica.columns])
            pk = json.dumps([encoded[i] for i in replica.pk_positions])
            changes.append((order, org, name, pk, json.dumps(encoded, separators=(",", ":"))))
    if changes:
        write(session, changes)
    log.info("change log started with %d rows", len(changes))
    return len(changes)

