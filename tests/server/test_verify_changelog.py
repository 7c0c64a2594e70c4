"""The verify path writes its check-in and presence with core statements: they must still reach the log."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from boxoffice.domain.enums import Direction
from boxoffice.services import checkins
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Checkin, EventSeries, Gate, SeriesPresence, SyncChange
from boxoffice.store.opening import open_store
from boxoffice.store.types import utcnow
from boxoffice.sync import changelog
from boxoffice.sync.replicas import REPLICAS
from tests.helpers.seeding import Live, seed


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database"
    )
    store = open_store(target)
    changelog.become_server(store)
    state = seed(store)
    try:
        yield state
    finally:
        store.dispose()


def _logged(store: Store, table: str) -> dict[str, list[object]]:
    """The newest logged version of each row of ``table``, by pk."""
    with store.read() as session:
        rows = session.execute(
            select(SyncChange.pk, SyncChange.row).where(SyncChange.table_name == table)
            .order_by(SyncChange.txid, SyncChange.seq)
        ).all()
    return {pk: json.loads(row) for pk, row in rows if row is not None}


def _as_in_table(store: Store, table: str) -> dict[str, list[object]]:
    replica = REPLICAS[table]
    with store.read() as session:
        out = {}
        for row in session.execute(select(*replica.columns)):
            encoded = replica.encode(list(row))
            out[json.dumps([encoded[i] for i in replica.pk_positions])] = encoded
    return out


def test_taps_reach_the_change_log_as_the_tables_hold_them(server: Live) -> None:
    store = server.store
    owner = resolve_actor(store, "owner@example.org")
    series, band = server.ids["series"], server.bands[0]
    first = checkins.record_tap(store, owner, series, "Main", band, Direction.IN, client_scan_id="a")
    again = checkins.record_tap(store, owner, series, "Main", band, Direction.IN, client_scan_id="a")
    denied = checkins.record_tap(store, owner, series, "Main", band, Direction.IN, client_scan_id="b")
    out = checkins.record_tap(store, owner, series, "Exit", band, Direction.OUT, client_scan_id="c")
    assert (first.reason.value, again.replayed, again.id) == ("ok", True, first.id)
    assert (denied.reason.value, out.reason.value) == ("already_inside", "exit_ok")
    for table in ("checkins", "series_presence"):
        assert _logged(store, table) == _as_in_table(store, table)
    assert len(_logged(store, "checkins")) == 3


def test_a_tap_in_a_savepoint_that_is_rolled_back_is_not_logged(server: Live) -> None:
    store = server.store
    with store.write() as session:
        series = session.get_one(EventSeries, uuid.UUID(server.ids["series"]))
        gate = session.get_one(Gate, uuid.UUID(server.ids["gate:Main"]))
        for band, scan in ((server.bands[1], "kept"), (server.bands[2], "undone")):
            with contextlib.ExitStack() as stack:
                if scan == "undone":
                    stack.enter_context(pytest.raises(RuntimeError))
                    stack.enter_context(session.begin_nested())
                checkins.decide_and_record(session, series, gate, band, Direction.IN,
                                           client_scan_id=scan, device_id="test", now=utcnow())
                if scan == "undone":
                    raise RuntimeError("the caller goes on without this tap")
    with store.read() as session:
        scans = set(session.scalars(select(Checkin.client_scan_id)))
        inside = session.scalar(select(func.count()).select_from(SeriesPresence))
    assert scans == {"kept"} and inside == 1
    assert _logged(store, "checkins") == _as_in_table(store, "checkins")
    assert _logged(store, "series_presence") == _as_in_table(store, "series_presence")
