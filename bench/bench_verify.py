"""Gate verify benchmark: POST /api/verify throughput and latency over loopback, with 1,000,000 bands.

The issue's question: with 1,000,000 bands loaded, how many verifies per
second does one central server answer, and how fast, at 1, 50 and 200
concurrent gate clients, on SQLite and on PostgreSQL? (Target on this
2-core machine: >= 1,500 verifies/s with p99 < 50 ms at 200 clients; the
Event Series design needs 100,000 check-ins/hour, 28/s.)

The server runs as it does in production (one uvicorn worker, the app from
``create_app``) but in its own process, so the load generator does not take
the server's GIL. The machine is shared and absolute figures drift, so every
level is also run against ``GET /api/health`` (same server, same client
count, same client code): the HTTP + framework + one-query floor. The
``health/verify`` ratio is what the decision and its writes cost on top of
that floor, and is the figure to compare between runs. Finally the decision
itself (``checkins.decide_and_record``) and the whole service call
(``checkins.record_tap``) are timed in-process on the same database, to show
how much of a verify is the decision and how much is everything around it.

Four measurements for the scaling targets follow, each against a baseline of
the same run: the verify cost with 1 % and 10 % of the bands inside against
an empty series (``--inside``), 2 server processes on one PostgreSQL database
against 1 (``--procs-clients``), the verify rate as a share of the health
floor at 1 and 50 clients (``--floor-clients``), and an open loop at half the
measured capacity (``--half-seconds``). See bench/README.md for how to read them.

Run: ``python bench/bench_verify.py [--bands 1000000] [--clients 1,50,200] [--seconds 10]
[--backend sqlite,postgres] [--pg-url URL] [--client raw|httpx] [--inside 0,1%,10%]
[--procs-clients 50] [--floor-clients 1,50] [--half-seconds 60] [--load-procs 1]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import logging
import os
import random
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from itertools import chain, islice
from pathlib import Path
from types import ModuleType
from typing import Any

import fastapi
import httpx
import sqlalchemy
import uvicorn
from sqlalchemy import create_engine, delete, insert, inspect, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from boxoffice.domain.enums import BandStatus, Direction, GateKind, Role, SeriesStatus
from boxoffice.services import auth, checkins, events, occupancy, organization
from boxoffice.services import series as series_svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.base import Base
from boxoffice.store.database import Store
from boxoffice.store.models import EventSeries, Gate, SeriesPresence, SeriesWristbandAssignment, Wristband
from boxoffice.store.opening import open_store
from boxoffice.store.types import utcnow
from boxoffice.sync import changelog

log = logging.getLogger("bench.verify")

PG_URL_VAR = "BOXOFFICE_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")
TARGET_CLIENTS = 200
TARGET_RPS = 1_500.0
TARGET_P99_MS = 50.0
DESIGN_PER_HOUR = 100_000  # check-ins per hour the Event Series design asks for
OWNER = "owner@bench.example.org"
GATE_MEMBER = "gate@bench.example.org"
PASSWORD = "bench gate password"  # a throwaway database's throwaway member
CATEGORIES = (("GA", "#2E86DE", 0.9), ("VIP", "#F5B041", 0.1))
SERVER_START_TIMEOUT_S = 60.0
DECISION_WARMUP_TAPS = 20
ASSIGNMENT_COLUMNS = ("id", "series_id", "wristband_id", "active", "assigned_at", "assigned_by",
                      "removed_at")
PRESENCE_COLUMNS = ("series_id", "wristband_id", "category_id", "inside", "has_entered", "last_scan_at")
# The targets of the new measurements (issue): verify cost with 100,000 inside against empty,
# 2 server processes against 1, verify against the /api/health floor, p99 at half capacity.
TARGET_INSIDE_RATIO = 1.2
TARGET_PROCS_RATIO = 1.4
TARGET_FLOOR = {"sqlite": 0.40, "postgres": 0.30}

# The child process: exactly what ``boxoffice server`` runs (open_store, create_app,
# one uvicorn worker, log level warning), but on a socket the parent bound, so
# there is no window in which another process could take the free port.
SERVER_CODE = """
import socket, sys
import uvicorn
from boxoffice.programs.server.app import create_app
from boxoffice.store.opening import open_store
sock = socket.socket(fileno=int(sys.argv[1]))
store = open_store(sys.argv[2])
uvicorn.Server(uvicorn.Config(create_app(store), log_level="warning")).run(sockets=[sock])
"""


# --------------------------------------------------------------------------- the store benchmark's helpers


def _load_script(name: str) -> ModuleType:
    """bench/ is a folder of scripts, not a package: load a sibling script by path.

    Reusing bench_store's SQLite bulk loader (which checks every table's
    encoding against the ORM) keeps one proven fast path instead of two;
    loadgen holds the HTTP load machinery.
    """
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


bench_store = _load_script("bench_store")
uid_of: Callable[[int], str] = bench_store.uid_of
CHUNK: int = bench_store.CHUNK
TableStat = bench_store.TableStat
WRISTBAND_COLUMNS: tuple[str, ...] = bench_store.WRISTBAND_COLUMNS

loadgen = _load_script("loadgen")
LevelResult = loadgen.LevelResult
RequestFactory = loadgen.RequestFactory
REQUEST_TIMEOUT_S: float = loadgen.REQUEST_TIMEOUT_S
CLIENT_KINDS: tuple[str, ...] = loadgen.CLIENT_KINDS


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Config:
    bands: int
    clients: tuple[int, ...]
    seconds: float
    warmup: float
    backends: tuple[str, ...]
    pg_url: str
    taps: int
    seed: int
    max_requests: int
    workdir: Path | None
    client: str = "raw"
    # Offered verifies per second in the open-loop level (0: no such level).
    open_rate: float = TARGET_RPS
    # Bands inside the series for the verify-cost-against-occupancy levels (empty: skip them).
    inside: tuple[int, ...] = ()
    inside_clients: int = 1
    # Concurrent clients of the 1-against-2-server-processes levels, PostgreSQL only (0: skip them).
    procs_clients: int = 50
    # Client counts whose verify/health share is held against the floor target.
    floor_clients: tuple[int, ...] = (1, 50)
    # Seconds of the open loop at half the measured closed-loop capacity (0: skip it).
    half_seconds: float = 60.0
    # Load-generator processes per level (1: this process).
    load_procs: int = 1

    @property
    def levels(self) -> tuple[int, ...]:
        """Every closed-loop client count: --clients and the floor's."""
        return tuple(sorted(set(self.clients) | set(self.floor_clients)))


