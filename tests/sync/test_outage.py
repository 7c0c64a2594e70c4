"""The server dies in the middle of a push: nothing is lost and nothing is doubled.

The server runs as its own process (``boxoffice server``) so it can be killed
with SIGKILL, as a power cut or an OOM kill would, and started again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from boxoffice.domain.enums import Direction, OutboxStatus
from boxoffice.services import checkins
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import AppliedEntry, Checkin, OutboxEntry, Wristband
from boxoffice.store.opening import open_store
from boxoffice.sync import client as sync_client
from tests.helpers.seeding import PASSWORD, seed
from tests.helpers.sync import snapshot

TAPS = 700


class ServerProcess:
    def __init__(self, db: str, port: int, log: Path) -> None:
        self.db, self.port, self.log = db, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "boxoffice", "--db", self.db, "server", "--port", str(self.port)],
                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server process did not come up: {self.log.read_text()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ServerProcess, Store]]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database"
    )
    store = open_store(target)
    seed(store)
    proc = ServerProcess(target, _free_port(), tmp_path / "server.log")
    proc.start()
    try:
        yield proc, store
    finally:
        proc.kill()
        store.dispose()


def _applied(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(AppliedEntry)) or 0)


@pytest.mark.slow
def test_a_server_killed_mid_push_loses_and_doubles_nothing(
    server_process: tuple[ServerProcess, Store], tmp_path: Path
) -> None:
    proc, server_store = server_process
    station = open_store(tmp_path / "station.sqlite3")
    try:
        sync_client.login(station, proc.url, "owner@example.org", PASSWORD, station="Gate desk")
        me = resolve_actor(station, None)
        with station.read() as session:
            from boxoffice.store.models import EventSeries, Wristband

            series_id = str(session.scalars(select(EventSeries.id)).one())
            uids = list(session.scalars(select(Wristband.uid).order_by(Wristband.uid)))
        for i in range(TAPS):
            gate, direction = ("Main", Direction.IN) if (i // len(uids)) % 2 == 0 else ("Exit", Direction.OUT)
            checkins.record_tap(station, me, series_id, gate, uids[i % len(uids)], direction,
                                device_id="desk-reader")
        before = _applied(server_store)

        errors: list[BaseException] = []
        import threading

        def push() -> None:
            try:
                with sync_client.SyncClient.from_store(station) as client:
                    client.push()
            except BaseException as exc:
                errors.append(exc)

        pusher = threading.Thread(target=push)
        pusher.start()
        deadline = time.monotonic() + 60
        while _applied(server_store) - before < 50 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.kill()
        pusher.join(timeout=60)
        applied_at_kill = _applied(server_store) - before
        assert 0 < applied_at_kill < TAPS, "the kill must land in the middle of the push"
        assert len(errors) == 1 and isinstance(errors[0], sync_client.ServerUnreachableError)
        with station.read() as session:
            assert session.scalar(select(func.count()).select_from(OutboxEntry).where(
                OutboxEntry.status == OutboxStatus.PENDING)) == TAPS, "unanswered entries stay queued"

        proc.start()
        with sync_client.SyncClient.from_store(station) as client:
            report = client.sync_once()
        assert report.pushed.applied + report.pushed.duplicate == TAPS
        assert report.pushed.duplicate >= applied_at_kill - 1  # applied before the kill, answer lost
        assert report.pushed.rejected == 0
        with server_store.read() as session:
            assert session.scalar(select(func.count()).select_from(Checkin)) == TAPS
            assert session.scalar(select(func.count(func.distinct(Checkin.client_scan_id)))) == TAPS
        assert _applied(server_store) - before == TAPS
        with station.read() as session:
            assert session.scalar(select(func.count()).select_from(OutboxEntry).where(
                OutboxEntry.status != OutboxStatus.SENT)) == 0
        assert snapshot(station) == snapshot(server_store)
    finally:
        station.dispose()


@pytest.mark.slow
def test_watch_rides_out_an_outage_and_catches_up(
    server_process: tuple[ServerProcess, Store], tmp_path: Path
) -> None:
    import threading

    from boxoffice.services import wristbands

    proc, server_store = server_process
    station = open_store(tmp_path / "watcher.sqlite3")
    stop = threading.Event()
    seen: list[sync_client.SyncStatus] = []
    try:
        sync_client.login(station, proc.url, "owner@example.org", PASSWORD, station="Watcher")
        me = resolve_actor(station, None)
        with sync_client.SyncClient.from_store(station, timeout=5) as client:
            watcher = threading.Thread(target=client.run, kwargs={
                "stop": stop, "on_status": seen.append, "wait": 1.0,
                "backoff": sync_client.Backoff(base=0.2, cap=1.0)})
            watcher.start()

            def on_server(uid: str) -> bool:
                with server_store.read() as session:
                    return session.scalar(select(func.count()).select_from(Wristband).where(
                        Wristband.uid == uid)) == 1

            # Bounded, but generous: on a loaded machine a reconnect with back-off takes a while.
            def eventually(check: Callable[[], bool], seconds: float = 90) -> None:
                deadline = time.monotonic() + seconds
                while not check():
                    assert time.monotonic() < deadline, "not within the time allowed"
                    time.sleep(0.05)

            wristbands.register_band(station, me, "Gate Fest", "VIP", "04000000AAAA01")
            eventually(lambda: on_server("04000000AAAA01"))

            proc.kill()
            wristbands.register_band(station, me, "Gate Fest", "VIP", "04000000AAAA02")
            # The watcher reports once a sync ends; its pull may still be waiting for the first.
            eventually(lambda: bool(seen) and seen[-1].online is False and seen[-1].queue_depth == 1)
            assert "offline" in seen[-1].describe() and "1 changes waiting" in seen[-1].describe()

            proc.start()
            eventually(lambda: on_server("04000000AAAA02"))
            eventually(lambda: bool(seen) and seen[-1].online is True and seen[-1].queue_depth == 0)
            stop.set()
            watcher.join(timeout=20)
            assert not watcher.is_alive()
    finally:
        stop.set()
        station.dispose()
