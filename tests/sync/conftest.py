"""Stations (real SQLite files) syncing with a real central server over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from boxoffice.server.embedded import EmbeddedServer
from boxoffice.store.database import Store
from boxoffice.sync import client as sync_client
from boxoffice.sync.replicas import REPLICAS
from tests.helpers.stores import migrated_store
from tests.server.conftest import PASSWORD, Live, seed


@pytest.fixture(autouse=True)
def _no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine has no OS keyring; the file fallback is what runs here.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database"
    )
    store = migrated_store(target)
    state = seed(store)
    central = EmbeddedServer(store)
    state.url = central.start()
    try:
        yield state
    finally:
        central.stop()
        store.dispose()


Station = Callable[..., Store]


@pytest.fixture
def station(tmp_path: Path, server: Live) -> Iterator[Station]:
    """Make a logged-in station: its own SQLite file, logged in as ``email``."""
    opened: list[Store] = []

    def make(name: str = "Box office 1", email: str = "owner@example.org") -> Store:
        store = migrated_store(tmp_path / f"{name.replace(' ', '_')}.sqlite3")
        opened.append(store)
        sync_client.login(store, server.url, email, PASSWORD, station=name)
        return store

    yield make
    for s in opened:
        s.dispose()


def sync(store: Store, **kwargs: Any) -> sync_client.SyncReport:
    with sync_client.SyncClient.from_store(store, **kwargs) as client:
        return client.sync_once()


def snapshot(store: Store, tables: tuple[str, ...] | None = None) -> dict[str, set[tuple[Any, ...]]]:
    """Every replicated row, as the change log encodes it: comparable across SQLite and PostgreSQL."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    with store.read() as session:
        for name, replica in REPLICAS.items():
            if tables and name not in tables:
                continue
            rows = session.execute(select(*replica.columns)).all()
            out[name] = {tuple(replica.encode(list(r))) for r in rows}
    return out