def _positive_ints(text_value: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text_value.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text_value!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("give at least one client count, each 1 or more")
    return values


def _inside_counts(text_value: str) -> tuple[str, ...]:
    """Counts of bands inside, each a number or a percentage of --bands; 'none' or '' skips the levels."""
    values = tuple(v.strip() for v in text_value.split(",") if v.strip())
    if values in ((), ("none",)):
        return ()
    for v in values:
        number = v[:-1] if v.endswith("%") else v
        try:
            ok = float(number) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise argparse.ArgumentTypeError(f"not a count or a percentage of --bands: {v!r}")
    return values


def _resolve_inside(values: tuple[str, ...], bands: int) -> tuple[int, ...]:
    counts = {round(bands * float(v[:-1]) / 100) if v.endswith("%") else int(float(v)) for v in values}
    return tuple(sorted(counts))


def _backends(text_value: str) -> tuple[str, ...]:
    values = tuple(v.strip() for v in text_value.split(",") if v.strip())
    wrong = [v for v in values if v not in BACKENDS]
    if not values or wrong:
        raise argparse.ArgumentTypeError(f"backends are {', '.join(BACKENDS)}; got {text_value!r}")
    return values


def parse_args(argv: Sequence[str] | None) -> Config:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--bands", type=int, default=1_000_000,
                   help="active wristbands, all assigned to the series")
    p.add_argument("--clients", type=_positive_ints, default=(1, 50, 200),
                   help="concurrent clients per level, comma-separated")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per level and endpoint")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each level")
    p.add_argument("--backend", type=_backends, default=BACKENDS, help="sqlite, postgres or both")
    p.add_argument("--pg-url", default=os.environ.get(PG_URL_VAR) or DEFAULT_PG_URL,
                   help=f"PostgreSQL server (a temporary database is created there and dropped); "
                        f"default ${PG_URL_VAR} or {DEFAULT_PG_URL}")
    p.add_argument("--taps", type=int, default=1_000, help="in-process taps for the decision's share")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--max-requests", type=int, default=2_000_000,
                   help="safety cap on requests per level and endpoint")
    p.add_argument("--workdir", type=Path, default=None,
                   help="directory for the SQLite file and the server logs (default: a temporary "
                        "directory, removed at the end)")
    p.add_argument("--client", choices=CLIENT_KINDS, default="raw",
                   help="load generator: raw asyncio HTTP/1.1, one connection per client (default), or "
                        "one httpx.AsyncClient pooling them all (saturates its own core at 20+ clients here)")
    p.add_argument("--open-rate", type=float, default=TARGET_RPS,
                   help=f"verifies per second offered in the open-loop level over {TARGET_CLIENTS} "
                        "connections, latency timed from each tap's scheduled time (0: skip that level)")
    p.add_argument("--inside", type=_inside_counts, default=("0", "1%", "10%"),
                   help="bands inside the series for the verify-cost-by-occupancy levels: counts or "
                        "percentages of --bands (default 0,1%%,10%%: 0, 10,000 and 100,000 of a million); "
                        "'none' skips them")
    p.add_argument("--inside-clients", type=int, default=1,
                   help="clients of the occupancy levels (1: the cost of one verify)")
    p.add_argument("--procs-clients", type=int, default=50,
                   help="clients of the 1-against-2-server-processes levels, PostgreSQL only (0: skip)")
    p.add_argument("--floor-clients", type=_positive_ints, default=(1, 50),
                   help="client counts whose verify/health share is held against the floor target "
                        "(run as closed-loop levels too when not in --clients)")
    p.add_argument("--half-seconds", type=float, default=60.0,
                   help="seconds of the open loop at half the measured closed-loop capacity (0: skip)")
    p.add_argument("--load-procs", type=int, default=1,
                   help="load-generator processes per level (default 1: this process); more when one "
                        "Python process would be the limit rather than the server")
    a = p.parse_args(argv)
    if (a.bands < 2 or a.seconds <= 0 or a.warmup < 0 or a.taps < 1 or a.max_requests < 1
            or a.open_rate < 0 or a.inside_clients < 1 or a.procs_clients < 0 or a.half_seconds < 0
            or a.load_procs < 1):
        p.error("need --bands >= 2, --seconds > 0, --warmup >= 0, --taps >= 1, --max-requests >= 1, "
                "--open-rate >= 0, --inside-clients >= 1, --procs-clients >= 0, --half-seconds >= 0, "
                "--load-procs >= 1")
    inside = _resolve_inside(a.inside, a.bands)
    if inside and (len(inside) < 2 or 0 not in inside or max(inside) > a.bands // 2):
        p.error("--inside needs 0 and at least one other count, none above half of --bands (the taps "
                "go to the bands that are not inside)")
    return Config(a.bands, a.clients, a.seconds, a.warmup, a.backend, a.pg_url, a.taps, a.seed,
                  a.max_requests, a.workdir, a.client, a.open_rate, inside, a.inside_clients,
                  a.procs_clients, a.floor_clients, a.half_seconds, a.load_procs)


# --------------------------------------------------------------------------- bulk loading


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _pg_value(value: Any) -> Any:
    # psycopg adapts UUID, datetime, bool, int, str itself; enums are stored by value (enum_column).
    return value.value if isinstance(value, Enum) else value


class PgCopyLoader:
    """``COPY ... FROM STDIN`` in chunks: the PostgreSQL counterpart of bench_store's BulkLoader.

    Same interface (``load``, ``first_rows``, ``stats``, ``close``). The first
    row of every table is first inserted through SQLAlchemy and read back raw
    (then rolled back); after the COPY the same row is read back raw again and
    the two must be identical, value and type: the COPY wrote what the ORM writes.
    """

    def __init__(self, store: Store) -> None:
        import psycopg

        self.store = store
        conninfo = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo)
        self.stats: list[Any] = []
        self.first_rows: list[tuple[type[Base], Sequence[str], Sequence[Any]]] = []

    def _raw_row(self, conn: Any, model: type[Base], columns: Sequence[str],
                 values: dict[str, Any]) -> tuple[Any, ...]:
        keys = [c.name for c in inspect(model).primary_key]
        where = " AND ".join(f"{k} = %s" for k in keys)
        sql = f"SELECT {', '.join(columns)} FROM {model.__tablename__} WHERE {where}"
        return tuple(conn.exec_driver_sql(sql, tuple(values[k] for k in keys)).one())

    def _orm_bytes(self, model: type[Base], columns: Sequence[str], row: Sequence[Any]) -> tuple[Any, ...]:
        table_columns = {c.name for c in model.__table__.columns}
        if set(columns) != table_columns:
            raise AssertionError(f"{model.__tablename__}: the benchmark gives {sorted(columns)}, "
                                 f"the model has {sorted(table_columns)}; update the generator")
        values = dict(zip(columns, row, strict=True))
        with self.store.write_engine.connect() as conn:
            tx = conn.begin()
            try:
                conn.execute(insert(model), values)
                return self._raw_row(conn, model, columns, values)
            finally:
                tx.rollback()

    def load(self, model: type[Base], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        table = model.__tablename__
        started = time.perf_counter()
        it = iter(rows)
        first = next(it, None)
        if first is None:
            return 0
        orm = self._orm_bytes(model, columns, first)
        self.first_rows.append((model, columns, first))
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        count, insert_seconds = 0, 0.0
        source = chain([first], it)
        while chunk := [tuple(_pg_value(v) for v in r) for r in islice(source, CHUNK)]:
            t0 = time.perf_counter()
            with self.conn.cursor() as cur, cur.copy(sql) as copy:
                for r in chunk:
                    copy.write_row(r)
            self.conn.commit()
            insert_seconds += time.perf_counter() - t0
            count += len(chunk)
        with self.store.write_engine.connect() as conn:
            stored = self._raw_row(conn, model, columns, dict(zip(columns, first, strict=True)))
        wrong = [(c, s, o) for c, s, o in zip(columns, stored, orm, strict=True) if not _same(s, o)]
        if wrong:
            raise AssertionError(f"{table}: COPY stored other values than the ORM: {wrong}")
        stat = TableStat(table, count, time.perf_counter() - started, insert_seconds)
        self.stats.append(stat)
        log.info("loaded %s: %s rows in %.1f s", table, f"{count:,}", stat.seconds)
        return count

    def close(self) -> None:
        # Fresh planner statistics, as autovacuum would soon gather on its own: without them
        # the first minutes of a freshly loaded table are planned from guesses.
        self.conn.autocommit = True
        self.conn.execute("ANALYZE")
        self.conn.close()


# --------------------------------------------------------------------------- setup


@dataclass
class Fixture:
    """What the load generator and the in-process timing need to know about the data."""

    target: str
    bands: int
    series_id: uuid.UUID
    entry_gate_id: uuid.UUID
    exit_gate_id: uuid.UUID
    token: str
    stats: list[Any] = field(default_factory=list)
    # (band id, category id) of bands 0 .. max(--inside) - 1: the ones the occupancy levels put inside.
    inside_bands: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)


def _rid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _band_rows(n: int, rng: random.Random, event_id: uuid.UUID, categories: list[uuid.UUID],
               owner_id: uuid.UUID, now: datetime, ids: list[uuid.UUID],
               first: list[tuple[uuid.UUID, uuid.UUID]], keep: int = 0) -> Iterator[tuple[Any, ...]]:
    """Active bands in a random category; their ids are kept for the assignments, and the
    (id, category) of the first ``keep`` in ``first``."""
    weights = [w for _, _, w in CATEGORIES]
    numbers = [0] * len(categories)
    batch = _rid(rng)
    at = now - timedelta(days=3)
    for start in range(0, n, CHUNK):
        cats = rng.choices(range(len(categories)), weights=weights, k=min(CHUNK, n - start))
        for offset, cat in enumerate(cats):
            numbers[cat] += 1
            band_id = _rid(rng)
            ids.append(band_id)
            if len(first) < keep:
                first.append((band_id, categories[cat]))
            yield (band_id, event_id, categories[cat], uid_of(start + offset), BandStatus.ACTIVE,
                   numbers[cat], None, None, batch, "Box office 1", owner_id, at, at, at,
                   None, None, None, None, None)


