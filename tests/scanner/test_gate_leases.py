"""Gate leases on the kept counter: never more places leased and let in than the series holds."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from boxoffice.domain.enums import Direction, Role
from boxoffice.domain.validation import LEASE_DURATION, LEASE_GRACE
from boxoffice.errors import SoldOutError
from boxoffice.services import checkins, gate_leases, occupancy
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.types import utcnow
from tests.helpers.seeding import Live, seed
from tests.helpers.stores import migrated_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue("pg_database")
    store = migrated_store(target)
    try:
        yield seed(store, bands=20, capacity=10)
    finally:
        store.dispose()


def _gate(live: Live) -> Actor:
    return resolve_actor(live.store, f"{Role.GATE.value}@example.org")


def _inside(live: Live) -> int:
    with live.store.read() as session:
        return occupancy.inside(session, uuid.UUID(live.ids["series"]))


def test_concurrent_grants_never_lease_more_than_the_capacity(live: Live) -> None:
    gate, series, main = _gate(live), live.ids["series"], uuid.UUID(live.ids["gate:Main"])
    sizes: list[int] = []
    refused: list[str] = []
    start = threading.Barrier(6)

    def ask(i: int) -> None:
        start.wait()
        try:
            sizes.append(gate_leases.grant(live.store, gate, series, main, f"phone-{i}", 3).size)
        except SoldOutError as exc:
            refused.append(exc.message)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(sizes) == 10 and len(sizes) + len(refused) == 6, (sizes, refused)
    assert gate_leases.held(live.store, uuid.UUID(series)) == 10


def test_online_entries_leave_the_leased_places_alone_and_a_return_frees_them(live: Live) -> None:
    gate, series, main = _gate(live), live.ids["series"], uuid.UUID(live.ids["gate:Main"])
    lease = gate_leases.grant(live.store, gate, series, main, "phone-1", 8)
    assert lease.size == 8
    answers = [checkins.record_tap(live.store, gate, series, "Main", uid, Direction.IN).reason.value
               for uid in live.bands[:3]]
    assert answers == ["ok", "ok", "series_full"]
    returned = gate_leases.give_back(live.store, gate, lease.id, used=0)
    assert returned.returned_at is not None and gate_leases.held(live.store, uuid.UUID(series)) == 0
    assert checkins.record_tap(live.store, gate, series, "Main", live.bands[2], Direction.IN).reason.value == "ok"
    again = gate_leases.give_back(live.store, gate, lease.id, used=0)  # once only
    assert again.returned_at == returned.returned_at and gate_leases.held(live.store, uuid.UUID(series)) == 0
    with live.store.write() as session:  # a recount (a repair) keeps the leased places
        occupancy.recount(session)
        assert occupancy.mismatches(session) == []


def test_a_lease_nobody_returns_is_reclaimed_after_its_grace(live: Live) -> None:
    gate, series, main = _gate(live), live.ids["series"], uuid.UUID(live.ids["gate:Main"])
    past = utcnow() - LEASE_DURATION - LEASE_GRACE - timedelta(minutes=1)
    gate_leases.grant(live.store, gate, series, main, "lost-phone", 10, now=past)
    with pytest.raises(SoldOutError):
        gate_leases.grant(live.store, gate, series, main, "phone-2", 1, now=past)
    fresh = gate_leases.grant(live.store, gate, series, main, "phone-2", 4)  # the lost phone's lease went back
    assert fresh.size == 4 and gate_leases.held(live.store, uuid.UUID(series)) == 4
    assert _inside(live) == 0
