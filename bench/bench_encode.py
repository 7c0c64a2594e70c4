"""Encoding benchmark: software time per band against the tag's modelled radio time.

A box of blank simulated NTAG213s goes through the real ``EncodeJob`` (plan
a pending row, write + read back + protect with nfcpy, activate + record the
outcome) on a SQLite file, once per transport:

- ``inproc``: the simulated device under nfcpy's frontend in this process;
- ``udp``: nfcpy's unchanged ``udp`` driver talking to the simulator's UDP
  server (a thread of this process), the code path a USB reader takes.

The simulator is not in real-time mode, so the wall time is all software
plus the simulator itself; the time spent inside the simulator (the field's
``transceive`` in process, the UDP server's ``handle`` over udp) is
measured and subtracted. What is left is the station's software per band:
nfcpy, the band writer, the job, the SQLite transactions (and over udp the
loopback round trips, which a USB reader has as well). It is compared with
the radio time the simulator models from the NTAG213 datasheet (106 kbit/s
frames, FDT, 4.1 ms EEPROM write per page: a READ is ~0.37 ms out and
~1.55 ms back), printed as ``software/radio``. The target is < 10 ms of
software per band.

Run: ``python bench/bench_encode.py [--bands N] [--transport inproc,udp] [--warmup N] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from boxoffice.domain.enums import GateKind
from boxoffice.services import encoding_bands, encoding_batches, events, organization
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store
from hardware.readers.nfcpy_reader import NfcpyReader
from hardware.readers.sim import SimulatedField, blank_bands
from hardware.readers.sim.device import simulated_reader
from hardware.readers.sim.udp_server import SimulatedUdpServer
from hardware.station.encode_job import BatchParams, EncodeJob, JobEvent

EVENT, CATEGORY, SERIES = "Bench Fest", "GA", "Day 1"
TARGET_MS = 10.0
# (module, name): the job calls each through its module, so the module attribute is what is wrapped.
SERVICE_CALLS = ((encoding_bands, "plan_band"), (encoding_bands, "activate_band"),
                 (encoding_batches, "record_outcome"))


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Stopwatch:
    """Adds up the time spent inside wrapped callables (thread-safe; the UDP server has its own thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0  # CPU time of the calling thread inside the wrapped calls
        self.calls = 0
        self._lock = threading.Lock()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, started_cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started
                    self.cpu += time.thread_time() - started_cpu
                    self.calls += 1

        return timed


@dataclass
class Sample:
    """Cumulative counters at one band event; consecutive samples give one band's cycle."""

    wall: float
    sim: float
    radio: float
    db: float
    exchanges: int


@dataclass
class Result:
    transport: str
    bands: int
    wall: float
    sim: float
    radio: float
    db: float
    exchanges: int
    cpu: float  # process CPU time minus the simulator's: the machine's load does not count here
    db_cpu: float
    per_band_software: list[float] = field(default_factory=list)

    @property
    def software(self) -> float:
        return self.wall - self.sim

    def per_band(self, seconds: float) -> float:
        return seconds / self.bands * 1000


def make_station(path: Path) -> tuple[Store, Actor]:
    store = open_store(path)
    organization.create_organization(store, "Bench Org", "owner@bench.org")
    owner = resolve_actor(store, "owner@bench.org")
    events.create_event(store, owner, EVENT, "Europe/Amsterdam")
    events.add_category(store, owner, EVENT, CATEGORY)
    events.add_gate(store, owner, EVENT, "Main", GateKind.ENTRY)
    start = datetime(2027, 7, 2, 10, 0, tzinfo=UTC)
    series_svc.create_series(store, owner, EVENT, SERIES, start, start + timedelta(hours=12), 1_000_000,
                             gates=["Main"])
    return store, owner


def time_services(stopwatch: Stopwatch) -> Callable[[], None]:
    """Time the job's database calls (the job calls them through the module); returns the undo."""
    originals = {(module, name): getattr(module, name) for module, name in SERVICE_CALLS}
    for (module, name), fn in originals.items():
        setattr(module, name, stopwatch.wrap(fn))

    def undo() -> None:
        for (module, name), fn in originals.items():
            setattr(module, name, fn)

    return undo


def run_transport(transport: str, store: Store, owner: Actor, bands: int, warmup: int, seed: int) -> Result:
    field_ = SimulatedField(blank_bands(bands + warmup, seed=seed), auto_feed=True)
    sim = Stopwatch()
    server: SimulatedUdpServer | None = None
    if transport == "inproc":
        field_.transceive = sim.wrap(field_.transceive)  # type: ignore[method-assign]
        reader = simulated_reader(field_)
    else:
        server = SimulatedUdpServer(field_)
        server.handle = sim.wrap(server.handle)  # type: ignore[method-assign]
        server.start()
        reader = NfcpyReader(server.path)
    db = Stopwatch()
    undo = time_services(db)
    try:
        with reader:
            if warmup:  # the first taps of a process pay for imports and caches, not per band
                params = BatchParams(EVENT, CATEGORY, (SERIES,), warmup, "bench")
                EncodeJob(reader, store, owner, params).run()
            samples: list[Sample] = []

            def sample(event: JobEvent) -> None:
                if event.band is not None:
                    samples.append(Sample(time.perf_counter(), sim.seconds, field_.radio_seconds, db.seconds,
                                          field_.exchanges))

            job = EncodeJob(reader, store, owner, BatchParams(EVENT, CATEGORY, (SERIES,), bands, "bench"),
                            on_event=sample)
            first = Sample(time.perf_counter(), sim.seconds, field_.radio_seconds, db.seconds,
                           field_.exchanges)
            cpu_before, sim_cpu_before, db_cpu_before = time.process_time(), sim.cpu, db.cpu
            result = job.run()
            cpu = (time.process_time() - cpu_before) - (sim.cpu - sim_cpu_before)
            db_cpu = db.cpu - db_cpu_before
            last = Sample(time.perf_counter(), sim.seconds, field_.radio_seconds, db.seconds,
                          field_.exchanges)
    finally:
        undo()
        if server is not None:
            server.stop()
    failed = [b for b in result.bands if b.outcome.value != "ok"]
    if result.progress.done != bands or failed:
        raise SystemExit(f"!!! FAILURE: {transport}: {result.progress} {failed[:3]}")
    points = [first, *samples]
    per_band = [(b.wall - a.wall) - (b.sim - a.sim) for a, b in itertools.pairwise(points)]
    return Result(transport, bands, last.wall - first.wall, last.sim - first.sim, last.radio - first.radio,
                  last.db - first.db, last.exchanges - first.exchanges, cpu, db_cpu,
                  per_band)


def report(results: list[Result]) -> None:
    print()
    print("Encoding a band: software time (all but the simulated tag) against modelled NTAG213 radio time")
    print(f"{'transport':<10}{'bands':>7}{'software':>11}{'p50':>8}{'p95':>8}{'db':>8}{'tag+job':>9}"
          f"{'radio':>9}{'sw/radio':>10}{'cmds':>6}{'cpu':>8}  verdict (< {TARGET_MS:g} ms)")
    print(f"{'':<10}{'':>7}{'ms/band':>11}{'ms':>8}{'ms':>8}{'ms':>8}{'ms':>9}{'ms/band':>9}{'':>10}{'':>6}"
          f"{'ms/band':>8}")
    for r in results:
        software = r.per_band(r.software)
        db = r.per_band(r.db)
        radio = r.per_band(r.radio)
        ms = sorted(s * 1000 for s in r.per_band_software)
        p50 = statistics.median(ms)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        verdict = ("ok" if software < TARGET_MS else "!! over") + \
            (" (tag+job ok)" if software >= TARGET_MS and software - db < TARGET_MS else "")
        print(f"{r.transport:<10}{r.bands:>7}{software:>11.2f}{p50:>8.2f}{p95:>8.2f}{db:>8.2f}"
              f"{software - db:>9.2f}{radio:>9.1f}{software / radio:>9.2f}x{r.exchanges / r.bands:>6.0f}"
              f"{r.per_band(r.cpu):>8.2f}  {verdict}")
    for r in results:
        print(f"  {r.transport}: CPU per band {r.per_band(r.cpu):.2f} ms = db {r.per_band(r.db_cpu):.2f} ms"
              f" + tag+job {r.per_band(r.cpu - r.db_cpu):.2f} ms")
    print()
    print("software: wall time minus the time inside the simulator, per band (whole cycle: wait for the")
    print("band, plan, write, read back, protect, activate + record, wait for removal); db: the service")
    print("calls (plan_band, activate_band with the ok outcome, record_outcome for a failed tap); tag+job:")
    print("the rest (nfcpy, band writer,")
    print("job, and over udp the loopback round trips); radio: the simulator's datasheet model;")
    print("cmds: exchanges per band; cpu: process CPU time minus the simulator's, per band (wall-clock")
    print("figures grow when other processes share the cores; this one does not).")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bands", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--transport", default="inproc,udp", help="comma-separated: inproc, udp")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path,
                    help="keep the SQLite files here (default: a temporary directory)")
    args = ap.parse_args(argv)
    transports = [t.strip() for t in args.transport.split(",") if t.strip()]
    for t in transports:
        if t not in ("inproc", "udp"):
            ap.error(f"unknown transport {t!r}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-encode-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n, transport in enumerate(transports):
            path = workdir / f"station-{transport}.sqlite3"
            for old in workdir.glob(f"{path.name}*"):
                old.unlink()
            store, owner = make_station(path)
            try:
                log(f"{transport}: {args.warmup} warm-up bands, then {args.bands} measured")
                results.append(run_transport(transport, store, owner, args.bands, args.warmup, args.seed + n))
            finally:
                store.dispose()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
