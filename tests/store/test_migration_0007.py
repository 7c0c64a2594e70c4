"""Migration 0007: a server's change log numbered before it keeps its order, and stations' cursors keep their place."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from boxoffice.store.database import Store
from boxoffice.store.migrate import alembic_config, current_revision
from boxoffice.store.models import Organization
from boxoffice.store.opening import open_store
from boxoffice.sync import changelog
from boxoffice.sync.position import Position

ORG = uuid.UUID("0123456789abcdef0123456789abcdef")
LOG_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "server.sqlite3")
    else:
        yield request.getfixturevalue("empty_pg_database")


def _migrate(store: Store, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config()
    with store.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _server_at_0006(target: str) -> None:
    """A server's database as 0006 left it: three changes logged, numbered from last_seq."""
    old = Store(target)
    _migrate(old, "0006")
    sqlite = old.is_sqlite
    org = ORG.hex if sqlite else str(ORG)
    at = "2026-01-01 00:00:00.000000" if sqlite else datetime(2026, 1, 1, tzinfo=UTC)
    with old.write_engine.begin() as conn:
        conn.execute(text("INSERT INTO organizations (id, name, created_at) VALUES (:id, 'Old Org', :at)"),
                     {"id": org, "at": at})
        conn.execute(text("UPDATE sync_state SET mode = 'server', last_seq = 3 WHERE id = 1"))
        conn.execute(text("INSERT INTO local_settings (key, value) VALUES ('changelog_id', :v)"),
                     {"v": f'{{"id": "{LOG_ID}"}}'})
        for seq in (1, 2, 3):
            conn.execute(text(
                'INSERT INTO sync_changes (seq, organization_id, table_name, pk, "row", changed_at) '
                "VALUES (:seq, :org, 'organizations', :pk, :row, :at)"
            ), {"seq": seq, "org": org, "pk": f'["{ORG.hex}"]',
                "row": f'["{ORG.hex}","Old Org {seq}","2026-01-01 00:00:00.000000"]', "at": at})
    old.dispose()


def test_upgrading_keeps_the_logged_changes_first_and_old_cursors_in_place(target: str) -> None:
    _server_at_0006(target)
    store = open_store(target)  # migrates; the change log's hooks are installed (a server's database)
    try:
        with store.read() as session:
            page = changelog.changes_after(session, ORG, Position.parse("1"), 10)
            assert [c.position for c in page] == [Position(0, 2), Position(0, 3)]
            assert changelog.head(session, ORG) == Position(0, 3)
            assert changelog.log_id(session) == LOG_ID
        with store.write() as session:
            session.get_one(Organization, ORG).name = "New Org"
        with store.read() as session:
            # A station that had pulled up to 3 (its integer cursor) gets exactly the new change.
            new = changelog.changes_after(session, ORG, Position.parse("3"), 10)
            assert [c.table for c in new] == ["organizations"] and "New Org" in str(new[0].row)
            assert new[0].position > Position(0, 3) and new[0].position.seq > 3
            assert changelog.head(session, ORG) == new[0].position
            if store.is_sqlite:
                assert new[0].position == Position(0, 4)
            else:
                assert new[0].position.txid > 0
    finally:
        store.dispose()


def test_downgrading_sets_last_seq_and_gives_the_log_a_new_id(target: str) -> None:
    _server_at_0006(target)
    store = open_store(target)
    try:
        with store.write() as session:
            session.get_one(Organization, ORG).name = "New Org"
        _migrate(store, "0006", down=True)
        with store.write_engine.connect() as conn:
            assert current_revision(conn) == "0006"
            assert conn.execute(text("SELECT last_seq FROM sync_state")).scalar() == conn.execute(
                text("SELECT max(seq) FROM sync_changes")).scalar()
            assert "txid" not in {c["name"] for c in inspect(conn).get_columns("sync_changes")}
            value = conn.execute(text("SELECT value FROM local_settings WHERE key = 'changelog_id'")).scalar()
            assert LOG_ID not in str(value)
        _migrate(store, "head")
    finally:
        store.dispose()
