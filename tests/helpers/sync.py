"""Stations syncing with a seeded central server: one sync round, a comparable snapshot, the server itself.

``sync`` runs one round for a station's store; ``snapshot`` reads every
replicated row as the change log encodes it (comparable across SQLite and
PostgreSQL). ``seeded_server``, ``stations`` and ``no_keyring`` are the
bodies of the ``server``, ``station`` and ``_no_keyring`` fixtures of
``tests/sync/conftest.py``, for a folder that needs the same fixtures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.store.database import Store
from boxoffice.sync import client as sync_client
from boxoffice.sync.replicas import REPLICAS
from tests.helpers.seeding import PASSWORD, Live, seed
from tests.helpers.stores import migrated_store

Station = Callable[..., Store]


def no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials in a file under ``tmp_path``: this machine has no OS keyring, the file fallback is what runs."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))


@contextmanager
def seeded_server(target: str | Path, *, controlled_clock: bool = False) -> Iterator[Live]:
    """``seed`` on ``target`` (a SQLite path or a PostgreSQL URL), served in process; yields its ``Live``.

    ``controlled_clock``: the server reads ``Live.clock``, which a test moves past a bound
    instead of sleeping; otherwise it reads the real time.
    """
    store = migrated_store(target)
    state = seed(store)
    central = EmbeddedServer(store, clock=state.clock) if controlled_clock else EmbeddedServer(store)
    state.url = central.start()
    try:
        yield state
    finally:
        central.stop()
        store.dispose()


@contextmanager
def stations(folder: Path, url: str) -> Iterator[Station]:
    """Make logged-in stations: ``make(name, email)`` is a SQLite file in ``folder`` logged in to ``url``."""
    opened: list[Store] = []

    def make(name: str = "Box office 1", email: str = "owner@example.org") -> Store:
        store = migrated_store(folder / f"{name.replace(' ', '_')}.sqlite3")
        opened.append(store)
        sync_client.login(store, url, email, PASSWORD, station=name)
        return store

    try:
        yield make
    finally:
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
