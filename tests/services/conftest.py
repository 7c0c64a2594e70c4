"""A small festival built through the services, the starting point of most service tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from boxoffice.domain.enums import GateKind
from boxoffice.services import events
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.seeding import Festival
from tests.helpers.stores import migrated_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, db_path: Path) -> Iterator[Store]:
    """Every service test runs on a SQLite file and on PostgreSQL (the central server's database)."""
    target = str(db_path) if request.param == "sqlite" else request.getfixturevalue("pg_database")
    s = migrated_store(target)
    yield s
    s.dispose()


@pytest.fixture
def festival(store: Store, owner: Actor) -> Festival:
    ev = events.create_event(store, owner, "Summer Fest", "Europe/Amsterdam")
    for name in ("GA", "VIP", "Staff"):
        events.add_category(store, owner, "Summer Fest", name)
    events.add_gate(store, owner, "Summer Fest", "Main", GateKind.ENTRY)
    events.add_gate(store, owner, "Summer Fest", "VIP Lane", GateKind.ENTRY, ["VIP", "Staff"])
    events.add_gate(store, owner, "Summer Fest", "Exit", GateKind.EXIT)
    start = datetime(2027, 7, 2, 10, 0, tzinfo=UTC)
    day = svc.create_series(
        store, owner, "Summer Fest", "Day 1", start, start + timedelta(hours=12), 1000,
        gates=["Main", "VIP Lane", "Exit"],
    ).series
    return Festival(ev, day, start)
