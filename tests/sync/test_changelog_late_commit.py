"""A change committed late, by a transaction that began before others that committed first, is not skipped.

PostgreSQL only: there, transaction A can take its id, write, and stay open
while B (a higher id) commits. A log ordered by transaction id alone would
hand B to a station, move its cursor past A's id, and A's change, committed
afterwards below the cursor, would never be pulled. SQLite cannot get into
this state: A holds the database's one write lock from its first statement,
so B cannot commit before A ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from boxoffice.services import events
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Category, SyncChange
from boxoffice.sync import client as sync_client
from boxoffice.sync.local import read_cursor
from boxoffice.sync.wire import MAX_WAIT_SECONDS
from tests.helpers.seeding import Live
from tests.helpers.sync import Station, seeded_server, snapshot, sync

WAIT_S = 60.0


@pytest.fixture
def server(pg_database: str) -> Iterator[Live]:
    with seeded_server(pg_database) as live:
        yield live


def _names(store: Store) -> set[str]:
    with store.read() as session:
        return set(session.scalars(select(Category.name)))


@pytest.mark.postgres
def test_a_change_committed_late_reaches_a_station_that_pulled_the_later_ones(
    server: Live, station: Station
) -> None:
    st = station()
    owner = resolve_actor(server.store, "owner@example.org")
    written, release = threading.Event(), threading.Event()
    early: dict[str, Any] = {}

    def transaction_a() -> None:
        try:
            with server.store.write() as session:
                early["txid"] = session.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
                events.add_category(server.store, owner, "Gate Fest", "Early")  # joins this transaction
                written.set()
                early["released"] = release.wait(WAIT_S)
        except BaseException as exc:  # re-raised by the test
            early["error"] = exc
            written.set()

    a = threading.Thread(target=transaction_a, name="transaction-a", daemon=True)
    a.start()
    try:
        assert written.wait(WAIT_S) and "error" not in early, early
        # B begins after A, so its id is higher, and commits first.
        with server.client() as http:
            made = http.post(f"/api/events/{server.ids['event']}/categories", json={"name": "Late"})
        assert made.status_code == 201, made.text
        with server.store.read() as session:
            late_txid = session.scalar(select(SyncChange.txid).where(SyncChange.row.contains('"Late"')))
        assert late_txid is not None and late_txid > early["txid"]

        sync(st)  # B is committed, but the pull stops below A: A may still commit
        assert "Late" not in _names(st) and "Early" not in _names(st)
        with st.read() as session:
            assert read_cursor(session).position.txid < early["txid"]
    finally:
        release.set()
        a.join(WAIT_S)
    assert not a.is_alive() and early.get("released") and "error" not in early, early

    with sync_client.SyncClient.from_store(st) as client:
        client.sync_once(wait=MAX_WAIT_SECONDS)  # long-polls until the held-back changes are served
    assert {"Early", "Late"} <= _names(st)
    assert snapshot(st) == snapshot(server.store)


@pytest.mark.postgres
def test_a_transaction_that_rolls_back_releases_the_changes_after_it(server: Live, station: Station) -> None:
    st = station()
    owner = resolve_actor(server.store, "owner@example.org")

    class Undo(Exception):
        pass

    with pytest.raises(Undo), server.store.write() as session:
        session.execute(text("SELECT pg_current_xact_id()"))
        events.add_category(server.store, owner, "Gate Fest", "Never")
        with server.client() as http:
            made = http.post(f"/api/events/{server.ids['event']}/categories", json={"name": "Kept"})
        assert made.status_code == 201, made.text
        raise Undo
    with sync_client.SyncClient.from_store(st) as client:
        client.sync_once(wait=MAX_WAIT_SECONDS)
    names = _names(st)
    assert "Kept" in names and "Never" not in names
    assert snapshot(st) == snapshot(server.store)
    with server.store.read() as session:
        assert session.scalar(select(SyncChange.seq).where(SyncChange.row.contains('"Never"'))) is None


@pytest.mark.postgres
def test_a_transaction_open_in_another_database_does_not_hold_pulls_back(server: Live, station: Station) -> None:
    from sqlalchemy import create_engine

    from tests.helpers.stores import pg_url

    st = station()
    other_url = pg_url()
    assert other_url is not None
    other = create_engine(other_url)  # the cluster's database the tests' own are made from
    try:
        with other.connect() as conn, conn.begin():
            conn.execute(text("SELECT pg_current_xact_id()"))  # holds an id until the block ends
            with server.client() as http:
                made = http.post(f"/api/events/{server.ids['event']}/categories", json={"name": "Now"})
            assert made.status_code == 201, made.text
            sync(st)
            assert "Now" in _names(st)
    finally:
        other.dispose()
