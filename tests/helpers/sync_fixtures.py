"""The ``server`` and ``station`` fixtures, declared once for every folder that syncs a station.

A conftest that needs them imports them by name (``from
tests.helpers.sync_fixtures import server, station``), which is how pytest
shares fixtures without a test importing another folder's conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.seeding import Live
from tests.helpers.sync import Station, seeded_server, stations


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    """A seeded central server in process, on a SQLite file and on PostgreSQL."""
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database"
    )
    with seeded_server(target) as state:
        yield state


@pytest.fixture
def station(tmp_path: Path, server: Live) -> Iterator[Station]:
    """Make a logged-in station: its own SQLite file, logged in as ``email``."""
    with stations(tmp_path, server.url) as make:
        yield make
