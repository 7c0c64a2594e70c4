"""The ``shop`` fixture: a seeded organization with a product, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.sales import Shop, open_shop
from tests.helpers.seeding import Live
from tests.helpers.sync import no_keyring, seeded_server
from tests.helpers.sync_fixtures import server, station  # noqa: F401  (fixtures, shared by name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "server.sqlite3")
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def live(request: pytest.FixtureRequest, target: str) -> Iterator[Live]:
    """A seeded central server in process (as ``tests/server``'s), for the routes."""
    with seeded_server(target, controlled_clock=True) as state:
        yield state


@pytest.fixture
def shop(target: str) -> Iterator[Shop]:
    with open_shop(target) as state:
        yield state


@pytest.fixture(autouse=True)
def _no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_keyring(tmp_path, monkeypatch)
