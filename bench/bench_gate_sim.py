"""Gate-traffic benchmark: what a signed payload adds to a verify, and whether the simulator keeps its rate.

1. In process, on the seeded demo festival (SQLite): ``checkins.record_tap``
   with a genuine signed payload (the event's key, parsed once and cached) and
   with a forged one (a key the event does not know), interleaved tap by tap
   with the baseline, the same call UID-only. Printed as ms/tap and the ratio
   to the baseline.
2. Over loopback HTTP: the server runs as ``boxoffice server`` in its own
   process; ``boxoffice.programs.sim.gate_client`` sends a ``steady`` run at the
   offered rate, as gate devices. Printed: taps planned (the baseline: what
   the curve offered) and answered, achieved/offered ratio, latency p50/p99,
   and the answers by reason. Every answer must be 200.

Run: ``python bench/bench_gate_sim.py [--bands N] [--taps N] [--rate 50/s] [--seconds S] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus, Direction, Role
from boxoffice.programs.sim.demo import OWNER, seed_festival
from boxoffice.programs.sim.gate_client import Credentials, GateSim, GateSimConfig
from boxoffice.programs.sim.gate_traffic import Mix, Profile, parse_rate
from boxoffice.services import auth, band_signature, checkins, keys
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Event, Wristband
from boxoffice.store.opening import open_store

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_process import free_port, start_server

PASSWORD = "bench gate password"
GATE = "gate-1@example.org"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _signed(store: Store, owner: Actor, uids: list[str]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Genuine payloads (the event's own key) and forged ones (a stranger's key) for ``uids``."""
    stranger, stranger_id = pl.new_private_key(), b"\xde\xad\xbe\xef"
    genuine, forged = {}, {}
    with store.write() as session:
        ev = session.scalars(select(Event)).one()
        row, private = keys.signing_key(session, owner, ev, "bench")
        bands = {b.uid: b for b in session.scalars(select(Wristband).where(Wristband.uid.in_(uids)))}
        for uid in uids:
            fields = pl.BandPayload(pl.VERSION, bands[uid].id, ev.id, bands[uid].category_id,
                                    bytes.fromhex(row.key_id))
            genuine[uid] = pl.sign_payload(fields, bytes.fromhex(uid), private)
            copied = pl.BandPayload(pl.VERSION, bands[uid].id, ev.id, bands[uid].category_id, stranger_id)
            forged[uid] = pl.sign_payload(copied, bytes.fromhex(uid), stranger)
    return genuine, forged


def in_process(store: Store, owner: Actor, series_id: str, taps: int, seed: int) -> None:
    with store.read() as session:
        uids = list(session.scalars(select(Wristband.uid).where(Wristband.status == BandStatus.ACTIVE)
                                    .order_by(Wristband.uid)))
    rng = random.Random(seed)
    sample = rng.sample(uids, min(len(uids), 3 * taps))
    genuine, forged = _signed(store, owner, sample)
    gate = "Main Entrance"
    times: dict[str, list[float]] = {"uid-only": [], "genuine payload": [], "forged payload": []}
    reasons: dict[str, set[str]] = {k: set() for k in times}
    band_signature.clear_cache()
    for i in range(taps):
        for name, uid, payload in (("uid-only", sample[3 * i], None),
                                   ("genuine payload", sample[3 * i + 1], genuine[sample[3 * i + 1]]),
                                   ("forged payload", sample[3 * i + 2], forged[sample[3 * i + 2]])):
            t0 = time.perf_counter()
            view = checkins.record_tap(store, owner, series_id, gate, uid, Direction.IN, payload=payload)
            times[name].append((time.perf_counter() - t0) * 1000)
            reasons[name].add(view.reason.value)
    if "bad_signature" in reasons["genuine payload"] or reasons["forged payload"] != {"bad_signature"}:
        raise SystemExit(f"!!! FAILURE: unexpected answers {reasons}")
    base = statistics.median(times["uid-only"])
    print(f"\n  In process: checkins.record_tap, {taps} taps each, interleaved, median ms/tap "
          "(baseline: the same call UID-only)")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"    {name:<16} {med:8.3f} ms/tap   ratio to uid-only {med / base:5.2f}x   "
              f"answers {', '.join(sorted(reasons[name]))}")


def over_http(db: Path, workdir: Path, series_id: str, rate: float, seconds: float, seed: int) -> int:
    port = free_port()
    proc = start_server(db, port, workdir / "server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        sim = GateSim(GateSimConfig(server=url, series_id=series_id, rate=rate, duration=seconds,
                                    profile=Profile.STEADY, mix=Mix(), seed=seed,
                                    device=Credentials(email=GATE, password=PASSWORD),
                                    lookup=Credentials(email=OWNER, password=PASSWORD)))
        s = sim.run()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    offered = s.planned / seconds
    print(f"\n  Over HTTP (server in its own process, loopback): steady run, {rate:g}/s offered "
          f"for {seconds:g} s")
    print(f"    planned {s.planned:,} (offered {offered:.1f}/s), sent {s.sent:,}, errors {s.errors}, "
          f"achieved {s.achieved_rate:.1f}/s, ratio achieved/offered {s.achieved_rate / offered:.2f}x")
    print(f"    latency p50 {s.latency_p50_ms or 0:.2f} ms, p99 {s.latency_p99_ms or 0:.2f} ms; "
          f"offline device {s.offline_device} queued {s.queued}, "
          f"retries answered from the record {s.replayed}")
    print("    answers: " + ", ".join(f"{k} {v}" for k, v in s.by_reason.items()))
    for m in s.error_messages:
        print(f"    !!! FAILURE: {m}")
    return 1 if s.errors else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bands", type=int, default=5000, help="bands of the seeded demo festival")
    ap.add_argument("--taps", type=int, default=300, help="in-process taps of each kind")
    ap.add_argument("--rate", default="50/s", help="offered rate of the HTTP run (30/s, 600/min)")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the HTTP run")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, help="keep the database and server log here (default: temporary)")
    args = ap.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-gate-sim-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "gate-sim.sqlite3"
    try:
        log(f"seeding the demo festival with {args.bands:,} bands at {db}")
        store = open_store(db)
        summary = seed_festival(store, bands=args.bands, seed=args.seed)
        owner = resolve_actor(store, OWNER)
        for email in (OWNER, GATE):
            auth.set_password(store, owner, email, PASSWORD)
        assert resolve_actor(store, GATE).role is Role.GATE
        day1 = next(s for s in series_svc.list_series(store, owner, summary.event)
                    if s.name == summary.series[0])
        print(f"Gate-traffic benchmark: demo festival, {args.bands:,} bands, series {day1.name}, SQLite")
        in_process(store, owner, str(day1.id), args.taps, args.seed)
        store.dispose()
        return over_http(db, workdir, str(day1.id), parse_rate(args.rate), args.seconds, args.seed)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
