"""What the server decides at the gate holds with many concurrent taps, in one server process or two.

Each scenario runs against real servers over HTTP: in-process on SQLite and on
PostgreSQL, and as two separate ``boxoffice server`` processes on one
PostgreSQL database with the taps spread over both. Each ends by checking
that the kept occupancy counts equal a recount of who is inside.
"""

from __future__ import annotations

import itertools
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from boxoffice.domain.enums import ReentryPolicy, Role
from boxoffice.services import assignments, occupancy
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from tests.helpers.seeding import Live, add_bands
from tests.helpers.servers import seeded_and_served


@dataclass
class Gates:
    """The seeded organization and the URLs of the server processes serving it."""

    live: Live
    urls: list[str]

    def tap(self, i: int, uid: str, scan: str, gate: str = "gate:Main", direction: str = "in") -> httpx.Response:
        url = self.urls[i % len(self.urls)]
        with httpx.Client(base_url=url, timeout=60,
                          headers={"Authorization": f"Bearer {self.live.tokens[Role.GATE]}"}) as client:
            return client.post("/api/verify", json={
                "series_id": self.live.ids["series"], "gate_id": self.live.ids[gate], "uid": uid,
                "direction": direction, "scan_id": scan, "device_id": f"handheld-{i % 7}",
            })


@pytest.fixture(params=[
    ("sqlite", 1),
    pytest.param(("postgres", 1), marks=pytest.mark.postgres),
    pytest.param(("postgres", 2), marks=pytest.mark.postgres),
], ids=["sqlite", "postgres", "postgres-2-processes"])
def gates(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Gates]:
    backend, processes = request.param
    target = str(tmp_path / "server.sqlite3") if backend == "sqlite" else request.getfixturevalue("pg_database")
    with seeded_and_served(target, processes, tmp_path) as (live, urls):
        yield Gates(live, urls)


def _warm_up(gates: Gates) -> None:
    """One request of each kind to every server before a burst.

    FastAPI finishes building its routes on an app's first requests (under
    ``warnings.catch_warnings``, which is not thread-safe), so a burst that is
    also a server's very first traffic tests that, not the gate's decision.
    The verify is refused for its body (422): nothing is written.
    """
    for url in gates.urls:
        with httpx.Client(base_url=url, timeout=60,
                          headers={"Authorization": f"Bearer {gates.live.tokens[Role.GATE]}"}) as client:
            assert client.get("/api/health").status_code == 200
            assert client.post("/api/verify", json={}).status_code == 422


def _set_series(gates: Gates, **changes: Any) -> None:
    store, owner = gates.live.store, resolve_actor(gates.live.store, "owner@example.org")
    sid = gates.live.ids["series"]
    version = svc.series_detail(store, owner, sid).series.version
    svc.update_series(store, owner, sid, version, changes)


def _assert_counts_true(store: Store) -> None:
    with store.read() as session:
        assert occupancy.mismatches(session) == []


def _inside(store: Store, series_id: str, category_id: str | None = None) -> int:
    with store.read() as session:
        return occupancy.inside(session, uuid.UUID(series_id),
                                uuid.UUID(category_id) if category_id else None)


def _burst(gates: Gates, taps: list[tuple[str, str, str, str]], workers: int = 30) -> list[dict[str, Any]]:
    """All taps at once (a barrier releases them together); every answer must be a 200."""
    _warm_up(gates)
    barrier = threading.Barrier(min(workers, len(taps)), timeout=60)

    def one(item: tuple[int, tuple[str, str, str, str]]) -> httpx.Response:
        i, (uid, scan, gate, direction) = item
        if i < barrier.parties:
            barrier.wait()
        return gates.tap(i, uid, scan, gate, direction)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(one, enumerate(taps)))
    bad = [(a.status_code, a.text) for a in answers if a.status_code != 200]
    assert not bad, bad[:3]
    return [a.json() for a in answers]


@pytest.mark.slow
def test_capacity_race_admits_exactly_the_capacity(gates: Gates) -> None:
    live = gates.live
    bands = add_bands(live.store, uuid.UUID(live.ids["event"]), "GA", 60, prefix="0A")
    owner = resolve_actor(live.store, "owner@example.org")
    assignments.assign_bands(live.store, owner, live.ids["series"], uids=bands)
    _set_series(gates, capacity=10)
    answers = _burst(gates, [(uid, f"race-{i}", "gate:Main", "in") for i, uid in enumerate(bands)])
    reasons = Counter(a["reason"] for a in answers)
    assert reasons == {"ok": 10, "series_full": 50}
    assert _inside(live.store, live.ids["series"]) == 10
    _assert_counts_true(live.store)


