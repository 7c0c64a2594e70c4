"""``boxoffice demo``: the whole system on one machine, with no set-up.

A command of the ``ui`` layer (found through an entry point) because it
opens the window; ``--no-window`` runs the same server, station and gate
traffic without Qt, for a terminal or a test. The parts themselves live in
the core (``boxoffice.programs.sim.demo_stack``); this module only starts them, opens
the window and stops everything when the window closes or on Ctrl+C.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import click

from boxoffice.programs.cli.app import App, pass_app
from ui.cli import parse_sizes

log = logging.getLogger(__name__)


def _seconds(text: str | None) -> float | None:
    from boxoffice.programs.sim.gate_traffic import parse_duration

    return None if text is None else parse_duration(text)


@click.command()
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path),
              help="Where the demo keeps its databases, settings and logins "
                   "(default: a new temporary folder). Must be new or empty.")
@click.option("--bands", type=click.IntRange(10, 200_000), default=3000, show_default=True,
              help="Wristbands the seeded festival has encoded.")
@click.option("--rate", default="3/s", show_default=True,
              help="Gate taps the simulated devices send, e.g. 3/s or 120/min.")
@click.option("--duration", help="Stop by itself after this long, e.g. 90s or 10m (default: until the "
                                 "window closes or Ctrl+C).")
@click.option("--no-window", is_flag=True,
              help="Run the server, the station's sync and the gate traffic without the window.")
@click.option("--screenshot", "screenshot_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Save a PNG of every page into this folder, then stop.")
@click.option("--size", "sizes", multiple=True, metavar="WxH", callback=lambda _c, _p, v: parse_sizes(v),
              help="With --screenshot: the window size, e.g. 1920x1080; repeat for several (default "
                   "1280x800).")
@click.option("--seed-only", is_flag=True,
              help="Only seed the festival into a fresh database (--demo-db) and print its figures.")
@click.option("--demo-db", type=click.Path(dir_okay=False, path_type=Path),
              help="With --seed-only: the database to create (default: a new temporary file).")
@pass_app
def demo(app: App, folder: Path | None, bands: int, rate: str, duration: str | None, no_window: bool,
         screenshot_dir: Path | None, sizes: list[tuple[int, int]], seed_only: bool,
         demo_db: Path | None) -> None:
    """Start the whole system on this machine: server, station, reader, gate traffic and the window.

    Everything lives in one folder and stops together when the window closes
    (or on Ctrl+C). The logins it made are in the folder's logins.txt.
    """
    if seed_only:
        _seed_only(app, demo_db, bands)
        return
    if demo_db is not None:
        raise click.UsageError("--demo-db goes with --seed-only; the full demo takes --folder.")
    from boxoffice.programs.sim.demo_stack import DemoStack
    from boxoffice.programs.sim.gate_traffic import parse_rate

    if not no_window and screenshot_dir is None and not _can_show_a_window():
        click.echo("No display here (no DISPLAY or WAYLAND_DISPLAY): running without the window. "
                   "Set QT_QPA_PLATFORM=offscreen to run the window unseen.", err=True)
        no_window = True
    taps_per_second = parse_rate(rate)
    stop_after = _seconds(duration)
    stack = DemoStack.in_folder(folder, bands=bands, rate=taps_per_second)
    def say(text: str) -> None:
        click.echo(text, err=True)

    started = time.monotonic()
    stack.start(say)
    try:
        if no_window:
            station_rows = _run_headless(stack, stop_after, say)
        else:
            _run_window(stack, stop_after, screenshot_dir, say, sizes)
            station_rows = None
    finally:
        stack.stop()
    report: dict[str, Any] = {
        "folder": str(stack.folder), "server_db": str(stack.server_db), "station_db": str(stack.station_db),
        "seconds": round(time.monotonic() - started, 1),
        "summary": stack.summary.__dict__ if stack.summary else None,
        "traffic": stack.traffic.summary() if stack.traffic is not None else None,
        "station": station_rows,
    }
    text = [f"Demo stopped. Its files stay in {stack.folder} (logins in logins.txt)."]
    traffic = report["traffic"]
    if traffic:
        text.append(f"Gate taps sent: {traffic.get('sent', 0):,}")
    if station_rows:
        text.append(f"The station holds {station_rows['checkins']:,} check-ins, "
                    f"{station_rows['wristbands']:,} wristbands.")
    app.emit(report, "\n".join(text))


def _can_show_a_window() -> bool:
    """Linux without a display server would abort in Qt; elsewhere, or with a platform chosen, try."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _wait_for_stop(stop: threading.Event, seconds: float | None) -> None:
    """Until ``seconds`` pass, or Ctrl+C / SIGTERM."""
    def on_signal(signum: int, _frame: object) -> None:
        log.info("%s: stopping the demo", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        deadline = None if seconds is None else time.monotonic() + seconds
        while not stop.is_set():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            stop.wait(0.2 if left is None else min(0.2, left))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_headless(stack: Any, seconds: float | None, say: Any) -> dict[str, int]:
    """The station syncs in a thread as the window's sync worker would, until told to stop."""
    from sqlalchemy import func, select

    from boxoffice.store.models import Checkin, Wristband
    from boxoffice.sync.client import SyncClient

    stop = threading.Event()
    client = SyncClient.from_store(stack.station_store)

    def loop() -> None:
        with client:
            client.run(stop, wait=1.0)

    thread = threading.Thread(target=loop, name="boxoffice-demo-sync", daemon=True)
    thread.start()
    say("Running without a window; Ctrl+C stops the demo.")
    try:
        _wait_for_stop(stop, seconds)
    finally:
        if stack.traffic is not None:
            stack.traffic.stop()  # no new taps: the last pull below then sees them all
        stop.set()
        thread.join(15)
    with SyncClient.from_store(stack.station_store) as last:
        last.sync_once()
    with stack.station_store.read() as session:
        return {
            "checkins": session.scalar(select(func.count()).select_from(Checkin)) or 0,
            "wristbands": session.scalar(select(func.count()).select_from(Wristband)) or 0,
        }


def _run_window(stack: Any, seconds: float | None, screenshot_dir: Path | None, say: Any,
                sizes: list[tuple[int, int]] | None = None) -> None:
    from ui import settings as S
    from ui.app import SCREENSHOT_SIZE, offscreen_default, run_gui

    if screenshot_dir is not None:
        offscreen_default()
    # The stack chose its folder (boxoffice.files.use_folder): these go to its settings.ini.
    qs = S.qsettings()
    S.SERVER_URL.write(qs, stack.server.url)
    S.STATION_NAME.write(qs, "Box office 1")
    S.READER.write(qs, "sim")
    S.SYNC_WAIT.write(qs, 2.0)
    qs.sync()
    say("Opening the window; closing it (or Ctrl+C) stops the demo.")
    run_gui(str(stack.station_db), None, screenshot_dir, stop_after=seconds, first_page="Gates",
            screenshot_sizes=sizes or [SCREENSHOT_SIZE])


def _seed_only(app: App, demo_db: Path | None, bands: int) -> None:
    from boxoffice.programs.cli.gates import metrics_text
    from boxoffice.programs.sim.demo import OWNER, seed_festival
    from boxoffice.services import series as series_svc
    from boxoffice.services.actor import resolve_actor
    from boxoffice.services.metrics import series_metrics
    from boxoffice.store.opening import open_store

    path = demo_db or Path(tempfile.mkdtemp(prefix="boxoffice-demo-")) / "demo.sqlite3"
    if path.exists():
        raise click.UsageError(f"{path} already exists; the demo only writes a fresh database.")
    store = open_store(path)
    try:
        summary = seed_festival(store, bands=bands)
        actor = resolve_actor(store, OWNER)
        days = series_svc.list_series(store, actor, summary.event)
        day1 = next(s for s in days if s.name == summary.series[0])
        figures = series_metrics(store, actor, str(day1.id), fresh=True)
        zone = series_svc.series_detail(store, actor, str(day1.id)).timezone
    finally:
        store.dispose()
    text = "\n".join([
        f"Demo database: {path}",
        f"{summary.organization} / {summary.event}: {summary.bands:,} bands, "
        f"series {', '.join(summary.series)}",
        f"{summary.taps:,} taps on {summary.series[0]} ({summary.allowed:,} allowed, "
        f"{summary.denied:,} denied)",
        "",
        metrics_text(day1.name, figures, zone),
        "",
        "Look around:",
        f"  boxoffice --db {path} series list",
        f"  boxoffice --db {path} series show 'Day 1'",
        f"  boxoffice --db {path} metrics 'Day 1'",
    ])
    app.emit({"database": str(path), "summary": summary.__dict__, "metrics": figures}, text)
