"""A real central server (uvicorn) on a free loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from boxoffice.server.embedded import EmbeddedServer
from tests.helpers.seeding import Live, seed
from tests.helpers.stores import migrated_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database"
    )
    store = migrated_store(target)
    state = seed(store)
    server = EmbeddedServer(store, clock=state.clock)
    state.url = server.start()
    try:
        yield state
    finally:
        server.stop()
        store.dispose()
