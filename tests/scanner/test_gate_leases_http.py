"""Gate leases asked for at once over HTTP: one server, and two server processes on one PostgreSQL database.

Twenty phones ask for 3 places each of a series holding 10: exactly 10 are
leased, the rest refused with 409, and afterwards the series' kept ``held``
equals the sum of the open leases and a recount finds nothing to repair.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from boxoffice.domain.enums import Role
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.services import gate_leases, occupancy
from boxoffice.store.models import GateLease
from tests.helpers.seeding import Live, seed
from tests.helpers.servers import running_servers
from tests.helpers.stores import migrated_store

pytestmark = pytest.mark.slow  # twenty concurrent HTTP clients against live servers, some in two processes

CAPACITY = 10
PHONES = 20


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("postgres-2-processes", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Live, list[str]]]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database")
    store = migrated_store(target)
    live = seed(store, bands=2, capacity=CAPACITY)
    try:
        if request.param == "postgres-2-processes":
            with running_servers(target, count=2, log_dir=tmp_path) as urls:
                yield live, urls
        else:
            embedded = EmbeddedServer(store)
            url = embedded.start()
            try:
                yield live, [url]
            finally:
                embedded.stop()
    finally:
        store.dispose()


def test_twenty_phones_lease_at_once_never_more_than_the_series_holds(served: tuple[Live, list[str]]) -> None:
    live, urls = served
    series = uuid.UUID(live.ids["series"])
    start = threading.Barrier(PHONES)

    def ask(i: int) -> httpx.Response:
        with httpx.Client(base_url=urls[i % len(urls)], timeout=120,
                          headers={"Authorization": f"Bearer {live.tokens[Role.GATE]}"}) as http:
            start.wait()
            return http.post("/api/scanner/leases", json={"series_id": str(series), "gate_id": live.ids["gate:Main"],
                                                          "device_id": f"phone-{i}", "wanted": 3})

    with ThreadPoolExecutor(max_workers=PHONES) as pool:
        answers = list(pool.map(ask, range(PHONES)))
    assert {r.status_code for r in answers} <= {201, 409}, [r.text for r in answers if r.status_code >= 500]
    granted = [r.json()["size"] for r in answers if r.status_code == 201]
    assert sum(granted) == CAPACITY and all(1 <= g <= 3 for g in granted)
    assert gate_leases.held(live.store, series) == CAPACITY
    with live.store.write() as session:
        leased = session.scalar(select(func.sum(GateLease.size)).where(GateLease.series_id == series,
                                                                       GateLease.returned_at.is_(None)))
        assert leased == CAPACITY
        occupancy.recount(session)
        assert occupancy.mismatches(session) == []
