"""The schema is made by migrations, on SQLite files and on PostgreSQL, and matches the models."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from boxoffice.errors import DatabaseError, DatabaseTooNewError
from boxoffice.store.database import Store
from boxoffice.store.migrate import _backup, current_revision, head_revision, upgrade
from boxoffice.store.models import Base
from boxoffice.store.opening import open_store

EXPECTED_TABLES = {
    "organizations", "members", "events", "gates", "gate_categories", "categories", "tickets",
    "event_series", "series_gates", "series_category_limits", "wristbands",
    "series_wristband_assignments", "series_tickets", "checkins", "series_presence",
    "series_state_transitions", "series_metrics_cache", "outbox", "local_settings",
    "api_tokens", "login_throttle", "sync_state", "sync_changes", "sync_applied_entries",
    "event_keys", "tag_secrets", "encode_batches", "encode_log", "checkin_minutes", "alembic_version",
    "band_number_counters", "band_number_blocks",
    "series_occupancy", "category_occupancy",
    "products", "product_series", "product_counters", "place_leases", "orders", "sold_tickets", "refunds",
    "waitlist_entries", "gate_leases", "gate_devices",
}
EXPECTED_INDEXES = {
    "event_series": {"ix_event_series_event_id", "ix_event_series_status_starts_at",
                     "ix_event_series_organization_id"},
    "series_gates": {"ix_series_gates_series_id"},
    "series_wristband_assignments": {"ix_series_wristband_assignments_series_id_active"},
    "checkins": {"ix_checkins_series_id_occurred_at"},
    "sync_changes": {"ix_sync_changes_organization_id_txid_seq"},
}


def _schema_diff(store: Store) -> list[object]:
    with store.write_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))


def _check_schema(store: Store) -> None:
    with store.write_engine.connect() as conn:
        insp = inspect(conn)
        assert set(insp.get_table_names()) == EXPECTED_TABLES
        for table, wanted in EXPECTED_INDEXES.items():
            assert wanted <= {i["name"] for i in insp.get_indexes(table)}, table
        assert current_revision(conn) == head_revision()
    assert _schema_diff(store) == []


def test_migrates_an_empty_sqlite_file_to_the_models(db_path: Path) -> None:
    assert not db_path.exists()
    store = open_store(db_path)
    try:
        _check_schema(store)
    finally:
        store.dispose()


@pytest.mark.postgres
def test_migrates_an_empty_postgresql_database_to_the_models(empty_pg_database: str) -> None:
    store = open_store(empty_pg_database)
    try:
        _check_schema(store)
        assert upgrade(store) == head_revision()  # a second run changes nothing
    finally:
        store.dispose()


def test_sqlite_connection_settings(store: Store) -> None:
    with store.write_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_reopening_an_up_to_date_database_writes_no_backup(db_path: Path) -> None:
    open_store(db_path).dispose()
    open_store(db_path).dispose()
    assert list(db_path.parent.glob("*.bak")) == []


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_database_from_a_newer_program_is_refused_and_left_alone(db_path: Path) -> None:
    open_store(db_path).dispose()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = _digest(db_path)
    with pytest.raises(DatabaseTooNewError, match="newer version of Box office"):
        open_store(db_path)
    assert _digest(db_path) == before


def test_a_foreign_sqlite_file_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseError, match="not a Box office database"):
        open_store(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("photos",)]


def test_backup_copies_the_whole_database(store: Store, owner: object) -> None:
    target = _backup(store, "0001")
    assert target is not None and target.exists()
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM members").fetchone() == (1,)


def test_migrations_run_inside_one_transaction_on_sqlite(db_path: Path) -> None:
    # Alembic's batch mode needs the connection it is given; a second open
    # must see the finished schema, not a half-made one.
    first = open_store(db_path)
    second = Store(db_path)
    try:
        with second.read() as session:
            assert session.execute(text("SELECT count(*) FROM event_series")).scalar() == 0
    finally:
        first.dispose()
        second.dispose()


def test_upgrading_from_the_first_schema_keeps_the_data_and_a_backup(db_path: Path) -> None:
    from alembic import command

    from boxoffice.store.migrate import alembic_config

    old = Store(db_path)
    cfg = alembic_config()
    with old.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with old.write_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, created_at) "
            "VALUES ('0123456789abcdef0123456789abcdef', 'Old Org', '2026-01-01 00:00:00.000000')"
        )
        assert current_revision(conn) == "0001"
    old.dispose()

    store = open_store(db_path)
    try:
        with store.write_engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert conn.exec_driver_sql("SELECT name FROM organizations").scalar() == "Old Org"
        assert _schema_diff(store) == []
    finally:
        store.dispose()
    backups = list(db_path.parent.glob(f"{db_path.name}.0001.*.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)


def test_upgrading_from_0003_keeps_bands_and_adds_the_encoding_tables(db_path: Path) -> None:
    from alembic import command

    from boxoffice.store.migrate import alembic_config

    old = Store(db_path)
    cfg = alembic_config()
    with old.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    now = "'2026-01-01 00:00:00.000000'"
    with old.write_engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO organizations (id, name, created_at) VALUES ('{'1' * 32}', 'Org', {now})")
        conn.exec_driver_sql(
            "INSERT INTO events (id, organization_id, name, timezone, created_at, updated_at) "
            f"VALUES ('{'2' * 32}', '{'1' * 32}', 'Fest', 'UTC', {now}, {now})"
        )
        conn.exec_driver_sql(
            f"INSERT INTO categories (id, event_id, name, created_at) VALUES ('{'3' * 32}', '{'2' * 32}', 'VIP', {now})"
        )
        conn.exec_driver_sql(
            "INSERT INTO wristbands (id, event_id, category_id, uid, status, number, created_at, updated_at) "
            f"VALUES ('{'4' * 32}', '{'2' * 32}', '{'3' * 32}', '04A1B2C3D4E5F6', 'active', 7, {now}, {now})"
        )
    old.dispose()

    store = open_store(db_path)
    try:
        with store.write_engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            row = conn.exec_driver_sql(
                "SELECT uid, status, number, payload, voided_at, lost_at, void_reason FROM wristbands"
            ).one()
            assert tuple(row) == ("04A1B2C3D4E5F6", "active", 7, None, None, None, None)
            assert conn.exec_driver_sql("SELECT count(*) FROM event_keys").scalar() == 0
        assert _schema_diff(store) == []
    finally:
        store.dispose()
    assert len(list(db_path.parent.glob(f"{db_path.name}.0003.*.bak"))) == 1


def test_the_fast_path_head_is_alembics_head() -> None:
    # Opening an up-to-date database compares against HEAD_REVISION without loading Alembic;
    # a new migration that forgets to move it would otherwise be skipped on open.
    from boxoffice.store.migrate import HEAD_REVISION, head_revision

    assert head_revision() == HEAD_REVISION


def test_opening_an_up_to_date_database_does_not_load_alembic(db_path: Path) -> None:
    import subprocess
    import sys

    open_store(db_path).dispose()
    code = ("import sys; from boxoffice.store.opening import open_store; "
            f"open_store({str(db_path)!r}).dispose(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrading_from_0007_fills_the_occupancy_counts_and_scopes_scan_ids(
        backend: str, db_path: Path, request: pytest.FixtureRequest) -> None:
    from datetime import UTC, datetime, timedelta

    from alembic import command

    from boxoffice.domain.enums import Direction, GateKind, SeriesStatus
    from boxoffice.services import assignments, checkins, events, occupancy, organization
    from boxoffice.services import series as svc
    from boxoffice.services.actor import resolve_actor
    from boxoffice.store.migrate import alembic_config
    from tests.helpers.seeding import add_bands

    target = str(db_path) if backend == "sqlite" else request.getfixturevalue("pg_database")
    store = open_store(target)
    organization.create_organization(store, "Org", "owner@example.org", "Owner")
    owner = resolve_actor(store, "owner@example.org")
    ev = events.create_event(store, owner, "Fest", "UTC")
    events.add_category(store, owner, "Fest", "GA")
    events.add_gate(store, owner, "Fest", "Main", GateKind.ENTRY)
    events.add_gate(store, owner, "Fest", "Exit", GateKind.EXIT)
    start = datetime(2027, 7, 2, 10, 0, tzinfo=UTC)
    sid = str(svc.create_series(store, owner, "Fest", "Day", start, start + timedelta(hours=9), 100,
                                gates=["Main", "Exit"]).series.id)
    bands = add_bands(store, ev.id, "GA", 5)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    svc.transition_series(store, owner, sid, SeriesStatus.SCHEDULED, "ok")
    svc.transition_series(store, owner, sid, SeriesStatus.ACTIVE, "ok")
    for uid in bands:
        checkins.record_tap(store, owner, sid, "Main", uid, Direction.IN, now=start + timedelta(hours=1))
    checkins.record_tap(store, owner, sid, "Exit", bands[0], Direction.OUT, now=start + timedelta(hours=2))
    cfg = alembic_config()
    with store.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    store.dispose()

    store = open_store(target)
    try:
        assert _schema_diff(store) == []
        with store.read() as session:
            assert occupancy.mismatches(session) == []
            assert occupancy.inside(session, uuid.UUID(sid)) == 4
        if backend == "sqlite":
            with store.write_engine.connect() as conn:
                names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")}
            assert {"checkin_minutes_insert", "checkin_minutes_update", "checkin_minutes_delete"} <= names
        checkins.record_tap(store, owner, sid, "Exit", bands[1], Direction.OUT, now=start + timedelta(hours=3))
        with store.read() as session:
            assert occupancy.inside(session, uuid.UUID(sid)) == 3
            assert occupancy.mismatches(session) == []
    finally:
        store.dispose()
