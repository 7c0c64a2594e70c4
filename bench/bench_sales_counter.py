"""Counter time per door sale, in software, against the band's own encode time in the same run.

The question: once a sale is recorded, how long does the person at the
counter wait for the Sales page to ask for the first band, compared with
the time a band itself takes to encode? The figure is the time from the
Sales page's ``sold`` signal (the order is in the database and back on the
GUI thread) to its prompt saying "Tap band 1 of N" (the reader opened, the
encoding batch started, its first event delivered to the GUI thread), per
sale, over ``--sales`` sales of ``--tickets`` tickets each. The baseline is
what ``EncodeJob`` reports per band (``BandReport.seconds``: plan, write,
read back, protect, activate) for the bands those sales encoded. Both on
offscreen Qt with the simulated NTAG213 reader (nfcpy's tag code) over a
SQLite file; the ratio is the figure to compare between runs (the machine
is shared; absolute times drift).

Run: ``python bench/bench_sales_counter.py [--sales 20] [--tickets 2]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_loop_until(done: Callable[[], bool], timeout: float) -> None:
    from PySide6.QtCore import QCoreApplication

    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out")
        QCoreApplication.processEvents()
        time.sleep(0.0005)


def make_shop(db: Path, quota: int) -> None:
    from boxoffice.services import events, organization, products
    from boxoffice.services import series as series_svc
    from boxoffice.services.actor import resolve_actor
    from boxoffice.store.opening import open_store

    store = open_store(db)
    organization.create_organization(store, "Bench Org", "owner@example.org")
    owner = resolve_actor(store, "owner@example.org")
    events.create_event(store, owner, "Bench Fest", "Europe/Amsterdam")
    events.add_category(store, owner, "Bench Fest", "GA")
    now = datetime.now(UTC)
    series_svc.create_series(store, owner, "Bench Fest", "Today", now - timedelta(hours=1),
                             now + timedelta(hours=8), quota * 2)
    products.create_product(store, owner, "Bench Fest", "Day ticket", "GA", ["Today"], price_minor=2500,
                            currency="EUR", sales_opens_at=now - timedelta(hours=1),
                            sales_closes_at=now + timedelta(hours=8), quota=quota)
    store.dispose()


def measure(db: Path, sales: int, tickets: int) -> tuple[list[float], list[float]]:
    from boxoffice.services.actor import resolve_actor
    from boxoffice.store.opening import open_store
    from hardware.readers.sim import SimulatedField, blank_bands
    from hardware.readers.sim.device import simulated_reader
    from ui.app import application, build_window
    from ui.heap import settle_heap
    from ui.pages.sales_page import SalesPage

    application()
    store = open_store(db)
    field = SimulatedField(blank_bands(sales * tickets + 5, seed=3))
    window, ctx = build_window(store, resolve_actor(store, "owner@example.org"), station="bench",
                               reader_factory=lambda: simulated_reader(field))
    window.show()
    settle_heap()
    page = window.page_named("Sales")
    assert isinstance(page, SalesPage)
    window.show_page("Sales")
    run_loop_until(lambda: page.table.rowCount() > 0 and page.rows[0].left is not None, 30)
    page.tones.enabled = False

    counter: list[float] = []
    marks: dict[str, float] = {}
    say = page.prompt.say

    def timed_say(text: str, background: str = "#34495E") -> None:
        say(text, background)
        if text.startswith("Tap band 1 of") and "sold" in marks and "prompt" not in marks:
            marks["prompt"] = time.perf_counter()

    page.prompt.say = timed_say  # type: ignore[method-assign]
    page.sold.connect(lambda _order: marks.__setitem__("sold", time.perf_counter()))
    finished: list[object] = []
    page.encoding_finished.connect(finished.append)
    band_seconds: list[float] = []
    for i in range(sales):
        marks.clear()
        finished.clear()
        run_loop_until(lambda: page.rows and page.rows[0].left is not None and page.session is None, 30)
        page.set_quantity(page.rows[0], tickets)
        page.tendered.setText(str(25 * tickets))
        page.sell()
        run_loop_until(lambda: bool(finished), 120)
        results = finished[0]
        assert isinstance(results, list) and results, page.detail.text()
        assert results[0].progress.done == tickets, page.detail.text()
        counter.append(marks["prompt"] - marks["sold"])
        band_seconds += [b.seconds for r in results for b in r.bands if b.outcome.value == "ok"]
        log(f"sale {i + 1}/{sales}: {counter[-1] * 1000:.1f} ms to the first band prompt")
    window.close()
    ctx.ops.shutdown()
    store.dispose()
    return counter, band_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=20)
    parser.add_argument("--tickets", type=int, default=2, help="tickets (bands) per sale")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-sales-counter-"))
    try:
        db = workdir / "shop.sqlite3"
        make_shop(db, args.sales * args.tickets + 10)
        from ui.app import application
        from ui.ops import asyncio_on_qt

        application()
        with asyncio_on_qt():  # the page's coroutines run on Qt's loop, as under qasync in the app
            counter, bands = measure(db, args.sales, args.tickets)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    c_med, b_med = statistics.median(counter), statistics.median(bands)
    print("Sales counter benchmark (offscreen Qt, simulated NTAG213 reader, SQLite)")
    print(f"\nsale recorded -> first band prompt shown: median {c_med * 1000:,.1f} ms over {len(counter)} "
          f"sales (min {min(counter) * 1000:,.1f}, max {max(counter) * 1000:,.1f})")
    print(f"baseline, one band's encode time (BandReport.seconds): median {b_med * 1000:,.1f} ms over "
          f"{len(bands)} bands (min {min(bands) * 1000:,.1f}, max {max(bands) * 1000:,.1f})")
    print(f"ratio counter / band: {c_med / b_med:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