def _assignment_rows(rng: random.Random, series_id: uuid.UUID, band_ids: list[uuid.UUID],
                     owner_id: uuid.UUID, now: datetime) -> Iterator[tuple[Any, ...]]:
    at = now - timedelta(days=1)
    for band_id in band_ids:
        yield (_rid(rng), series_id, band_id, True, at, owner_id, None)


def build(store: Store, target: str, cfg: Config) -> Fixture:
    """Fixtures through the services, the volume (bands, assignments) through the bulk path."""
    rng = random.Random(cfg.seed)
    now = utcnow()
    t0 = time.perf_counter()
    organization.create_organization(store, "Verify Benchmark", OWNER, "Bench Owner")
    owner = resolve_actor(store, OWNER)
    organization.add_member(store, owner, GATE_MEMBER, Role.GATE, "Gate scanner")
    auth.set_password(store, owner, GATE_MEMBER, PASSWORD)
    token = auth.login(store, GATE_MEMBER, PASSWORD)[0]
    ev = events.create_event(store, owner, "Verify Fest", "Europe/Amsterdam")
    categories = [events.add_category(store, owner, str(ev.id), name, color).id
                  for name, color, _ in CATEGORIES]
    entry = events.add_gate(store, owner, str(ev.id), "Main Entrance", GateKind.ENTRY)
    exit_ = events.add_gate(store, owner, str(ev.id), "Exit", GateKind.EXIT)
    series = series_svc.create_series(
        store, owner, str(ev.id), "Today", now - timedelta(hours=1), now + timedelta(hours=12),
        cfg.bands, gates=[str(entry.id), str(exit_.id)],
    ).series
    services_s = time.perf_counter() - t0

    loader: Any = (bench_store.BulkLoader(store, Path(target)) if store.is_sqlite else PgCopyLoader(store))
    band_ids: list[uuid.UUID] = []
    inside_bands: list[tuple[uuid.UUID, uuid.UUID]] = []
    try:
        loader.load(Wristband, WRISTBAND_COLUMNS,
                    _band_rows(cfg.bands, rng, ev.id, categories, owner.member_id, now, band_ids,
                               inside_bands, max(cfg.inside, default=0)))
        loader.load(SeriesWristbandAssignment, ASSIGNMENT_COLUMNS,
                    _assignment_rows(rng, series.id, band_ids, owner.member_id, now))
    finally:
        loader.close()
    for model, columns, row in loader.first_rows:
        bench_store.check_orm_readback(store, model, columns, row)
    log.info("ORM read-back of the first row of every bulk table: ok")

    t1 = time.perf_counter()
    for status in (SeriesStatus.SCHEDULED, SeriesStatus.ACTIVE):
        series_svc.transition_series(store, owner, str(series.id), status, "verify benchmark")
    services_s += time.perf_counter() - t1
    stats = [TableStat("services: org, 2 members, login, event, 2 categories, 2 gates, series", 0,
                       services_s, 0.0), *loader.stats]
    return Fixture(target, cfg.bands, series.id, entry.id, exit_.id, token, stats, inside_bands)


