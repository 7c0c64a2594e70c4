"""Change log positions: "TXID.SEQ", and the integer cursors stations stored before there were transaction ids."""

from __future__ import annotations

import pytest

from boxoffice.store.database import Store
from boxoffice.store.models import LocalSetting
from boxoffice.sync.local import CURSOR_KEY, Cursor, _save_cursor, read_cursor
from boxoffice.sync.position import START, Position
from tests.helpers.seeding import Live


def test_positions_are_written_and_read_as_txid_dot_seq() -> None:
    assert str(Position(8123, 45)) == "8123.45"
    assert Position.parse("8123.45") == Position(8123, 45)
    assert Position.parse("0.0") == START


def test_a_bare_integer_is_a_position_of_the_log_before_transaction_ids() -> None:
    assert Position.parse("17") == Position(0, 17)
    assert Position.parse(17) == Position(0, 17)
    assert Position(0, 17) < Position(1, 0) < Position(1, 1)


@pytest.mark.parametrize("bad", ["", "-1", "1.", ".5", "1.2.3", "x", "1e5", "1" * 19])
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a change log position"):
        Position.parse(bad)


def test_a_stations_cursor_stored_as_an_integer_reads_as_transaction_zero(store: Store) -> None:
    with store.write() as session:
        session.add(LocalSetting(key=CURSOR_KEY, value={"log": "a-log", "seq": 1234}))
    with store.read() as session:
        assert read_cursor(session) == Cursor("a-log", Position(0, 1234))
    with store.write() as session:
        _save_cursor(session, Cursor("a-log", Position(99, 3)))
    with store.read() as session:
        assert read_cursor(session) == Cursor("a-log", Position(99, 3))
        assert session.get_one(LocalSetting, CURSOR_KEY).value == {"log": "a-log", "txid": 99, "seq": 3}


def test_the_pull_reads_a_bare_integer_cursor_as_transaction_zero(server: Live) -> None:
    with server.client() as http:
        legacy = http.get("/api/sync/changes", params={"after": "5", "limit": 50})
        spelled = http.get("/api/sync/changes", params={"after": "0.5", "limit": 50})
        refused = http.get("/api/sync/changes", params={"after": "5.x"})
    assert legacy.status_code == spelled.status_code == 200 and refused.status_code == 422
    assert legacy.json() == spelled.json()
    page = legacy.json()
    assert Position.parse(page["cursor"]) == Position.parse(page["changes"][-1][0])
    assert Position.parse(page["head"]) >= Position.parse(page["cursor"])
