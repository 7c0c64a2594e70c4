"""The live gate monitor at festival scale: first picture, and the GUI thread's share while taps stream in.

A station's SQLite file with ``--gates`` gates and ``--checkins`` check-ins
today (bulk inserted, ``monitor_data.py``), then the Gates page offscreen:

1. **First full picture**: from ``refresh()`` to the board loaded, every
   chart's data set and the page rendered once (``grab()``). Target < 2 s.
   Baseline: the GROUP BY over the day's check-ins that the trigger-kept
   ``checkin_minutes`` rollup replaces (plain sqlite3, same file).
2. **GUI-thread share under load**: a writer thread inserts ``--rate``
   check-ins a second for ``--seconds`` while the page polls and redraws;
   the time spent in the page's update slots over the wall time, as a %.
   Target < 5 %. Qt's painting of the charts afterwards is printed apart.
   Baseline: pyqtgraph's own ``setData`` for the same arrays (every gate's
   allowed and denied series) at the page's redraw cadence
   (4 a second), measured on the same curves in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_monitor.py          # 1,000,000: ~3 minutes
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_monitor.py --checkins 100000 --seconds 5
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import monitor_data

TARGET_FIRST_S = 2.0
TARGET_GUI_PCT = 5.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def wait_for(signal: object, timeout_s: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)  # type: ignore[attr-defined]


def spin(seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def groupby_baseline(path: Path, event_hex: str, day_start: datetime, day_end: datetime) -> float:
    conn = sqlite3.connect(path)
    started = time.perf_counter()
    conn.execute(
        "SELECT substr(occurred_at, 1, 16), gate_id, result, reason, device_id, count(*), max(occurred_at) "
        "FROM checkins WHERE event_id = ? AND occurred_at >= ? AND occurred_at < ? GROUP BY 1, 2, 3, 4, 5",
        (event_hex, monitor_data.sqlite_time(day_start), monitor_data.sqlite_time(day_end)),
    ).fetchall()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


class Writer(threading.Thread):
    """Inserts ``rate`` check-ins a second, in tenths, on its own connection (as the sync pull would)."""

    def __init__(self, data: monitor_data.BenchData, rate: int) -> None:
        super().__init__(name="bench-writer", daemon=True)
        self.data, self.rate = data, rate
        self.stop = threading.Event()
        self.inserted = 0

    def run(self) -> None:
        conn = sqlite3.connect(self.data.path, isolation_level=None, timeout=10)
        rng = random.Random(7)
        started = time.perf_counter()
        while not self.stop.is_set():
            due = int((time.perf_counter() - started) * self.rate)
            rows = [monitor_data.one_row(rng, self.data.event_id, self.data.series_id, self.data.gate_ids,
                                         datetime.now(UTC)) for _ in range(due - self.inserted)]
            if rows:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(monitor_data.INSERT, rows)
                conn.execute("COMMIT")
                self.inserted += len(rows)
            self.stop.wait(0.1)
        conn.close()


def setdata_baseline(page: object, repeat: int = 15) -> float:
    """Seconds for one setData of every gate's two curves, with the board's arrays (median)."""
    import numpy as np

    charts = page.charts  # type: ignore[attr-defined]
    board = page.board  # type: ignore[attr-defined]
    x = charts._x
    times = []
    for _ in range(repeat):
        arrays = [(np.asarray(line.allowed, dtype=float), np.asarray(line.denied, dtype=float))
                  for line in board.gates.values()]
        started = time.perf_counter()
        for (allowed_curve, denied_curve), (allowed, denied) in zip(charts.curves.values(), arrays,
                                                                    strict=True):
            allowed_curve.setData(x, allowed)
            denied_curve.setData(x, denied)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(args: argparse.Namespace, folder: Path) -> int:
    from boxoffice.store.types import utcnow

    now = utcnow()
    started = time.perf_counter()
    data = monitor_data.build(folder / "station.sqlite3", args.gates, args.checkins, now)
    log(f"setup: {args.gates} gates, {args.checkins:,} check-ins (through the rollup triggers) in "
        f"{time.perf_counter() - started:.1f} s")

    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder / "qsettings"))
    from ui.app import application
    from ui.context import AppContext
    from ui.ops import Ops
    from ui.pages.monitor_page import MonitorPage

    app = application()
    ops = Ops()
    page = MonitorPage(AppContext(data.store, data.actor, ops))
    page.resize(1280, 900)
    page.show()
    app.processEvents()

    # 1. First full picture.
    t0 = time.perf_counter()
    page.refresh()
    wait_for(page.loaded, 120)
    page.grab()
    first = time.perf_counter() - t0
    board = page.board
    assert board is not None, "the board did not load"
    shown = sum(line.total for line in board.gates.values())
    if shown != args.checkins:
        raise SystemExit(f"the board shows {shown:,} check-ins, the file holds {args.checkins:,}")
    baseline = groupby_baseline(data.path, data.event_id.hex, board.day_start, board.day_end)
    print(f"first full picture of {args.gates} gates, {args.checkins:,} check-ins: {first:.2f} s "
          f"(target < {TARGET_FIRST_S:g} s)")
    print(f"baseline, the GROUP BY over the day's check-ins the rollup replaces: {baseline:.2f} s; "
          f"ratio {first / baseline:.2f}x")

    # 2. GUI-thread share while check-ins stream in.
    spin(1.0)
    page.update_seconds, page.redraws, page.charts.paint_seconds = 0.0, 0, 0.0
    writer = Writer(data, args.rate)
    t0 = time.perf_counter()
    writer.start()
    spin(args.seconds)
    writer.stop.set()
    writer.join()
    spin(2.5)  # the last poll and redraw
    wall = time.perf_counter() - t0
    gui_pct = 100.0 * page.update_seconds / wall
    paint_pct = 100.0 * page.charts.paint_seconds / wall
    total = sum(line.total for line in board.gates.values())
    if total != args.checkins + writer.inserted:
        raise SystemExit(f"the board shows {total:,} check-ins, expected {args.checkins + writer.inserted:,}")
    per_set = setdata_baseline(page)
    base_pct = 100.0 * per_set * (1000 / 250)
    print(f"live: {writer.inserted:,} check-ins at {args.rate}/s over {wall:.1f} s, {page.redraws} redraws; "
          f"GUI thread in updates: {gui_pct:.2f} % (target < {TARGET_GUI_PCT:g} %); "
          f"painting the charts another {paint_pct:.2f} %")
    print(f"baseline, pyqtgraph setData of all {len(board.gates) * 2} curves 4 times a second: "
          f"{base_pct:.2f} % ({per_set * 1000:.2f} ms each); ratio {gui_pct / base_pct:.2f}x")
    page.hide()
    ops.shutdown()
    data.store.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gates", type=int, default=24)
    p.add_argument("--checkins", type=int, default=1_000_000)
    p.add_argument("--rate", type=int, default=50, help="new check-ins per second during the live phase")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the live phase")
    args = p.parse_args(argv)
    if args.gates < 1 or args.checkins < 0 or args.rate < 1 or args.seconds <= 0:
        p.error("need --gates >= 1, --checkins >= 0, --rate >= 1, --seconds > 0")
    with tempfile.TemporaryDirectory(prefix="bench-monitor-") as folder:
        return run(args, Path(folder))


if __name__ == "__main__":
    sys.exit(main())
