"""Stations (real SQLite files) syncing with a real central server over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.seeding import Live
from tests.helpers.sync import Station, no_keyring, seeded_server, stations


@pytest.fixture(autouse=True)
def _no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_keyring(tmp_path, monkeypatch)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
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
