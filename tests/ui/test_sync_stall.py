"""A 100,000-row sync into the open window: the GUI thread keeps turning while it happens.

The real server runs in its own process over a real SQLite file seeded in
bulk (the sync pull benchmark's seeding); the window's own sync worker pulls
into the station's file. The test reports the worst event-loop stall; it only
fails when the GUI thread was clearly blocked by the sync (a second or more),
since timings on a shared machine are the benchmark's business. When it
fails, the message names the longest garbage collection and where the GUI
thread was during the stall.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import Checkin
from boxoffice.store.opening import open_store
from tests.helpers.bench import bench_script
from ui.app import build_window
from ui.stall_meter import StallMeter
from ui.sync_worker import SyncWorker

ROWS = 100_000


@pytest.fixture
def pull_bench() -> Iterator[ModuleType]:
    with bench_script("bench_sync_pull") as module:
        yield module


@pytest.mark.slow
@pytest.mark.usefixtures("settled_heap")
def test_a_100000_row_sync_does_not_block_the_window(qtbot: QtBot, tmp_path: Path, pull_bench: ModuleType,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    server_db, station_db = tmp_path / "server.sqlite3", tmp_path / "station.sqlite3"
    pull_bench.seed_server(server_db, 2_000, ROWS, seed=3)
    port = pull_bench.free_port()
    proc = pull_bench.start_server(server_db, port, tmp_path / "server.log")
    try:
        pull_bench.logged_in_station(station_db, f"http://127.0.0.1:{port}", None)
        store = open_store(station_db)
        actor_store = open_store(server_db)  # the owner's member row, to act as on the station
        actor = resolve_actor(actor_store, "owner@bench.org")
        actor_store.dispose()
        window, ctx = build_window(store, actor, station="bench")
        qtbot.addWidget(window)
        window.show()
        sync = SyncWorker(store, ctx.ops, wait=0.5)
        sync.status.connect(window.status.show_sync)
        meter = StallMeter(catch_ms=100)
        meter.start()
        with qtbot.waitSignal(sync.status, timeout=600_000):
            assert sync.start()
        meter.stop()
        sync.stop()
        with store.read() as session:
            assert session.scalar(select(func.count()).select_from(Checkin)) == ROWS
        assert "online" in window.status.sync_label.text()
        print(f"\nGUI thread during a {ROWS:,}-row sync: p99 {meter.percentile_ms(0.99):.1f} ms, "
              f"{meter.over(50)} stalls over 50 ms in {len(meter.gaps):,} ticks; {meter.report()}")
        assert meter.worst_ms < 1_000, meter.report()
        window.close()
        ctx.ops.shutdown()
        store.dispose()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