@pytest.mark.slow
def test_category_limit_race_admits_exactly_the_limit(gates: Gates) -> None:
    live = gates.live
    vip = add_bands(live.store, uuid.UUID(live.ids["event"]), "VIP", 40, prefix="0B")
    owner = resolve_actor(live.store, "owner@example.org")
    assignments.assign_bands(live.store, owner, live.ids["series"], uids=vip)
    svc.set_category_limit(live.store, owner, live.ids["series"], "VIP", 5)
    # GA taps at the same moment compete for the same series row, not for the VIP limit.
    ga = live.bands[:10]
    taps = [(uid, f"vip-{i}", "gate:Main", "in") for i, uid in enumerate(vip)]
    taps += [(uid, f"ga-{i}", "gate:Main", "in") for i, uid in enumerate(ga)]
    random.Random(3).shuffle(taps)
    answers = {a["client_scan_id"]: a["reason"] for a in _burst(gates, taps)}
    assert Counter(r for s, r in answers.items() if s.startswith("vip-")) == {"ok": 5, "category_full": 35}
    assert Counter(r for s, r in answers.items() if s.startswith("ga-")) == {"ok": 10}
    assert _inside(live.store, live.ids["series"], live.ids["cat:VIP"]) == 5
    assert _inside(live.store, live.ids["series"]) == 15
    _assert_counts_true(live.store)


@pytest.mark.slow
@pytest.mark.parametrize("known", [True, False], ids=["known-band", "unknown-band"])
def test_concurrent_retries_of_one_scan_id_all_get_the_first_answer(gates: Gates, known: bool) -> None:
    live = gates.live
    uid = live.bands[3] if known else "04C0FFEE00C0DE"
    answers = _burst(gates, [(uid, "retry-0001", "gate:Main", "in")] * 20, workers=20)
    assert len({a["id"] for a in answers}) == 1
    assert len({(a["result"], a["reason"]) for a in answers}) == 1
    assert sum(not a["replayed"] for a in answers) == 1
    assert answers[0]["reason"] == ("ok" if known else "unknown_band")
    assert _inside(live.store, live.ids["series"]) == (1 if known else 0)
    _assert_counts_true(live.store)


@pytest.mark.slow
def test_an_in_and_out_storm_never_goes_over_capacity_and_keeps_true_counts(gates: Gates) -> None:
    live = gates.live
    _set_series(gates, capacity=8, reentry_policy=ReentryPolicy.REENTRY)
    owner = resolve_actor(live.store, "owner@example.org")
    vip = add_bands(live.store, uuid.UUID(live.ids["event"]), "VIP", 8, prefix="0C")
    assignments.assign_bands(live.store, owner, live.ids["series"], uids=vip)
    svc.set_category_limit(live.store, owner, live.ids["series"], "VIP", 3)
    bands = live.bands + vip
    rng = random.Random(11)
    taps = []
    for i in range(240):  # bounded: 240 taps, a few seconds on any backend
        direction = "in" if rng.random() < 0.6 else "out"
        taps.append((rng.choice(bands), f"storm-{i}", "gate:Main" if direction == "in" else "gate:Exit",
                     direction))
    peaks: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peaks.append(_inside(live.store, live.ids["series"]))
            done.wait(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        answers = _burst(gates, taps, workers=24)
    finally:
        done.set()
        watcher.join(timeout=30)
    reasons = Counter(a["reason"] for a in answers)
    assert reasons["ok"] + reasons["reentry"] >= 8, reasons  # the storm did fill the series
    assert max(peaks) <= 8
    assert _inside(live.store, live.ids["series"]) <= 8
    assert _inside(live.store, live.ids["series"], live.ids["cat:VIP"]) <= 3
    _assert_counts_true(live.store)
    # Who is inside follows from the allowed taps, band by band, in the order they were decided.
    inside: dict[str, bool] = {}
    for a in sorted((a for a in answers if a["result"] == "allowed"), key=lambda a: a["occurred_at"]):
        inside[a["uid"]] = a["direction"] == "in"
    assert sum(inside.values()) == _inside(live.store, live.ids["series"])


@pytest.mark.slow
def test_the_same_scan_id_through_both_processes_is_one_check_in(gates: Gates) -> None:
    live = gates.live
    answers = [gates.tap(i, live.bands[5], "twice-0001").json() for i in itertools.islice(range(4), 4)]
    assert len({a["id"] for a in answers}) == 1 and [a["replayed"] for a in answers] == [False, True, True, True]
