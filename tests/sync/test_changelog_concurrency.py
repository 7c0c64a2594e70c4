"""Many writers at once while a station pulls without pause: the station ends with exactly the server's rows.

Writers go through the HTTP API from several threads: gate taps (a check-in
and a presence, written with core statements), band assignments taken off
and put back (bulk statements), edits, tickets made and deleted (the ORM),
and a second station pushing bands it registered (use cases replayed in
savepoints). A station long-polls the change log all the while. A change
its cursor stepped over would never reach it (check-ins are never written
twice), so comparing every table at the end finds one.

On PostgreSQL also with two separate ``boxoffice server`` processes on one
database, the writers spread over both, the station pulling from one: the
log's order must hold across processes, where no lock of one process
orders the other's commits.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from boxoffice.domain.enums import Role
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.services import wristbands
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store
from boxoffice.sync import changelog
from boxoffice.sync import client as sync_client
from tests.helpers.seeding import PASSWORD, Live, add_bands, seed
from tests.helpers.sync import snapshot
from tests.sync.server_processes import server_processes

CONVERGE_TIMEOUT_S = 120.0
THREAD_TIMEOUT_S = 300.0


@dataclass
class Servers:
    live: Live
    urls: list[str]  # the station pulls from the first; writers take turns
    spare_bands: list[str] = field(default_factory=list)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("postgres-2-processes", marks=pytest.mark.postgres)])
def servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Servers]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database")
    store = open_store(target)
    live = seed(store)
    spare = add_bands(store, uuid.UUID(live.ids["event"]), "VIP", 12, prefix="05")
    try:
        if request.param == "postgres-2-processes":
            changelog.become_server(store)  # the first log is written once, here
            with server_processes(target, 2, tmp_path) as urls:
                live.url = urls[0]
                yield Servers(live, urls, spare)
        else:
            embedded = EmbeddedServer(store)
            live.url = embedded.start()
            try:
                yield Servers(live, [live.url], spare)
            finally:
                embedded.stop()
    finally:
        store.dispose()


class Writers:
    """Threads that write through the API; each records its failures instead of dying silently."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()

    def start(self, name: str, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            except Exception as exc:  # reported by the test, with the thread's name
                with self._lock:
                    self.errors.append(f"{name}: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=run, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def ok(self, response: httpx.Response) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
        assert response.is_success, f"{response.request.method} {response.request.url}: {response.text}"
        return response.json() if response.content else {}

    def join(self) -> None:
        deadline = time.monotonic() + THREAD_TIMEOUT_S
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not [t.name for t in self.threads if t.is_alive()], "writers still running"


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _taps(w: Writers, url: str, live: Live, bands: list[str], name: str) -> Callable[[], None]:
    def work() -> None:
        with _client(url, live.tokens[Role.GATE]) as gate:
            for round_ in range(3):
                for uid in bands:
                    for gate_key, direction in (("gate:Main", "in"), ("gate:Exit", "out")):
                        body = {"series_id": live.ids["series"], "gate_id": live.ids[gate_key], "uid": uid,
                                "direction": direction, "scan_id": f"{name}-{uid}-{round_}-{direction}",
                                "device_id": name}
                        first = w.ok(gate.post("/api/verify", json=body))
                        assert first["result"] == "allowed", first
                        if round_ == 1:  # a gate retrying a scan whose answer it lost
                            again = w.ok(gate.post("/api/verify", json=body))
                            assert again["replayed"] and again["id"] == first["id"]
    return work


def _assignments(w: Writers, url: str, live: Live, bands: list[str]) -> Callable[[], None]:
    def work() -> None:
        series = live.ids["series"]
        with _client(url, live.tokens[Role.OWNER]) as owner:
            for uid in bands:
                w.ok(owner.put(f"/api/series/{series}/wristbands/{uid}"))
            for uid in bands[::2]:
                w.ok(owner.delete(f"/api/series/{series}/wristbands/{uid}"))
            for uid in bands[::4]:  # back again: the inactive assignment row is reactivated
                w.ok(owner.put(f"/api/series/{series}/wristbands/{uid}"))
    return work


def _edits(w: Writers, url: str, live: Live, name: str) -> Callable[[], None]:
    def work() -> None:
        event = live.ids["event"]
        with _client(url, live.tokens[Role.OWNER]) as owner:
            for i in range(6):
                ticket = w.ok(owner.post(f"/api/events/{event}/tickets", json={
                    "code": f"{name}-{i}", "category_id": live.ids["cat:VIP"], "holder_name": f"Guest {i}"}))
                w.ok(owner.patch(f"/api/tickets/{ticket['id']}", json={"holder_name": f"Guest {i} (moved)"}))
                if i % 3 == 0:
                    w.ok(owner.delete(f"/api/tickets/{ticket['id']}"))
                w.ok(owner.patch(f"/api/categories/{live.ids['cat:GA']}", json={"color": f"#00{i:02d}{i:02d}"}))
    return work


def _other_station(w: Writers, station: Store) -> Callable[[], None]:
    def work() -> None:
        me = resolve_actor(station, None)
        for i in range(4):
            for j in range(3):
                wristbands.register_band(station, me, "Gate Fest", "GA", f"06{i:06X}{j:06X}",
                                         station="Box office B")
            with sync_client.SyncClient.from_store(station) as client:
                report = client.sync_once()
            assert report.pushed.rejected == 0 and report.pushed.retry == 0, report
            with w._lock:
                w.requests += 1
    return work


class Puller:
    """The station's sync loop in a thread, long-polling, as the desktop runs it."""

    def __init__(self, station: Store) -> None:
        self.station = station
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="station-pull", daemon=True)

    def _run(self) -> None:
        try:
            with sync_client.SyncClient.from_store(self.station) as client:
                client.run(self.stop, wait=1.0)
        except BaseException as exc:  # re-raised by the test
            self.error = exc

    def __enter__(self) -> Puller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the station's sync loop did not stop"


@pytest.mark.slow
def test_a_station_pulling_during_concurrent_writes_ends_with_the_servers_rows(
    servers: Servers, tmp_path: Path
) -> None:
    live, urls = servers.live, servers.urls
    station = open_store(tmp_path / "station_a.sqlite3")
    other = open_store(tmp_path / "station_b.sqlite3")
    try:
        sync_client.login(station, urls[0], "owner@example.org", PASSWORD, station="Box office A")
        sync_client.login(other, urls[-1], "owner@example.org", PASSWORD, station="Box office B")
        spread = itertools.cycle(urls)
        writers = Writers()
        with Puller(station) as puller:
            for n in range(4):
                writers.start(f"gate-{n}", _taps(writers, next(spread), live, live.bands[n::4], f"gate-{n}"))
            writers.start("assign", _assignments(writers, next(spread), live, servers.spare_bands))
            for n in range(2):
                writers.start(f"edit-{n}", _edits(writers, next(spread), live, f"edit-{n}"))
            writers.start("station-b", _other_station(writers, other))
            writers.join()
            assert writers.errors == []
            want = snapshot(live.store)
            deadline = time.monotonic() + CONVERGE_TIMEOUT_S
            while snapshot(station) != want and time.monotonic() < deadline and puller.error is None:
                puller.stop.wait(0.2)  # the station's own loop is pulling; this only looks
        assert puller.error is None, puller.error
        got = snapshot(station)
        for table, rows in want.items():
            assert got[table] == rows, f"{table}: missing {len(rows - got[table])}, extra {len(got[table] - rows)}"
        assert len(want["checkins"]) == 4 * 5 * 3 * 2 and writers.requests > 200
    finally:
        station.dispose()
        other.dispose()
