"""Series report benchmark: one series with 1,000,000 check-ins, from the database to a written PDF.

Builds an event (Europe/Amsterdam, 6 gates, one of them 東京 Gate) with one active series whose
250,000 assigned bands tapped 1,000,000 times over 14 hours, bulk-loaded with bench_store's raw
``executemany`` loader. Then, in a fresh process (so its peak memory is the report's, not the
loader's), it times:

- **aggregation** (the baseline): the report's GROUP BY queries alone, through the session, as
  ``boxoffice.reports.data`` runs them;
- **series report**: ``build_report`` + ``render_pdf`` to a file, everything a person waits for.

and prints both, their ratio, the PDF's pages and the process's peak RSS. Target: < 5 s.

Run: ``python bench/bench_report.py [--checkins N] [--repeat N] [--db PATH]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from boxoffice.domain.enums import BandStatus, CheckinResult, Direction, GateKind, Reason, SeriesStatus
from boxoffice.services import events, organization
from boxoffice.services import series as series_svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import Checkin, SeriesPresence, SeriesWristbandAssignment, Wristband
from boxoffice.store.opening import open_store

log = logging.getLogger("bench.report")

GATES = ("Main Entrance", "North Gate", "South Gate", "VIP Entrance", "東京 Gate", "Exit")
DENIALS = (Reason.ALREADY_INSIDE, Reason.NOT_ASSIGNED, Reason.CATEGORY_NOT_ALLOWED, Reason.BAND_VOID,
           Reason.UNKNOWN_BAND, Reason.WINDOW_NOT_OPEN)
SERIES = "Saturday"


def _load_bench_store() -> ModuleType:
    """Reuse bench_store's bulk loader (it checks each table's encoding against the ORM)."""
    name = "bench_store"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().with_name("bench_store.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build(path: Path, checkins: int, seed: int = 7) -> None:
    bench_store = _load_bench_store()
    rng = random.Random(seed)
    store = open_store(path)
    organization.create_organization(store, "Bench Org", "owner@example.org", "Zoë Łódź")
    owner = resolve_actor(store, "owner@example.org")
    tz = ZoneInfo("Europe/Amsterdam")
    ev = events.create_event(store, owner, "Bench Fest", tz.key)
    cats = [events.add_category(store, owner, "Bench Fest", n).id for n in ("GA", "VIP", "Staff")]
    gates = [events.add_gate(store, owner, "Bench Fest", n, GateKind.BOTH).id for n in GATES]
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=13)
    series = series_svc.create_series(store, owner, "Bench Fest", SERIES, start, start + timedelta(hours=16),
                                      max(checkins // 4, 100), gates=list(GATES)).series
    series_svc.transition_series(store, owner, str(series.id), SeriesStatus.SCHEDULED, "Published")
    series_svc.transition_series(store, owner, str(series.id), SeriesStatus.ACTIVE, "Doors open")

    n_bands = max(checkins // 4, 10)
    band_ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(n_bands)]
    band_cat = [cats[0] if rng.random() < 0.85 else rng.choice(cats[1:]) for _ in range(n_bands)]
    loader = bench_store.BulkLoader(store, path)
    try:
        day_before = start - timedelta(days=1)
        loader.load(Wristband, bench_store.WRISTBAND_COLUMNS,
                    ((b, ev.id, band_cat[i], bench_store.uid_of(i), BandStatus.ACTIVE, i + 1, None, None,
                      None, "Desk 1", owner.member_id, day_before, day_before, day_before, None, None, None,
                      None, None) for i, b in enumerate(band_ids)))
        loader.load(SeriesWristbandAssignment, ("id", "series_id", "wristband_id", "active", "assigned_at",
                                                "assigned_by", "removed_at"),
                    ((uuid.UUID(int=rng.getrandbits(128), version=4), series.id, b, True, start, None, None)
                     for b in band_ids))
        span = 14 * 3600

        def taps() -> Iterator[tuple[Any, ...]]:
            for i in range(checkins):
                band = rng.randrange(n_bands)
                at = start + timedelta(seconds=span * min(rng.betavariate(1.6, 4.0), 0.999))
                allowed = rng.random() < 0.92
                reason = Reason.OK if allowed else rng.choice(DENIALS)
                gate = rng.randrange(len(gates))
                yield (uuid.UUID(int=rng.getrandbits(128), version=4), f"bench-{i}", ev.id, series.id,
                       gates[gate], band_ids[band], bench_store.uid_of(band),
                       Direction.OUT if gate == 5 else Direction.IN,
                       CheckinResult.ALLOWED if allowed else CheckinResult.DENIED, reason,
                       f"{GATES[gate]} #{1 + i % 3}", at, at)

        loader.load(Checkin, ("id", "client_scan_id", "event_id", "series_id", "gate_id", "wristband_id",
                              "uid", "direction", "result", "reason", "device_id", "occurred_at",
                              "recorded_at"),
                    taps())
        loader.load(SeriesPresence, ("series_id", "wristband_id", "category_id", "inside", "has_entered",
                                     "last_scan_at"),
                    ((series.id, b, band_cat[i], i % 3 != 0, True, now)
                     for i, b in enumerate(band_ids) if i % 5 != 0))
    finally:
        loader.close()
    store.dispose()


def measure(path: Path, repeat: int, out: Path) -> dict[str, Any]:
    """In this (fresh) process: time the aggregation alone and the whole report, then peak memory."""
    from boxoffice.reports.build import build_report
    from boxoffice.reports.data import activity, entered_by_category
    from boxoffice.reports.pdf import render_pdf
    from boxoffice.store.models import Event, EventSeries
    from boxoffice.store.queries import assigned_by_category

    store = open_store(path)
    owner = resolve_actor(store, "owner@example.org")
    dialect = store.read_engine.dialect.name

    def aggregate() -> int:
        with store.read() as session:
            series = session.query(EventSeries).filter(EventSeries.name == SERIES).one()
            tz = ZoneInfo(session.get_one(Event, series.event_id).timezone)
            seen, _ = activity(session, dialect, tz, Checkin.series_id == series.id)
            entered_by_category(session, series.id)
            assigned_by_category(session, series.id)
            return seen.scans

    def report() -> int:
        return render_pdf(build_report(store, owner, "series", series=SERIES), out)

    scans = aggregate()  # warm-up: the file's pages into the OS cache, fonts registered below
    pages = report()
    agg, full = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        aggregate()
        agg.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        report()
        full.append(time.perf_counter() - t0)
    store.dispose()
    return {"scans": scans, "pages": pages, "aggregation_s": statistics.median(agg),
            "report_s": statistics.median(full),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkins", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="a new SQLite file to build (kept afterwards)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help="where the PDF goes (default: beside the database)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.repeat, args.out)))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        path = args.db or Path(tmp) / "bench.sqlite3"
        if path.exists():
            sys.exit(f"{path} already exists; give a new file.")
        t0 = time.perf_counter()
        build(path, args.checkins)
        log.info("built %s check-ins in %.1f s", f"{args.checkins:,}", time.perf_counter() - t0)
        out = args.out or path.with_suffix(".pdf")
        done = subprocess.run([sys.executable, __file__, "--measure", str(path), "--repeat", str(args.repeat),
                               "--out", str(out)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            return done.returncode
        r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"series report over {r['scans']:,} check-ins ({r['pages']} pages), median of {args.repeat}:")
    print(f"  {'aggregation queries (baseline)':<34}{r['aggregation_s']:>9.3f} s")
    print(f"  {'series report, PDF written':<34}{r['report_s']:>9.3f} s   "
          f"{r['report_s'] / r['aggregation_s']:.2f}x the aggregation")
    print(f"  {'peak memory (RSS of the process)':<34}{r['peak_rss_mib']:>9.1f} MiB")
    print(f"  target < 5 s: {'met' if r['report_s'] < 5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
