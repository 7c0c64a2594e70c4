"""A real central server (uvicorn) on a free loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.seeding import Live
from tests.helpers.sync import seeded_server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database"
    )
    with seeded_server(target, controlled_clock=True) as state:
        yield state
