"""Sync pull benchmark: a fresh station pulls a day of 1,000,000 check-ins from the central server.

The server runs as its own process (``boxoffice server``, SQLite) over
loopback, as it would in a box office. The station's pull (HTTP pages, JSON,
upsert into its SQLite file) is timed against the baseline the issue names:
raw ``sqlite3`` ``executemany`` of the same check-in rows into a fresh
station database, measured in the same run. ratio = raw / pull (1.0 would
be a pull as fast as inserting the rows locally; the target is >= 0.5).

Run: ``python bench/bench_sync_pull.py [--checkins N] [--bands N] [--page N] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from boxoffice.domain.enums import GateKind
from boxoffice.services import auth, events, organization
from boxoffice.services import series as series_svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import LocalSetting
from boxoffice.store.opening import open_store
from boxoffice.sync import changelog, credentials
from boxoffice.sync import client as sync_client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_process import free_port, start_server

PASSWORD = "bench password 1"
_FMT = "%Y-%m-%d %H:%M:%S.%f"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def seed_server(db: Path, n_bands: int, n_checkins: int, seed: int) -> None:
    """Organization, event, gates and a series through the services; bands and check-ins in bulk."""
    store = open_store(db)
    organization.create_organization(store, "Bench Org", "owner@bench.org")
    owner = resolve_actor(store, "owner@bench.org")
    auth.set_password(store, owner, "owner@bench.org", PASSWORD)
    events.create_event(store, owner, "Bench Fest", "Europe/Amsterdam")
    cats = [events.add_category(store, owner, "Bench Fest", n).id for n in ("GA", "VIP", "Crew", "Press")]
    gates = [events.add_gate(store, owner, "Bench Fest", n, GateKind.BOTH).id
             for n in ("North", "South", "East", "West")]
    now = datetime.now(UTC)
    day = series_svc.create_series(store, owner, "Bench Fest", "Day 1", now - timedelta(hours=12),
                                   now + timedelta(hours=4), 1_000_000,
                                   gates=["North", "South", "East", "West"]).series
    ev_id = day.event_id
    store.dispose()

    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    bands = []
    for i in range(n_bands):
        bands.append((uuid.uuid4().hex, ev_id.hex, rng.choice(cats).hex,
                      "04" + "".join(f"{rng.randrange(256):02X}" for _ in range(6)),
                      "active", i + 1, now.strftime(_FMT), now.strftime(_FMT)))
    conn.executemany(
        "INSERT INTO wristbands (id, event_id, category_id, uid, status, number, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?)", bands)
    start = now - timedelta(hours=11)
    rows = []
    for i in range(n_checkins):
        band = bands[rng.randrange(n_bands)]
        at = (start + timedelta(seconds=i * 39_600 / n_checkins)).strftime(_FMT)
        allowed = rng.random() < 0.93
        rows.append((uuid.uuid4().hex, f"scan-{i}", ev_id.hex, day.id.hex, rng.choice(gates).hex,
                     band[0], band[3], "in" if i % 3 else "out", "allowed" if allowed else "denied",
                     "ok" if allowed else "already_inside", f"reader-{i % 40}", at, at))
        if len(rows) == 100_000:
            _insert_checkins(conn, rows)
            rows = []
    if rows:
        _insert_checkins(conn, rows)
    conn.commit()
    conn.close()

    store = open_store(db)
    t = time.perf_counter()
    changelog.become_server(store)  # logs every row: the server's first change log
    log(f"  change log of the seeded rows written in {time.perf_counter() - t:.1f} s")
    store.dispose()


def _insert_checkins(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    conn.executemany(
        "INSERT INTO checkins (id, client_scan_id, event_id, series_id, gate_id, wristband_id, uid, "
        "direction, result, reason, device_id, occurred_at, recorded_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


def logged_in_station(db: Path, url: str, template: Path | None) -> None:
    """A station logged in but not yet pulled: the login's own first pull is what we time."""
    if template is not None:
        shutil.copy(template, db)
    store = open_store(db)
    with httpx.Client(base_url=url) as http:
        body = http.post("/api/auth/login", json={"email": "owner@bench.org",
                                                   "password": PASSWORD}).json()
    credentials.save_token(url, "owner@bench.org", body["token"])
    m = body["member"]
    with store.write() as session:
        session.add(LocalSetting(key=sync_client.SERVER_KEY, value={
            "url": url, "email": m["email"], "member_id": m["id"],
            "organization_id": m["organization_id"], "station": "bench"}))
    store.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkins", type=int, default=1_000_000)
    ap.add_argument("--bands", type=int, default=50_000)
    ap.add_argument("--page", type=int, default=None, help="rows per pull page (the client's default)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the databases in this directory")
    args = ap.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-sync-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("BOXOFFICE_CREDENTIALS_FILE", str(workdir / "credentials.json"))
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    server_db = workdir / "server.sqlite3"
    for f in workdir.glob("*.sqlite3*"):
        f.unlink()
    log(f"seeding the server: {args.bands:,} bands, {args.checkins:,} check-ins in {workdir}")
    t = time.perf_counter()
    seed_server(server_db, args.bands, args.checkins, args.seed)
    log(f"  seeded in {time.perf_counter() - t:.1f} s")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(server_db, port, workdir / "server.log")
    try:
        empty = workdir / "empty.sqlite3"
        open_store(empty).dispose()  # migrations once, outside the timings
        station_db = workdir / "station.sqlite3"
        logged_in_station(station_db, url, empty)
        store = open_store(station_db)
        kwargs = {"page_size": args.page} if args.page else {}
        with sync_client.SyncClient.from_store(store, **kwargs) as client:
            log("pulling...")
            t = time.perf_counter()
            pulled = client.pull()
            pull_s = time.perf_counter() - t
        with store.read() as session:
            from sqlalchemy import text

            n_local = session.execute(text("SELECT count(*) FROM checkins")).scalar_one()
        store.dispose()
        assert n_local == args.checkins, (n_local, args.checkins)

        # Baseline: the same check-in rows, raw executemany into a fresh station database.
        base_db = workdir / "baseline.sqlite3"
        shutil.copy(empty, base_db)
        src = sqlite3.connect(station_db)
        cols = [r[1] for r in src.execute("PRAGMA table_info(checkins)")]
        parents = {t: src.execute(f"SELECT * FROM {t}").fetchall()
                   for t in ("organizations", "members", "events", "categories", "gates",
                             "event_series", "wristbands")}
        rows = src.execute(f"SELECT {', '.join(cols)} FROM checkins").fetchall()
        src.close()
        dst = sqlite3.connect(base_db, isolation_level=None)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            dst.execute(f"PRAGMA {pragma}")
        dst.execute("BEGIN")
        for table, prow in parents.items():
            if prow:
                dst.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(prow[0]))})", prow)
        dst.execute("COMMIT")
        t = time.perf_counter()
        dst.execute("BEGIN")
        dst.executemany(f"INSERT INTO checkins ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                        rows)
        dst.execute("COMMIT")
        raw_s = time.perf_counter() - t
        dst.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"sync pull: {args.checkins:,} check-ins (+{pulled - args.checkins:,} other rows) "
          f"in {pull_s:.2f} s = {pulled / pull_s:,.0f} rows/s")
    print(f"baseline raw sqlite3 executemany of the same check-ins: {raw_s:.2f} s = "
          f"{args.checkins / raw_s:,.0f} rows/s")
    print(f"ratio raw/pull: {raw_s / pull_s:.2f} (target >= 0.5)")


if __name__ == "__main__":
    main()