@contextlib.contextmanager
def backend_target(backend: str, cfg: Config, workdir: Path) -> Iterator[str]:
    """A fresh database for one backend, always removed (PostgreSQL: dropped) at the end."""
    if backend == "sqlite":
        path = workdir / f"bench-verify-{secrets.token_hex(4)}.sqlite3"
        try:
            yield str(path)
        finally:
            for f in path.parent.glob(path.name + "*"):
                f.unlink(missing_ok=True)
        return
    url = make_url(cfg.pg_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"--pg-url must be a postgresql URL, not {url.get_backend_name()}")
    if url.host not in (None, "127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"--pg-url must point at this machine (127.0.0.1), not {url.host}")
    name = f"boxoffice_bench_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log.info("dropped %s", name)
    finally:
        admin.dispose()


# --------------------------------------------------------------------------- the server process


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


def child_env() -> dict[str, str]:
    """This environment, with the ``boxoffice`` this process imported first on the path.

    A child (server or load generator) must run the same code as the
    benchmark, also when it runs from a worktree beside an installed copy.
    """
    import boxoffice

    env = dict(os.environ)
    root = str(Path(boxoffice.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


@contextlib.contextmanager
def run_server(target: str, log_path: Path) -> Iterator[Server]:
    """The server in its own process on a loopback socket bound here; stopped (SIGINT) at the end."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    with log_path.open("wb") as log_file:
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", SERVER_CODE, str(sock.fileno()), target],
                pass_fds=(sock.fileno(),), stdout=log_file, stderr=subprocess.STDOUT, env=child_env(),
            )
        finally:
            sock.close()  # the child has its own copy
        server = Server(process, f"http://127.0.0.1:{port}", log_path)
        try:
            _wait_healthy(server)
            log.info("server pid %d on %s", process.pid, server.url)
            yield server
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    with httpx.Client(base_url=server.url, timeout=5) as client:
        while True:
            if server.process.poll() is not None:
                raise RuntimeError(f"the server exited ({server.process.returncode}):\n{server.log_tail()}")
            try:
                if client.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer /api/health:\n{server.log_tail()}")
            time.sleep(0.05)


# --------------------------------------------------------------------------- what each level sends


@dataclass(frozen=True)
class Load:
    """What a level sends, as data: a load-generator process builds the same requests from it.

    ``verify``: a random band of ``[lo, hi)`` at the entrance, each tap with
    a scan id never used before (``prefix``); ``health``: GET /api/health.
    """

    endpoint: str
    series_id: str = ""
    gate_id: str = ""
    lo: int = 0
    hi: int = 0
    prefix: str = ""
    seed: int = 0

    def factory(self) -> RequestFactory:
        if self.endpoint == "health":
            return health_factory
        rng = random.Random(self.seed)
        counter = itertools.count()
        series_id, gate_id, lo, hi, prefix = self.series_id, self.gate_id, self.lo, self.hi, self.prefix

        def make(index: int) -> tuple[str, str, dict[str, Any] | None]:
            return "POST", "/api/verify", {
                "series_id": series_id, "gate_id": gate_id, "uid": uid_of(rng.randrange(lo, hi)),
                "direction": "in", "scan_id": f"{prefix}-{next(counter)}", "device_id": f"bench-gate-{index}",
            }

        return make


def verify_load(fx: Fixture, rng: random.Random, prefix: str, lo: int = 0, hi: int | None = None) -> Load:
    """A random band of the million (or of ``[lo, hi)``) at the entrance."""
    return Load("verify", str(fx.series_id), str(fx.entry_gate_id), lo, fx.bands if hi is None else hi,
                prefix, rng.getrandbits(64))


HEALTH = Load("health")


def health_factory(_index: int) -> tuple[str, str, dict[str, Any] | None]:
    return "GET", "/api/health", None


class Generator:
    """Where each level's load comes from: this process, or ``--load-procs`` generator processes.

    The processes are started once (each imports this script, a second or
    two) and given one level after another.
    """

    def __init__(self, load_procs: int) -> None:
        self.pool: Any = None
        if load_procs > 1:
            command = [sys.executable, str(Path(__file__).resolve()), "--loadgen"]
            self.pool = loadgen.GeneratorPool(command, child_env(), load_procs)

    def measure(self, urls: Sequence[str], token: str, load: Load, clients: int, cfg: Config,
                server_pids: Sequence[int], rate: float | None = None) -> LevelResult:
        """One level of ``clients`` connections to ``urls`` (closed loop, or open at ``rate``)."""
        if self.pool is None:
            return asyncio.run(loadgen.drive(urls, token, load.endpoint, clients, load.factory(), cfg,
                                             server_pids, rate))
        spec = {"urls": list(urls), "token": token, "load": vars(load)}
        return self.pool.run(spec, clients, cfg, server_pids, rate)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()


def _loadgen_child() -> int:
    """``bench_verify.py --loadgen``: one load-generator process of the run (loadgen.GeneratorPool)."""
    def make(spec: dict[str, Any]) -> tuple[str, RequestFactory]:
        load = Load(**spec["load"])
        return load.endpoint, load.factory()

    return int(loadgen.child_main(make, sys.stdin, sys.stdout))


def sanity_tap(server: Server, fx: Fixture) -> None:
    """One verify before timing anything: a bulk-loaded band must be let in, or the data is wrong."""
    body = {"series_id": str(fx.series_id), "gate_id": str(fx.entry_gate_id), "uid": uid_of(fx.bands - 1),
            "direction": "in", "scan_id": f"sanity-{secrets.token_hex(6)}", "device_id": "bench-sanity"}
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {fx.token}"},
                      timeout=REQUEST_TIMEOUT_S) as client:
        response = client.post("/api/verify", json=body)
    answer = response.json() if response.status_code == 200 else {}
    if (answer.get("result"), answer.get("reason")) != ("allowed", "ok"):
        raise AssertionError(f"a bulk-loaded band was not admitted: {response.status_code} {response.text}\n"
                             f"{server.log_tail()}")


# --------------------------------------------------------------------------- the decision in-process


@dataclass(frozen=True)
class DecisionTiming:
    taps: int
    decide_ms: float  # decide_and_record only, inside an open write transaction
    service_ms: float  # record_tap: actor check, transaction, refs, decision, outbox, commit


def time_decisions(store: Store, fx: Fixture, taps: int, rng: random.Random) -> DecisionTiming:
    """decide_and_record and record_tap, interleaved tap by tap, on the benchmark's database.

    Interleaving gives both the same machine conditions and the same growing
    check-in and presence tables.
    """
    # The server process logs at WARNING (uvicorn's level; the root logger is
    # not configured there): so must we, or the services' per-tap INFO lines
    # would be timed here and not there.
    service_log = logging.getLogger("boxoffice")
    level = service_log.level
    service_log.setLevel(logging.WARNING)
    try:
        return _time_decisions(store, fx, taps, rng)
    finally:
        service_log.setLevel(level)


def _time_decisions(store: Store, fx: Fixture, taps: int, rng: random.Random) -> DecisionTiming:
    actor = auth.actor_for_token(store, fx.token)
    series_ref, gate_ref = str(fx.series_id), str(fx.entry_gate_id)
    prefix = f"inproc-{secrets.token_hex(4)}"

    def decide_once(n: int) -> float:
        with store.write() as session:
            series = session.get_one(EventSeries, fx.series_id)
            gate = session.get_one(Gate, fx.entry_gate_id)
            t0 = time.perf_counter_ns()
            checkins.decide_and_record(session, series, gate, uid_of(rng.randrange(fx.bands)), Direction.IN,
                                       client_scan_id=f"{prefix}-d{n}", device_id="bench-inproc",
                                       now=utcnow())
            return (time.perf_counter_ns() - t0) / 1e6

    def service_once(n: int) -> float:
        t0 = time.perf_counter_ns()
        checkins.record_tap(store, actor, series_ref, gate_ref, uid_of(rng.randrange(fx.bands)), Direction.IN,
                            client_scan_id=f"{prefix}-s{n}", device_id="bench-inproc")
        return (time.perf_counter_ns() - t0) / 1e6

    for n in range(DECISION_WARMUP_TAPS):
        decide_once(-n - 1)
        service_once(-n - 1)
    decide_total = service_total = 0.0
    for n in range(taps):
        decide_total += decide_once(n)
        service_total += service_once(n)
    return DecisionTiming(taps, decide_total / taps, service_total / taps)


# --------------------------------------------------------------------------- occupancy: cost by bands inside


@dataclass
class InsideResult:
    """Verify cost at each count of bands inside, over HTTP and in-process, both passes together."""

    counts: tuple[int, ...]
    clients: int
    http: dict[int, list[LevelResult]] = field(default_factory=dict)
    inproc_ms: dict[int, list[float]] = field(default_factory=dict)
    load: TableStat | None = None

    def latencies(self, n: int) -> list[float]:
        return [x for level in self.http[n] for x in level.latencies_ms]

    def p50(self, n: int) -> float:
        return _percentile(self.latencies(n), 0.5)

    def p99(self, n: int) -> float:
        return _percentile(self.latencies(n), 0.99)

    def rps(self, n: int) -> float:
        return sum(v.completed for v in self.http[n]) / sum(v.seconds for v in self.http[n])

    def inproc(self, n: int) -> float:
        return statistics.median(self.inproc_ms[n]) if self.inproc_ms.get(n) else float("nan")

    def non_200(self) -> int:
        return sum(v.non_200 for levels in self.http.values() for v in levels)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _presence_rows(fx: Fixture, n: int, base: datetime) -> Iterator[tuple[Any, ...]]:
    """Band i of the first ``n`` has entered and is outside, its last scan ``base`` + i µs.

    The microseconds make "the first k inside" one range condition
    (``last_scan_at < base + k µs``) for ``set_inside``.
    """
    for i, (band_id, category_id) in enumerate(fx.inside_bands[:n]):
        yield (fx.series_id, band_id, category_id, False, True, base + timedelta(microseconds=i))


def load_presence(store: Store, target: str, fx: Fixture, n: int, base: datetime) -> Any:
    """The series' presence replaced by ``n`` bulk rows (none inside yet), as the bands were loaded.

    What the closed-loop levels left is deleted first: from here on the
    occupancy levels decide who is inside.
    """
    with store.write() as session:
        session.execute(delete(SeriesPresence).where(SeriesPresence.series_id == fx.series_id))
    loader: Any = bench_store.BulkLoader(store, Path(target)) if store.is_sqlite else PgCopyLoader(store)
    try:
        loader.load(SeriesPresence, PRESENCE_COLUMNS, _presence_rows(fx, n, base))
    finally:
        loader.close()
    for model, columns, row in loader.first_rows:
        bench_store.check_orm_readback(store, model, columns, row)
    return loader.stats[0]


def set_inside(store: Store, fx: Fixture, n: int, base: datetime, loaded: int) -> None:
    """Exactly the first ``n`` loaded bands inside; the presence of bands tapped since is removed.

    Taps go to bands beyond the loaded ones and their presence is written
    at the tap's time, after every loaded row's. The server's occupancy
    counters are set from the new presence with ``occupancy.recount`` (what
    a bulk writer owes them); ``confirm_inside`` then asks the decision.
    """
    cut = base + timedelta(microseconds=n)
    p = SeriesPresence
    with store.write() as session:
        session.execute(delete(p).where(p.series_id == fx.series_id,
                                        p.last_scan_at >= base + timedelta(microseconds=loaded)))
        mine = p.series_id == fx.series_id
        session.execute(update(p).where(mine, p.last_scan_at < cut, p.inside.is_(False)).values(inside=True))
        session.execute(update(p).where(mine, p.last_scan_at >= cut, p.inside.is_(True)).values(inside=False))
        occupancy.recount(session, [fx.series_id])
    if not store.is_sqlite:
        # What autovacuum does soon after such a change; measured without it, the first
        # seconds would pay for the dead row versions of the update instead of the count.
        with store.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) series_presence")


def confirm_inside(store: Store, fx: Fixture, n: int, probes: Iterator[int]) -> None:
    """The server's own decision must count ``n`` inside: with the capacity at ``n`` a new band is
    turned away as series_full, at ``n + 1`` let in (then the capacity goes back).

    Asks the decision, not the presence table, so that however the server
    keeps its occupancy, a bulk load it does not see cannot pass unnoticed.
    """
    owner = resolve_actor(store, OWNER)
    gate = auth.actor_for_token(store, fx.token)
    sid = str(fx.series_id)

    def capacity(value: int) -> None:
        with store.read() as session:
            version = session.get_one(EventSeries, fx.series_id).version
        series_svc.update_series(store, owner, sid, version, {"capacity": value})

    def tap() -> str:
        view = checkins.record_tap(store, gate, sid, str(fx.entry_gate_id), uid_of(next(probes)),
                                   Direction.IN, client_scan_id=f"confirm-{secrets.token_hex(6)}",
                                   device_id="bench-confirm")
        return str(view.reason.value)

    try:
        answers = []
        if n > 0:
            capacity(n)
            answers.append(tap())
        capacity(n + 1)
        answers.append(tap())
    finally:
        capacity(fx.bands)
    expected = (["series_full"] if n > 0 else []) + ["ok"]
    if answers != expected:
        raise SystemExit(f"!!! FAILURE: with {n:,} bands loaded inside, the server's decision answered "
                         f"{answers}, not {expected}: it does not count the bulk-loaded presence as inside "
                         "(occupancy kept elsewhere?); update set_inside() in bench_verify.py")


def time_taps(store: Store, fx: Fixture, taps: int, lo: int, rng: random.Random) -> list[float]:
    """``checkins.record_tap`` of new bands of ``[lo, bands)``, ms each (services' logging at WARNING)."""
    actor = auth.actor_for_token(store, fx.token)
    series_ref, gate_ref = str(fx.series_id), str(fx.entry_gate_id)
    prefix = f"inside-{secrets.token_hex(4)}"
    service_log = logging.getLogger("boxoffice")
    level = service_log.level
    service_log.setLevel(logging.WARNING)
    times = []
    try:
        for n in range(-5, taps):  # five warm-up taps
            t0 = time.perf_counter_ns()
            checkins.record_tap(store, actor, series_ref, gate_ref, uid_of(rng.randrange(lo, fx.bands)),
                                Direction.IN, client_scan_id=f"{prefix}-{n}", device_id="bench-inproc")
            if n >= 0:
                times.append((time.perf_counter_ns() - t0) / 1e6)
    finally:
        service_log.setLevel(level)
    return times


def run_inside(backend: str, target: str, fx: Fixture, cfg: Config, workdir: Path,
               gen: Generator) -> InsideResult:
    """Verify cost with 0, 1 % and 10 % of the bands inside, in the order 0 .. max, max .. 0.

    Each count is measured twice, once on the way up and once on the way
    down, so a drift of the machine's load over the run weighs on every
    count alike. Over HTTP (``--inside-clients`` closed loop) and in-process
    (``record_tap``), each after ``set_inside`` and the decision's check.
    """
    counts = cfg.inside
    loaded = max(counts)
    result = InsideResult(counts, cfg.inside_clients)
    store = open_store(target)
    try:
        base = utcnow() - timedelta(days=1)
        log.info("%s: loading %s presence rows", backend, f"{loaded:,}")
        result.load = load_presence(store, target, fx, loaded, base)
        probes = iter(range(fx.bands - 1, loaded, -1))  # new bands for the decision's check, from the top
        rng = random.Random(cfg.seed + 3)
        taps = max(10, cfg.taps // 4)
        with run_server(target, workdir / f"server-{backend}-inside.log") as server:
            for n in [*counts, *reversed(counts)]:
                set_inside(store, fx, n, base, loaded)
                confirm_inside(store, fx, n, probes)
                set_inside(store, fx, n, base, loaded)
                log.info("%s: %s inside: %d client(s) over HTTP", backend, f"{n:,}", cfg.inside_clients)
                load = verify_load(fx, rng, f"inside-{n}-{secrets.token_hex(3)}", lo=loaded)
                level = gen.measure([server.url], fx.token, load, cfg.inside_clients, cfg,
                                    [server.process.pid])
                result.http.setdefault(n, []).append(level)
                if level.server_errors:
                    log.error("server errors at %d inside; server log:\n%s", n, server.log_tail())
                set_inside(store, fx, n, base, loaded)
                log.info("%s: %s inside: %d taps in-process", backend, f"{n:,}", taps)
                result.inproc_ms.setdefault(n, []).extend(time_taps(store, fx, taps, loaded, rng))
        set_inside(store, fx, 0, base, loaded)
        return result
    finally:
        store.dispose()


# --------------------------------------------------------------------------- 1 against 2 server processes


# What a PostgreSQL session of the servers is doing when sampled, by pg_stat_activity's
# state and wait event; sessions outside a transaction ('idle') are the pools' spare ones.
_SESSION_STATES = text(
    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)
WAIT_KINDS = ("waiting for its server process", "row locks", "PostgreSQL at work", "WAL to disk", "other")


def _wait_kind(state: str | None, event_type: str | None, event: str | None) -> str | None:
    if state in (None, "idle"):
        return None
    if state.startswith("idle in transaction"):
        return "waiting for its server process"  # the next statement or the COMMIT
    if event_type == "Lock":
        return "row locks"
    if event_type is None:
        return "PostgreSQL at work"
    if event_type == "IO" and event is not None and event.startswith("WAL"):
        return "WAL to disk"
    return "other"


class SessionSampler:
    """Where the servers' transactions spend their time during a level, from pg_stat_activity.

    Sampled every ``every_s`` on a connection of its own. By Little's law the
    mean number of sessions in a kind of wait, divided by the verifies
    answered per second, is the time a verify's transaction spends in it.
    """

    def __init__(self, url: str, every_s: float = 0.01) -> None:
        self.url, self.every_s = url, every_s
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="session-sampler", daemon=True)

    def __enter__(self) -> SessionSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                while not self._stop.wait(self.every_s):
                    rows = conn.execute(_SESSION_STATES).all()
                    conn.rollback()
                    self.samples += 1
                    for row in rows:
                        kind = _wait_kind(*row)
                        if kind is not None:
                            self.counts[kind] += 1
        finally:
            engine.dispose()

    def ms_per_verify(self, rate: float) -> dict[str, float]:
        if not self.samples or rate <= 0:
            return {}
        return {kind: self.counts[kind] / self.samples / rate * 1000 for kind in WAIT_KINDS}


@dataclass
class ProcsResult:
    """Closed-loop verifies (and health) through 1 and 2 server processes, clients dealt round-robin."""

    clients: int
    verify: dict[int, list[LevelResult]] = field(default_factory=dict)
    health: dict[int, LevelResult] = field(default_factory=dict)
    # Per process count, per verify level: where the transactions' time went (``SessionSampler``).
    waits: dict[int, list[dict[str, float]]] = field(default_factory=dict)

    def wait_ms(self, processes: int) -> dict[str, float]:
        """The levels' mean ms per verify in each kind of wait (empty when not sampled)."""
        levels = [w for w in self.waits.get(processes, []) if w]
        return {kind: statistics.mean(w[kind] for w in levels) for kind in WAIT_KINDS} if levels else {}

    def rate(self, processes: int) -> float:
        levels = self.verify[processes]
        return sum(v.completed for v in levels) / sum(v.seconds for v in levels)

    def latencies(self, processes: int) -> list[float]:
        return [x for v in self.verify[processes] for x in v.latencies_ms]

    def non_200(self) -> int:
        return (sum(v.non_200 for levels in self.verify.values() for v in levels)
                + sum(h.non_200 for h in self.health.values()))


def run_procs(backend: str, target: str, fx: Fixture, cfg: Config, workdir: Path, first: Server,
              rng: random.Random, gen: Generator) -> ProcsResult:
    """A second server process on the same database; verifies through 1, 2, 2, 1 of them, then health."""
    result = ProcsResult(cfg.procs_clients)
    with run_server(target, workdir / f"server-{backend}-2.log") as second:
        servers = [first, second]
        for k in (1, 2, 2, 1):
            log.info("%s: %d server process(es), %d clients: verify", backend, k, cfg.procs_clients)
            with SessionSampler(target) as sampler:
                level = gen.measure([s.url for s in servers[:k]], fx.token,
                                    verify_load(fx, rng, f"procs{k}-{secrets.token_hex(3)}"),
                                    cfg.procs_clients, cfg, [s.process.pid for s in servers[:k]])
            result.verify.setdefault(k, []).append(level)
            # The sampler also saw the level's warm-up, at the same load: the mix is what counts.
            result.waits.setdefault(k, []).append(sampler.ms_per_verify(level.rps))
        for k in (1, 2):
            log.info("%s: %d server process(es), %d clients: health", backend, k, cfg.procs_clients)
            result.health[k] = gen.measure([s.url for s in servers[:k]], fx.token, HEALTH, cfg.procs_clients,
                                           cfg, [s.process.pid for s in servers[:k]])
        if any(v.server_errors for levels in result.verify.values() for v in levels):
            log.error("server errors with 2 processes; logs:\n%s\n%s", first.log_tail(), second.log_tail())
    return result


# --------------------------------------------------------------------------- output


@dataclass
class BackendResult:
    backend: str
    version: str
    setup: list[Any]
    build_s: float
    levels: list[tuple[LevelResult, LevelResult]]  # (verify, health) per client count
    decision: DecisionTiming | None = None
    open_loop: LevelResult | None = None  # verifies offered at a fixed rate
    half: LevelResult | None = None  # verifies offered at half the best closed-loop rate
    half_of: LevelResult | None = None  # the closed-loop level that rate is half of
    procs: ProcsResult | None = None
    inside: InsideResult | None = None

    def non_200(self) -> int:
        total = sum(v.non_200 + h.non_200 for v, h in self.levels)
        total += sum(o.non_200 for o in (self.open_loop, self.half) if o is not None)
        total += self.procs.non_200() if self.procs is not None else 0
        total += self.inside.non_200() if self.inside is not None else 0
        return total


def _cpu(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _verdict(verify: LevelResult) -> str:
    if verify.clients != TARGET_CLIENTS:
        return "-"
    rps_ok = verify.rps >= TARGET_RPS
    p99_ok = verify.percentile(0.99) < TARGET_P99_MS and verify.non_200 == 0
    if rps_ok and p99_ok:
        return "MET"
    missed = []
    if not rps_ok:
        missed.append(f"{verify.rps:,.0f}/s < {TARGET_RPS:,.0f}/s")
    if not p99_ok:
        missed.append(f"p99 {verify.percentile(0.99):,.1f} ms >= {TARGET_P99_MS:.0f} ms"
                      if verify.non_200 == 0 else f"{verify.non_200:,} non-200")
    return "MISSED: " + "; ".join(missed)


HEADER = (f"  {'backend':<9}{'clients':>8}{'verify/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}"
          f"{'health/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}{'health/verify':>15}"
          f"{'srv CPU':>9}{'cli CPU':>9}  target @{TARGET_CLIENTS} "
          f"(>={TARGET_RPS:,.0f}/s, p99<{TARGET_P99_MS:.0f} ms)")


def result_line(backend: str, verify: LevelResult, health: LevelResult) -> str:
    ratio = health.rps / verify.rps if verify.rps > 0 else float("inf")
    return (f"  {backend:<9}{verify.clients:>8}{verify.rps:>10,.1f}{verify.percentile(0.5):>9.2f}"
            f"{verify.percentile(0.99):>9.2f}{verify.non_200:>9,}{health.rps:>10,.1f}"
            f"{health.percentile(0.5):>9.2f}{health.percentile(0.99):>9.2f}{health.non_200:>9,}"
            f"{ratio:>14.2f}x{_cpu(verify.server_cpu):>9}{_cpu(verify.client_cpu):>9}  {_verdict(verify)}")


def print_backend(r: BackendResult, cfg: Config) -> None:
    print(f"\n== {r.backend}: {r.version}; built in {r.build_s:.1f} s")
    print(f"  setup (not the benchmark): {'step':<66} {'rows':>10} {'seconds':>8} {'rows/s':>10}")
    for s in r.setup:
        rate = f"{s.rows / s.seconds:>10,.0f}" if s.rows and s.seconds else f"{'':>10}"
        rows = f"{s.rows:>10,}" if s.rows else f"{'':>10}"
        print(f"  {'':<27}{s.name:<66} {rows} {s.seconds:>8.2f} {rate}")
    print(f"\n  Results: {cfg.seconds:g} s measured per endpoint and level after {cfg.warmup:g} s warm-up; "
          "baseline GET /api/health on the same server, same clients, same run")
    print(HEADER)
    for verify, health in r.levels:
        print(result_line(r.backend, verify, health))
    for verify, health in r.levels:
        mix = ", ".join(f"{k} {v:,}" for k, v in verify.answers.most_common())
        print(f"    {verify.clients:>4} clients: verify answers {mix or 'none'}")
        for res in (verify, health):
            if res.non_200:
                codes = ", ".join(f"{s or 'transport error'}: {n:,}" for s, n in sorted(res.statuses.items())
                                  if s != 200)
                loud = "!!! FAILURE: server errors " if res.server_errors else "non-200 answers "
                print(f"    {loud}on {res.endpoint} at {res.clients} clients: {codes}")
                for sample in res.failures:
                    print(f"        {sample}")
    print_floor(r, cfg)
    if r.open_loop is not None:
        print_open_loop(r.backend, r.open_loop, cfg)
    print_half(r, cfg)
    print_procs(r, cfg)
    if r.decision is not None:
        d = r.decision
        first = r.levels[0][0] if r.levels else None
        print(f"\n  In-process, no HTTP ({d.taps:,} taps, interleaved, same database, server stopped):")
        print(f"    checkins.decide_and_record (in an open transaction)      {d.decide_ms:>8.3f} ms/tap")
        print(f"    checkins.record_tap (+ actor, refs, outbox, commit)       {d.service_ms:>8.3f} ms/tap")
        if first is not None and first.latencies_ms:
            p50 = first.percentile(0.5)
            print(f"    share of the HTTP verify p50 at {first.clients} client(s) ({p50:.2f} ms): decision "
                  f"{d.decide_ms / p50 * 100:.0f} %, whole service {d.service_ms / p50 * 100:.0f} %, "
                  f"HTTP + auth + framework the other {max(0.0, 100 - d.service_ms / p50 * 100):.0f} %")
            if d.service_ms > p50:
                print("    !! the in-process service took longer than the whole HTTP verify: the machine's "
                      "load changed between the two measurements; the shares are unreliable, rerun")
    print_inside(r, cfg)


def _open_verdict(o: LevelResult, cfg: Config) -> str:
    """The issue's target as gates would load the server: a fixed 1,500 taps/s from 200 devices."""
    if o.clients != TARGET_CLIENTS or cfg.open_rate < TARGET_RPS:
        return "-"
    kept_up = o.rps >= TARGET_RPS * 0.98  # the schedule's own edges cost a few taps
    p99 = o.percentile(0.99)
    if kept_up and p99 < TARGET_P99_MS and o.non_200 == 0 and not o.unsent:
        return "MET"
    missed = []
    if not kept_up:
        missed.append(f"answered {o.rps:,.0f}/s of {cfg.open_rate:,.0f}/s offered")
    if p99 >= TARGET_P99_MS:
        missed.append(f"p99 {p99:,.1f} ms >= {TARGET_P99_MS:.0f} ms")
    if o.non_200:
        missed.append(f"{o.non_200:,} non-200")
    if o.unsent:
        missed.append(f"{o.unsent:,} taps never sent (backlog)")
    return "MISSED: " + "; ".join(missed)


def print_open_loop(backend: str, o: LevelResult, cfg: Config) -> None:
    print(f"\n  Open loop: {cfg.open_rate:,.0f} verifies/s offered over {o.clients} connections on a fixed "
          "schedule, latency from each tap's scheduled time")
    print(f"  {'backend':<9}{'offered/s':>10}{'answered/s':>11}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'non-200':>9}{'srv CPU':>9}{'cli CPU':>9}  target")
    worst = max(o.latencies_ms) if o.latencies_ms else float("nan")
    print(f"  {backend:<9}{cfg.open_rate:>10,.0f}{o.rps:>11,.1f}{o.percentile(0.5):>9.2f}"
          f"{o.percentile(0.9):>9.2f}{o.percentile(0.99):>9.2f}{worst:>9.1f}{o.non_200:>9,}"
          f"{_cpu(o.server_cpu):>9}{_cpu(o.client_cpu):>9}  {_open_verdict(o, cfg)}")
    mix = ", ".join(f"{k} {v:,}" for k, v in o.answers.most_common())
    print(f"    verify answers {mix or 'none'}; taps due but never sent (the backlog when the window "
          f"closed): {o.unsent:,}; sent more than {loadgen.LATE_MS:g} ms late: {o.late:,}")


def print_summary(results: list[BackendResult], cfg: Config) -> None:
    per_second = DESIGN_PER_HOUR / 3600
    print(f"\nSummary (Event Series design: {DESIGN_PER_HOUR:,} check-ins/hour = {per_second:.1f}/s; "
          f"issue target >= {TARGET_RPS:,.0f}/s with p99 < {TARGET_P99_MS:.0f} ms "
          f"at {TARGET_CLIENTS} clients)")
    for r in results:
        if not r.levels:
            continue
        lowest = min(v.rps for v, _ in r.levels)
        at_target = [v for v, _ in r.levels if v.clients == TARGET_CLIENTS]
        target = (_verdict(at_target[0]) if at_target
                  else f"not measured (no level at {TARGET_CLIENTS} clients)")
        design = "met" if lowest >= per_second else "MISSED"
        print(f"  {r.backend:<9} design need {per_second:.0f}/s: {design} (lowest {lowest:,.1f}/s); "
              f"issue target, closed loop: {target}")
        if r.open_loop is not None:
            print(f"  {'':<9} issue target, open loop at {r.open_loop.clients} connections: "
                  f"{_open_verdict(r.open_loop, cfg)}")
    # Little's law for a closed loop without think time: mean latency = clients / throughput.
    # Both halves of the target together therefore need more than clients / 50 ms per second.
    needed = TARGET_CLIENTS / (TARGET_P99_MS / 1000)
    print(f"  note: every client sends its next tap as soon as it has the answer, so the mean latency is "
          f"clients / throughput (at {TARGET_CLIENTS} clients and {TARGET_RPS:,.0f}/s: "
          f"{TARGET_CLIENTS / TARGET_RPS * 1000:,.0f} ms); p99 < {TARGET_P99_MS:.0f} ms at "
          f"{TARGET_CLIENTS} clients needs > {needed:,.0f}/s in a closed loop; the open-loop line "
          f"is the target as written")
    print_new_summary(results, cfg)


# --------------------------------------------------------------------------- output of the new measurements


def _ratio(value: float, base: float) -> float:
    return value / base if base > 0 else float("inf")


def _met(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def floor_verdicts(r: BackendResult, cfg: Config) -> list[tuple[int, float | None, str]]:
    """(clients, verify/health, verdict) for each --floor-clients count."""
    target = TARGET_FLOOR[r.backend]
    out: list[tuple[int, float | None, str]] = []
    for clients in cfg.floor_clients:
        level = next(((v, h) for v, h in r.levels if v.clients == clients), None)
        if level is None or level[1].rps <= 0:
            out.append((clients, None, "not measured"))
            continue
        share = level[0].rps / level[1].rps
        out.append((clients, share, f"{_met(share >= target)} (target >= {target:.0%})"))
    return out


def print_floor(r: BackendResult, cfg: Config) -> None:
    print(f"\n  Floor: verify rate / GET /api/health rate on the same server with the same clients "
          f"(the levels above); target >= {TARGET_FLOOR[r.backend]:.0%} on {r.backend}")
    print(f"  {'backend':<9}{'clients':>8}{'verify/s':>10}{'health/s':>10}{'verify/health':>15}  target")
    for clients, share, verdict in floor_verdicts(r, cfg):
        level = next(((v, h) for v, h in r.levels if v.clients == clients), None)
        if level is None or share is None:
            print(f"  {r.backend:<9}{clients:>8}  not measured")
            continue
        print(f"  {r.backend:<9}{clients:>8}{level[0].rps:>10,.1f}{level[1].rps:>10,.1f}{share:>14.0%}   "
              f"{verdict}")


def half_verdict(r: BackendResult) -> str:
    h = r.half
    if h is None:
        return "not measured"
    p99 = h.percentile(0.99)
    why = [f"p99 {p99:,.1f} ms" if p99 >= TARGET_P99_MS else "",
           f"{h.unsent:,} never sent" if h.unsent else "", f"{h.non_200:,} non-200" if h.non_200 else ""]
    why = [w for w in why if w]
    return "MET" if not why else f"MISSED ({'; '.join(why)})"


def print_half(r: BackendResult, cfg: Config) -> None:
    h, of = r.half, r.half_of
    if h is None or of is None:
        return
    offered = of.rps / 2
    lone = min((v for v, _ in r.levels), key=lambda v: v.clients)
    lone_p50 = lone.percentile(0.5)
    print(f"\n  Half load: open loop at half the best closed-loop rate ({of.rps:,.1f}/s at {of.clients} "
          f"clients) = {offered:,.1f} verifies/s over {h.clients} connections for {h.seconds:g} s, latency "
          f"from each tap's scheduled time; late = sent > {loadgen.LATE_MS:g} ms after it; baseline: the "
          f"p50 of a lone client ({lone.clients} client(s), {lone_p50:.2f} ms)")
    print(f"  {'backend':<9}{'offered/s':>10}{'answered/s':>11}{'ans/off':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'unsent':>8}{'late':>8}{'non-200':>9}{'srv CPU':>9}{'cli CPU':>9}"
          f"{'p99/lone p50':>14}  target p99 < {TARGET_P99_MS:.0f} ms")
    worst = max(h.latencies_ms) if h.latencies_ms else float("nan")
    print(f"  {r.backend:<9}{offered:>10,.1f}{h.rps:>11,.1f}{_ratio(h.rps, offered):>7.2f}x"
          f"{h.percentile(0.5):>9.2f}{h.percentile(0.99):>9.2f}{worst:>9.1f}{h.unsent:>8,}{h.late:>8,}"
          f"{h.non_200:>9,}{_cpu(h.server_cpu):>9}{_cpu(h.client_cpu):>9}"
          f"{_ratio(h.percentile(0.99), lone_p50):>13.2f}x  {half_verdict(r)}")


def procs_verdict(p: ProcsResult) -> tuple[float, str]:
    ratio = _ratio(p.rate(2), p.rate(1))
    return ratio, f"{_met(ratio >= TARGET_PROCS_RATIO)} (target >= {TARGET_PROCS_RATIO:.1f}x)"


@dataclass(frozen=True)
class CoresCeiling:
    """What this machine's cores allow 2 server processes, from what 1 process cost them.

    With 1 process the server is bound by its one interpreter lock, and the
    machine's other cores run PostgreSQL and the load generator beside it.
    Two processes can at most use every usable core: ``usable`` divided by
    the machine's CPU time per verify at 1 process (server, PostgreSQL and
    load generator together) is the most they could answer.
    """

    cpu_ms: float  # machine CPU per verify at 1 process
    rate: float  # usable cores / cpu_ms: the most 2 processes could answer
    ratio: float  # that rate over 1 process's
    two: float  # what 2 processes answered

    @property
    def reached(self) -> float:
        return _ratio(self.two, self.rate)


def cores_ceiling(p: ProcsResult, usable: int) -> CoresCeiling | None:
    busy = [v.machine_busy for v in p.verify[1] if v.machine_busy is not None]
    one = p.rate(1)
    if not busy or one <= 0:
        return None
    cpu_ms = statistics.mean(busy) / one * 1000
    rate = usable / cpu_ms * 1000
    return CoresCeiling(cpu_ms, rate, _ratio(rate, one), p.rate(2))


def _ceiling_text(p: ProcsResult) -> str:
    usable = len(os.sched_getaffinity(0))
    c = cores_ceiling(p, usable)
    if c is None:
        return "cores' ceiling: not measured (no CPU figures)"
    return (f"cores' ceiling {c.ratio:.2f}x ({usable} usable cores / {c.cpu_ms:.2f} ms of the machine's CPU "
            f"per verify at 1 process = {c.rate:,.0f}/s), {c.reached:.0%} of it reached")


def print_procs(r: BackendResult, cfg: Config) -> None:
    p = r.procs
    if p is None:
        return
    cores, usable = os.cpu_count() or 0, len(os.sched_getaffinity(0))
    print(f"\n  Server processes: 1 against 2 on one {r.backend} database, {p.clients} clients dealt "
          f"round-robin over them (a load balancer's way), verify levels in the order 1, 2, 2, 1; "
          f"this machine: {cores} cores ({usable} usable here), shared by the server processes, "
          f"PostgreSQL and {cfg.load_procs} load-generator process(es)")
    print(f"  {'processes':>9}{'verify/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}{'health/s':>10}"
          f"{'srv CPU':>9}{'cli CPU':>9}{'machine busy':>14}")
    for k in (1, 2):
        lat = p.latencies(k)
        levels = p.verify[k]
        srv = [v.server_cpu for v in levels if v.server_cpu is not None]
        busy = [v.machine_busy for v in levels if v.machine_busy is not None]
        print(f"  {k:>9}{p.rate(k):>10,.1f}{_percentile(lat, 0.5):>9.2f}{_percentile(lat, 0.99):>9.2f}"
              f"{sum(v.non_200 for v in levels):>9,}{p.health[k].rps:>10,.1f}"
              f"{_cpu(statistics.mean(srv) if srv else None):>9}"
              f"{_cpu(statistics.mean(v.client_cpu for v in levels)):>9}"
              f"{(f'{statistics.mean(busy):.2f} of {cores}' if busy else 'n/a'):>14}")
    ratio, verdict = procs_verdict(p)
    health_ratio = _ratio(p.health[2].rps, p.health[1].rps)
    print(f"  2 processes / 1: verify {ratio:.2f}x {verdict}; health {health_ratio:.2f}x (HTTP and the "
          f"framework alone, whose database work is a SELECT 1)")
    print(f"  {_ceiling_text(p)}: with 1 process the server is bound by its one interpreter lock, with 2 "
          f"by the machine's cores, which also run PostgreSQL and the load generator")
    for k in (1, 2):
        waits = p.wait_ms(k)
        if waits:
            parts = ", ".join(f"{kind} {ms:.2f}" for kind, ms in waits.items())
            print(f"  a verify's transaction, {k} process(es), ms: {parts} (PostgreSQL's sessions sampled "
                  f"every 10 ms: sessions in each state / verifies per second)")


def inside_verdict(i: InsideResult) -> tuple[float, float, str]:
    top = max(i.counts)
    http, inproc = _ratio(i.p50(top), i.p50(0)), _ratio(i.inproc(top), i.inproc(0))
    ok = http <= TARGET_INSIDE_RATIO and inproc <= TARGET_INSIDE_RATIO
    return http, inproc, f"{_met(ok)} (target <= {TARGET_INSIDE_RATIO:.1f}x, HTTP and in-process)"


def print_inside(r: BackendResult, cfg: Config) -> None:
    i = r.inside
    if i is None:
        return
    loaded = f", {i.load.rows:,} presence rows loaded in {i.load.seconds:.1f} s" if i.load is not None else ""
    print(f"\n  Occupancy: verify cost with N of the {cfg.bands:,} bands inside the series (taps go to bands "
          f"that are not; each count measured on the way up and on the way down{loaded}; the server's "
          f"decision confirmed each count: capacity N -> series_full, N+1 -> ok); baseline: 0 inside")
    print(f"  {'inside':>9}{'verify/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'p50/empty':>11}"
          f"{'in-process ms/tap':>19}{'/empty':>9}   ({i.clients} client(s) over HTTP; record_tap "
          f"in-process)")
    for n in i.counts:
        print(f"  {n:>9,}{i.rps(n):>10,.1f}{i.p50(n):>9.2f}{i.p99(n):>9.2f}"
              f"{_ratio(i.p50(n), i.p50(0)):>10.2f}x{i.inproc(n):>19.3f}"
              f"{_ratio(i.inproc(n), i.inproc(0)):>8.2f}x")
    _, _, verdict = inside_verdict(i)
    print(f"  at {max(i.counts):,} inside against empty: {verdict} (issue: 100,000 inside <= 1.2x empty)")


def print_new_summary(results: list[BackendResult], cfg: Config) -> None:
    for r in results:
        for clients, share, verdict in floor_verdicts(r, cfg):
            figure = f"{share:.0%}" if share is not None else "-"
            print(f"  {r.backend:<9} verify/health at {clients} client(s): {figure} {verdict}")
        if r.half is not None:
            h = r.half
            print(f"  {r.backend:<9} half load ({h.rps:,.0f}/s answered): p99 {h.percentile(0.99):,.1f} ms, "
                  f"{h.unsent:,} unsent, {h.late:,} late: {half_verdict(r)}")
        if r.procs is not None:
            ratio, verdict = procs_verdict(r.procs)
            print(f"  {r.backend:<9} 2 server processes / 1 at {r.procs.clients} clients: {ratio:.2f}x "
                  f"{verdict}; {_ceiling_text(r.procs)}")
        if r.inside is not None:
            http, inproc, verdict = inside_verdict(r.inside)
            print(f"  {r.backend:<9} verify with {max(r.inside.counts):,} inside / empty: HTTP p50 "
                  f"{http:.2f}x, in-process {inproc:.2f}x: {verdict}")


# --------------------------------------------------------------------------- main


def _version(store: Store) -> str:
    with store.read() as session:
        if store.is_sqlite:
            return f"SQLite {sqlite3.sqlite_version}"
        return f"PostgreSQL {session.connection().exec_driver_sql('SHOW server_version').scalar_one()}"


def run_backend(backend: str, cfg: Config, workdir: Path, gen: Generator) -> BackendResult:
    with backend_target(backend, cfg, workdir) as target:
        log.info("%s: building %s bands at %s", backend, f"{cfg.bands:,}", target)
        t0 = time.perf_counter()
        store = open_store(target)
        try:
            migrate_s = time.perf_counter() - t0
            fx = build(store, target, cfg)
            # A database becoming a server logs every row it already holds
            # (the stations' first pull); done here, it is setup, not start-up.
            t_log = time.perf_counter()
            changelog.become_server(store)
            log_s = time.perf_counter() - t_log
            build_s = time.perf_counter() - t0
            setup = [TableStat("migrations (open_store)", 0, migrate_s, 0.0), *fx.stats,
                     TableStat("change log of the loaded rows", 0, log_s, 0.0)]
            result = BackendResult(backend, _version(store), setup, build_s, [])
            store.dispose()  # nothing of ours holds a connection while the server runs
            rng = random.Random(cfg.seed + 1)
            with run_server(target, workdir / f"server-{backend}.log") as server:
                sanity_tap(server, fx)
                run_id = secrets.token_hex(4)
                urls, pids = [server.url], [server.process.pid]
                for clients in cfg.levels:
                    log.info("%s: %d clients: health", backend, clients)
                    health = gen.measure(urls, fx.token, HEALTH, clients, cfg, pids)
                    log.info("%s: %d clients: verify", backend, clients)
                    load = verify_load(fx, rng, f"{run_id}-{clients}")
                    verify = gen.measure(urls, fx.token, load, clients, cfg, pids)
                    result.levels.append((verify, health))
                    if verify.server_errors or health.server_errors:
                        log.error("server errors at %d clients; server log:\n%s", clients, server.log_tail())
                clients = max(cfg.clients)
                if cfg.open_rate:
                    log.info("%s: open loop, %s verifies/s over %d connections", backend,
                             f"{cfg.open_rate:,.0f}", clients)
                    load = verify_load(fx, rng, f"{run_id}-open")
                    result.open_loop = gen.measure(urls, fx.token, load, clients, cfg, pids,
                                                   rate=cfg.open_rate)
                    if result.open_loop.server_errors:
                        log.error("server errors in the open loop; server log:\n%s", server.log_tail())
                if cfg.half_seconds and result.levels:
                    result.half_of = max((v for v, _ in result.levels), key=lambda v: v.rps)
                    rate = result.half_of.rps / 2
                    log.info("%s: open loop at half capacity, %s verifies/s over %d connections for %g s",
                             backend, f"{rate:,.0f}", clients, cfg.half_seconds)
                    result.half = gen.measure(urls, fx.token, verify_load(fx, rng, f"{run_id}-half"), clients,
                                          replace(cfg, seconds=cfg.half_seconds), pids, rate=rate)
                if cfg.procs_clients and backend == "postgres":
                    result.procs = run_procs(backend, target, fx, cfg, workdir, server, rng, gen)
            log.info("%s: timing %d taps in-process", backend, cfg.taps)
            result.decision = time_decisions(store, fx, cfg.taps, random.Random(cfg.seed + 2))
            store.dispose()
            if cfg.inside:
                result.inside = run_inside(backend, target, fx, cfg, workdir, gen)
            return result
        finally:
            store.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--loadgen"]:
        return _loadgen_child()
    cfg = parse_args(argv)
    print(f"Box office verify benchmark: {cfg.bands:,} bands all assigned to one active series; "
          f"clients {', '.join(map(str, cfg.levels))}; backends {', '.join(cfg.backends)}")
    print(f"Python {sys.version.split()[0]}, FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__} "
          f"(1 worker, event loop {_have('uvloop') or 'asyncio'}, HTTP {_have('httptools') or 'h11'}), "
          f"httpx {httpx.__version__}, SQLAlchemy {sqlalchemy.__version__}; {os.cpu_count()} CPUs; "
          f"server and load generator ({cfg.client} client) in separate processes on 127.0.0.1")
    print(f"Load generator: {cfg.load_procs} process(es), on the same {os.cpu_count()} cores as the server "
          f"process(es) and PostgreSQL: it competes with them for CPU; its share is the cli CPU column "
          f"(100 % = one core), and a figure near 100 % per process means the client, not the server, set "
          f"the pace (then use --load-procs)")
    results: list[BackendResult] = []
    gen = Generator(cfg.load_procs)
    try:
        if cfg.workdir is not None:
            cfg.workdir.mkdir(parents=True, exist_ok=True)
            for backend in cfg.backends:
                results.append(run_backend(backend, cfg, cfg.workdir.resolve(), gen))
                print_backend(results[-1], cfg)
        else:
            with tempfile.TemporaryDirectory(prefix="boxoffice-bench-verify-") as tmp:
                for backend in cfg.backends:
                    results.append(run_backend(backend, cfg, Path(tmp), gen))
                    print_backend(results[-1], cfg)
    finally:
        gen.close()
    print_summary(results, cfg)
    failed = sum(r.non_200() for r in results)
    if failed:
        print(f"\n!!! {failed:,} requests were not answered 200: the figures above are not clean.")
        return 1
    return 0


def _have(module: str) -> str | None:
    return module if importlib.util.find_spec(module) is not None else None


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    sys.exit(main())
