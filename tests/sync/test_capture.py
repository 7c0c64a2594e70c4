"""The change log's one hook: every way a write reaches a replicated table is logged as the table holds it.

On a server store (SQLite and PostgreSQL), each test writes one way and
compares the newest logged version of every row with the table.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from boxoffice.domain.enums import Direction
from boxoffice.errors import ChangeLogMissingError
from boxoffice.services import checkins
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Category, EventSeries, Gate, SeriesPresence, SyncChange, Ticket
from boxoffice.store.opening import open_store
from boxoffice.store.types import utcnow
from boxoffice.sync import changelog
from boxoffice.sync.capture import Capture, UnloggableWriteError
from boxoffice.sync.replicas import REPLICAS
from tests.helpers.seeding import Live, seed

CATEGORIES = Category.__table__


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database")
    store = open_store(target)
    changelog.become_server(store)
    live = seed(store)
    try:
        yield live
    finally:
        store.dispose()


def _logged(store: Store, table: str) -> dict[str, Any]:
    """The newest logged version of each row of ``table`` by pk (None: deleted)."""
    with store.read() as session:
        rows = session.execute(
            select(SyncChange.pk, SyncChange.row).where(SyncChange.table_name == table)
            .order_by(SyncChange.txid, SyncChange.seq)
        ).all()
    return {pk: None if row is None else json.loads(row) for pk, row in rows}


def _in_table(store: Store, table: str) -> dict[str, Any]:
    replica = REPLICAS[table]
    with store.read() as session:
        out = {}
        for row in session.execute(select(*replica.columns)):
            encoded = replica.encode(list(row))
            out[json.dumps([encoded[i] for i in replica.pk_positions])] = encoded
    return out


def _agree(store: Store, table: str) -> None:
    logged = {pk: row for pk, row in _logged(store, table).items() if row is not None}
    assert logged == _in_table(store, table)


def _event_id(live: Live) -> uuid.UUID:
    return uuid.UUID(live.ids["event"])


@pytest.mark.slow
def test_an_orm_change_left_for_the_commit_to_flush_is_logged(server: Live) -> None:
    with server.store.write() as session:
        session.get_one(Category, uuid.UUID(server.ids["cat:VIP"])).color = "#AA0000"
    assert _logged(server.store, "categories")[json.dumps([uuid.UUID(server.ids["cat:VIP"]).hex])][3] == "#AA0000"
    _agree(server.store, "categories")


def test_a_core_update_is_logged_and_its_caller_still_gets_the_rowcount(server: Live) -> None:
    stmt = (update(CATEGORIES).where(CATEGORIES.c.event_id == bindparam("ev"))
            .values(color=bindparam("color")))
    with server.store.write() as session:
        done = session.execute(stmt, {"ev": _event_id(server), "color": "#00FF00"})
        assert done.rowcount == 2  # type: ignore[attr-defined]
        again = session.execute(update(Category).where(Category.name == "GA").values(color="#0000FF"))
        assert again.rowcount == 1  # type: ignore[attr-defined]
    _agree(server.store, "categories")


def test_an_insert_that_leaves_out_columns_gets_their_defaults_and_is_logged_as_stored(server: Live) -> None:
    count: list[str] = []
    engine = server.store.write_engine
    listener = lambda *a: count.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with server.store.write() as session:
            session.execute(insert(Category), [{"event_id": _event_id(server), "name": f"Extra {i}"}
                                               for i in range(3)])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert not [s for s in count if s.lstrip().upper().startswith("SELECT") and "categories" in s], count
    _agree(server.store, "categories")


def test_an_insert_on_conflict_is_read_back_at_commit(server: Live) -> None:
    dialect_insert = sqlite.insert if server.store.is_sqlite else postgresql.insert
    cat = uuid.UUID(server.ids["cat:GA"])
    stmt = dialect_insert(CATEGORIES).on_conflict_do_update(
        index_elements=[CATEGORIES.c.id], set_={"color": "#123456"})
    with server.store.write() as session:
        session.execute(stmt, {"id": cat, "event_id": _event_id(server), "name": "GA", "color": "#FFFFFF",
                               "created_at": utcnow()})
    assert _logged(server.store, "categories")[json.dumps([cat.hex])][3] == "#123456"
    _agree(server.store, "categories")


def test_bulk_deletes_and_orm_bulk_updates_by_key_are_logged(server: Live) -> None:
    with server.store.write() as session:
        made = [{"id": uuid.uuid4(), "event_id": _event_id(server), "category_id": uuid.UUID(server.ids["cat:GA"]),
                 "code": f"T-{i}"} for i in range(4)]
        session.execute(insert(Ticket), made)
    with server.store.write() as session:
        session.execute(update(Ticket), [{"id": t["id"], "holder_name": "Ann"} for t in made[:2]])
        gone = session.execute(delete(Ticket).where(Ticket.code.in_(["T-2", "T-3"])))
        assert gone.rowcount == 2  # type: ignore[attr-defined]
    logged = _logged(server.store, "tickets")
    assert [logged[json.dumps([t["id"].hex])] for t in made[2:]] == [None, None]
    _agree(server.store, "tickets")


def test_a_row_written_by_a_statement_and_the_orm_is_logged_as_the_table_holds_it(server: Live) -> None:
    cat = uuid.UUID(server.ids["cat:GA"])
    with server.store.write() as session:
        loaded = session.get_one(Category, cat)
        session.execute(update(CATEGORIES).where(CATEGORIES.c.id == cat).values(color="#010101"))
        loaded.name = "General"  # the ORM's copy still holds the old colour
        session.flush()
    row = _logged(server.store, "categories")[json.dumps([cat.hex])]
    assert row[2:4] == ["General", "#010101"]
    _agree(server.store, "categories")


class _Undo(Exception):
    pass


def test_statements_in_a_rolled_back_savepoint_are_logged_as_the_table_holds_them(server: Live) -> None:
    cat = uuid.UUID(server.ids["cat:VIP"])
    with server.store.write() as session:
        session.execute(update(Category).where(Category.id == cat).values(color="#0F0F0F"))
        with suppress(_Undo), server.store.write() as inner:
            inner.execute(update(Category).where(Category.id == cat).values(color="#FFFFFF"))
            inner.execute(insert(Category), {"event_id": _event_id(server), "name": "Undone"})
            raise _Undo
    logged = _logged(server.store, "categories")
    assert logged[json.dumps([cat.hex])][3] == "#0F0F0F"
    assert not [r for r in logged.values() if r is not None and r[2] == "Undone"]
    _agree(server.store, "categories")


def test_statements_whose_rows_cannot_be_known_are_refused(server: Live) -> None:
    stmt = update(CATEGORIES).where(CATEGORIES.c.id == bindparam("cid")).values(color="#000000")
    with pytest.raises(UnloggableWriteError), server.store.write() as session:
        session.execute(stmt, [{"cid": uuid.UUID(server.ids["cat:GA"])}, {"cid": uuid.UUID(server.ids["cat:VIP"])}])
    with pytest.raises(UnloggableWriteError), server.store.write() as session:
        session.execute(update(Category).values(color="#000000").returning(Category.id))


def test_a_servers_database_opened_without_the_change_log_refuses_writes(server: Live) -> None:
    bare = Store(server.store.url.render_as_string(hide_password=False) if not server.store.is_sqlite
                 else str(server.store.path))
    try:
        bare.set_mode("server")  # as open_store would read it, in a program without the log's hooks
        with pytest.raises(ChangeLogMissingError, match="change log"), bare.write() as session:
            session.execute(update(Category).values(color="#000000"))
    finally:
        bare.dispose()
    _agree(server.store, "categories")


def test_the_gates_tap_is_logged_without_reading_anything_back(
    server: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = server.store
    seen: list[str] = []
    read_back: list[object] = []
    monkeypatch.setattr(Capture, "_read_back", lambda *a: read_back.append(a) or [])

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    owner = resolve_actor(store, "owner@example.org")
    checkins.record_tap(store, owner, server.ids["series"], "Main", server.bands[0], Direction.IN,
                        client_scan_id="warm")  # the organization of the event and series is cached now
    with store.read() as session:
        series = session.get_one(EventSeries, uuid.UUID(server.ids["series"]))
        main = session.get_one(Gate, uuid.UUID(server.ids["gate:Main"]))
        exit_ = session.get_one(Gate, uuid.UUID(server.ids["gate:Exit"]))
    event.listen(store.write_engine, "before_cursor_execute", record)
    try:
        with store.write() as session:
            for band, direction, gate in ((server.bands[1], Direction.IN, main),
                                          (server.bands[0], Direction.OUT, exit_)):
                checkins.decide_and_record(session, series, gate, band, direction,
                                           client_scan_id=f"tap-{band}", device_id="t", now=utcnow())
    finally:
        event.remove(store.write_engine, "before_cursor_execute", record)
    assert read_back == []
    owners = [s for s in seen if "organization_id FROM" in s or "event_id FROM gates" in s]
    assert owners == []
    written = [t for s in seen if s.startswith(("INSERT", "UPDATE", "WITH")) for t in _targets(s)]
    # The occupancy counters are the server's own (not replicated): written, never logged.
    # An exit writes its presence before it moves the counters (``checkins._write_presence``).
    assert written == ["category_occupancy", "series_occupancy", "checkins", "series_presence",
                       "checkins", "series_presence", "category_occupancy", "series_occupancy",
                       "sync_changes"]
    for table in ("checkins", "series_presence"):
        _agree(store, table)


def _targets(statement: str) -> list[str]:
    """The tables a statement writes, in order (PostgreSQL claims both counters in one ``WITH``)."""
    words = statement.split()
    if words[0] == "WITH":
        return re.findall(r"\(INSERT INTO (\w+)", statement)
    return [words[2] if words[0] == "INSERT" else words[1]]


def test_presence_rows_are_logged_as_stored(server: Live) -> None:
    owner = resolve_actor(server.store, "owner@example.org")
    for direction, gate in ((Direction.IN, "Main"), (Direction.OUT, "Exit"), (Direction.IN, "Main")):
        checkins.record_tap(server.store, owner, server.ids["series"], gate, server.bands[2], direction)
    with server.store.read() as session:
        assert session.scalar(select(SeriesPresence.inside)) is True
    _agree(server.store, "series_presence")


@pytest.mark.parametrize("count", [1, 2, 8, 9, 40])
def test_a_commits_changes_are_numbered_in_the_order_given_however_many(server: Live, count: int) -> None:
    """A few changes go to the log as plain parameters, many as arrays (``changelog.write``);
    both keep the order they were given (parents before children) and every value."""
    store = server.store
    org = resolve_actor(store, "owner@example.org").organization_id
    awkward = "a'b\"c,{}"  # what an array literal or a VALUES list would have to quote
    changes = [(i, org, "categories", json.dumps([f"pk-{count}-{i}"]), json.dumps({"n": i, "text": awkward}))
               for i in range(count)]
    changes[-1] = (*changes[-1][:4], None)  # a deletion carries no row
    with store.write() as session:
        changelog.write(session, changes)
    with store.read() as session:
        logged = session.execute(
            select(SyncChange.txid, SyncChange.organization_id, SyncChange.table_name, SyncChange.pk,
                   SyncChange.row)
            .where(SyncChange.pk.like(f'%"pk-{count}-%')).order_by(SyncChange.txid, SyncChange.seq)
        ).all()
    assert len({row.txid for row in logged}) == 1
    assert [(row.organization_id, row.table_name, row.pk, row.row) for row in logged] == [
        (c[1], c[2], c[3], c[4]) for c in changes]
