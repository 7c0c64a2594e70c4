"""Store benchmark at the Event Series design's scale: the UI's hottest reads, ORM vs raw SQL.

Builds one event with 1,000,000 wristbands and 10,000 series (one of them
busy: 50,000 assigned bands and 200,000 check-ins), then times the queries the
UI runs most, each through the service/ORM path and through the same SQL
written by hand on a stdlib ``sqlite3`` connection to the same file. The
machine this runs on is shared and its absolute times drift, so every figure
is printed next to the raw-SQL baseline measured in the same run, and the
ratio is what to compare between runs.

Run: ``python bench/bench_store.py [--bands N] [--series N] [--checkins N] [--db PATH] [--repeat N]``
"""

from __future__ import annotations

import argparse
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from itertools import accumulate, chain, islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlalchemy import insert, inspect, select

from boxoffice.domain.enums import (
    BandStatus,
    CheckinResult,
    Direction,
    GateKind,
    Reason,
    ReentryPolicy,
    SeriesStatus,
)
from boxoffice.schemas.metrics import SeriesMetrics
from boxoffice.services import events, occupancy, organization
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.services.metrics import series_metrics
from boxoffice.store.base import Base
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Checkin,
    EventSeries,
    SeriesGate,
    SeriesPresence,
    SeriesWristbandAssignment,
    Wristband,
)
from boxoffice.store.opening import open_store
from boxoffice.store.types import utcnow

log = logging.getLogger("bench.store")

CHUNK = 50_000
TIMEZONE = "Europe/Amsterdam"
OWNER = "owner@bench.example.org"
# (name, colour, share of the bands): the demo festival's mix.
CATEGORIES = (("GA", "#2E86DE", 0.80), ("VIP", "#F5B041", 0.10), ("Staff", "#58D68D", 0.07),
              ("Press", "#AF7AC5", 0.03))
GA = 0
GATES = (("Main Entrance", GateKind.ENTRY, ()), ("VIP Entrance", GateKind.ENTRY, ("VIP", "Staff", "Press")),
         ("South Gate", GateKind.BOTH, ()), ("Exit", GateKind.EXIT, ()))
MAIN_GATE, VIP_GATE, SOUTH_GATE, EXIT_GATE = range(4)
ALLOWED_REASONS = frozenset({Reason.OK, Reason.REENTRY, Reason.EXIT_OK})
# A table with at least this many rows is "big": a SCAN of it gets flagged.
BIG_TABLE_ROWS = 10_000
# UIDs are a bijection of the band's index, so a million of them are unique
# without a million-entry "seen" set: multiplying by an odd number permutes 2**48.
_UID_MULT, _UID_MASK = 0x9E3779B97F4B, (1 << 48) - 1

QUERY_NAMES = (
    "series of an event",
    "active series now",
    "band by UID (session per lookup)",
    "band by UID (one shared session)",
    "metrics of one series",
)


# --------------------------------------------------------------------------- encoding


def _sqlite_datetime(value: datetime) -> str:
    """What ``UTCDateTime`` + SQLite's DATETIME store: naive UTC with six fraction digits."""
    v = value.astimezone(UTC)
    return (f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
            f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}")


_dt_cache: dict[datetime, str] = {}


def _cached_datetime(value: datetime) -> str:
    # A million bands share a handful of timestamps; formatting each once saves seconds.
    text = _dt_cache.get(value)
    if text is None:
        if len(_dt_cache) > 10_000:
            _dt_cache.clear()
        text = _dt_cache[value] = _sqlite_datetime(value)
    return text


def to_db(value: Any) -> Any:
    """A Python value as the ORM stores it on SQLite (checked against SQLAlchemy per table)."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is float:
        return value
    if kind is uuid.UUID:
        return value.hex
    if kind is bool:
        return int(value)
    if kind is datetime:
        return _cached_datetime(value)
    if isinstance(value, Enum):
        return value.value
    if kind is date:
        return value.isoformat()
    raise TypeError(f"no SQLite encoding for {kind.__name__}")


def encode(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(to_db(v) for v in row)


def _same(a: Any, b: Any) -> bool:
    # Strict: 1 and "1", or 1 and 1.0, are different things to SQLite's comparisons.
    return type(a) is type(b) and a == b


def check_encoding(store: Store, model: type[Base], columns: Sequence[str], row: Sequence[Any]) -> None:
    """Insert ``row`` with SQLAlchemy, read it back raw, roll back: proves the bulk path's bytes.

    The bulk load bypasses SQLAlchemy for speed, so this is what guarantees
    every stored value is exactly what the ORM would have written.
    """
    table = str(model.__tablename__)
    model_columns = {c.name for c in model.__table__.columns}
    if set(columns) != model_columns:
        raise AssertionError(f"{table}: the benchmark gives {sorted(columns)}, "
                             f"the model has {sorted(model_columns)}; update the generator")
    with store.write_engine.connect() as conn:
        tx = conn.begin()
        try:
            conn.execute(insert(model), dict(zip(columns, row, strict=True)))
            stored = conn.exec_driver_sql(
                f"SELECT {', '.join(columns)} FROM {table} WHERE rowid = last_insert_rowid()"
            ).one()
        finally:
            tx.rollback()
    mine = encode(row)
    wrong = [(c, s, m) for c, s, m in zip(columns, stored, mine, strict=True) if not _same(s, m)]
    if wrong:
        raise AssertionError(f"{table}: bulk encoding differs from the ORM's: {wrong}")


def check_orm_readback(store: Store, model: type[Base], columns: Sequence[str], row: Sequence[Any]) -> None:
    """Load a bulk-inserted row through the ORM and compare every attribute with what was generated."""
    mapper = inspect(model)
    values = dict(zip(columns, row, strict=True))
    ident = tuple(values[c.name] for c in mapper.primary_key)
    with store.read() as session:
        obj = session.get(model, ident)
        if obj is None:
            raise AssertionError(f"{model.__tablename__}: row {ident} not found through the ORM")
        wrong = [(c, getattr(obj, c), v) for c, v in values.items() if getattr(obj, c) != v]
    if wrong:
        raise AssertionError(f"{model.__tablename__}: the ORM reads back other values: {wrong}")


# --------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class Config:
    bands: int
    series: int
    checkins: int
    assignments: int
    lookups: int
    repeat: int
    seed: int


@dataclass(frozen=True)
class TableStat:
    name: str
    rows: int
    seconds: float
    insert_seconds: float


@dataclass(frozen=True)
class Band:
    id: uuid.UUID
    category: int
    uid: str


@dataclass
class Dataset:
    """Everything the timed queries and the result checks need to know about the data."""

    path: Path
    now: datetime
    actor: Actor
    event_id: uuid.UUID
    category_ids: list[uuid.UUID]
    gate_ids: list[uuid.UUID]
    target_id: uuid.UUID
    lookup_uids: list[str]
    series_count: int
    active_now: int
    expected: dict[str, int]
    table_rows: dict[str, int] = field(default_factory=dict)
    stats: list[TableStat] = field(default_factory=list)


def uid_of(index: int) -> str:
    """A unique 7-byte NXP-style UID (manufacturer byte 0x04) for band ``index``."""
    return f"04{(index * _UID_MULT) & _UID_MASK:012X}"


def _rid(rng: random.Random) -> uuid.UUID:
    # Seeded, so the same --seed gives the same database.
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class BulkLoader:
    """Raw ``executemany`` on its own connection: several times faster than ``insert(Model)``.

    Commits every chunk so the WAL stays small, and keeps foreign keys on so
    the generated data is held to the same integrity rules as the app's.
    """

    def __init__(self, store: Store, path: Path) -> None:
        self.store = store
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA cache_size=-131072")  # 128 MiB
        self.stats: list[TableStat] = []
        # (model, columns, first generated row) of each table, for the ORM read-back.
        self.first_rows: list[tuple[type[Base], Sequence[str], Sequence[Any]]] = []

    def load(self, model: type[Base], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        table = model.__tablename__
        started = time.perf_counter()
        it = iter(rows)
        first = next(it, None)
        if first is None:
            return 0
        check_encoding(self.store, model, columns, first)
        self.first_rows.append((model, columns, first))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        count, insert_seconds = 0, 0.0
        source = chain([first], it)
        while chunk := [encode(r) for r in islice(source, CHUNK)]:
            t0 = time.perf_counter()
            self.conn.execute("BEGIN")
            self.conn.executemany(sql, chunk)
            self.conn.execute("COMMIT")
            insert_seconds += time.perf_counter() - t0
            count += len(chunk)
            log.debug("%s: %s rows", table, f"{count:,}")
        stat = TableStat(table, count, time.perf_counter() - started, insert_seconds)
        self.stats.append(stat)
        log.info("loaded %s: %s rows in %.1f s", table, f"{count:,}", stat.seconds)
        return count

    def close(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


WRISTBAND_COLUMNS = ("id", "event_id", "category_id", "uid", "status", "number", "ticket_id",
                     "replaces_id", "batch_id", "station", "encoded_by", "encoded_at", "created_at",
                     "updated_at", "payload", "tag_secret_id", "voided_at", "lost_at", "void_reason")


def wristband_rows(cfg: Config, rng: random.Random, event_id: uuid.UUID, categories: list[uuid.UUID],
                   owner_id: uuid.UUID, now: datetime, tracked: dict[int, int],
                   out: list[Band | None]) -> Iterator[tuple[Any, ...]]:
    """Active bands in a random category; the ones at ``tracked`` indices are kept in ``out``."""
    cum = list(accumulate(c[2] for c in CATEGORIES))
    numbers = [0] * len(CATEGORIES)
    batch = _rid(rng)
    for start in range(0, cfg.bands, CHUNK):
        n = min(CHUNK, cfg.bands - start)
        cats = rng.choices(range(len(CATEGORIES)), cum_weights=cum, k=n)
        # A station encodes a chunk in a sitting: one timestamp per chunk.
        at = now - timedelta(days=3) + timedelta(minutes=start // CHUNK)
        for offset, cat in enumerate(cats):
            i = start + offset
            numbers[cat] += 1
            band_id, uid = _rid(rng), uid_of(i)
            slot = tracked.get(i)
            if slot is not None:
                out[slot] = Band(band_id, cat, uid)
            yield (band_id, event_id, categories[cat], uid, BandStatus.ACTIVE, numbers[cat], None,
                   None, batch, "Box office 1", owner_id, at, at, at, None, None, None, None, None)


SERIES_COLUMNS = ("id", "organization_id", "event_id", "name", "description", "starts_at", "ends_at",
                  "checkin_opens_at", "checkin_closes_at", "capacity", "status", "reentry_policy",
                  "recurrence_kind", "recurrence_interval", "recurrence_weekdays", "recurrence_count",
                  "parent_series_id", "sequence_number", "version", "created_by", "created_at",
                  "updated_at")


@dataclass
class SeriesPlan:
    ids: list[uuid.UUID]
    active_now: int


def series_rows(cfg: Config, rng: random.Random, org_id: uuid.UUID, event_id: uuid.UUID,
                owner_id: uuid.UUID, now: datetime, plan: SeriesPlan) -> Iterator[tuple[Any, ...]]:
    """Series spread over 30 days around now; ~3 % active now, a few active but overrun.

    Index 0 is the target: active since 9 hours, check-in open since 10.
    """
    n_active = max(1, round(cfg.series * 0.03))
    n_overrun = round(n_active * 0.1)  # "active" but ended: the time filter must drop them
    created = now - timedelta(days=20)
    for i in range(cfg.series):
        policy = ReentryPolicy.REENTRY
        if i == 0:
            starts, ends = now - timedelta(hours=9), now + timedelta(hours=6)
            opens, closes = now - timedelta(hours=10), ends
            status, capacity, name = SeriesStatus.ACTIVE, max(60_000, cfg.assignments), "Target series"
        else:
            name = f"Series {i:05d}"
            capacity = rng.randrange(500, 60_000)
            policy = rng.choice(list(ReentryPolicy))
            if i < n_active:
                starts = now - timedelta(minutes=rng.uniform(30, 720))
                ends = now + timedelta(minutes=rng.uniform(30, 720))
                status = SeriesStatus.ACTIVE
            elif i < n_active + n_overrun:
                ends = now - timedelta(minutes=rng.uniform(5, 600))
                starts = ends - timedelta(hours=rng.uniform(2, 14))
                status = SeriesStatus.ACTIVE
            else:
                starts = now + timedelta(days=rng.uniform(-15, 15))
                ends = starts + timedelta(hours=rng.uniform(2, 14))
                if ends <= now:
                    status = SeriesStatus.CANCELLED if rng.random() < 0.03 else SeriesStatus.COMPLETED
                else:
                    status = SeriesStatus.DRAFT if rng.random() < 0.3 else SeriesStatus.SCHEDULED
            opens, closes = starts, ends  # the default check-in window
        starts, ends, opens, closes = (t.replace(microsecond=0) for t in (starts, ends, opens, closes))
        sid = _rid(rng)
        plan.ids.append(sid)
        if status is SeriesStatus.ACTIVE and starts <= now < ends:
            plan.active_now += 1
        yield (sid, org_id, event_id, name, None, starts, ends, opens, closes, capacity, status, policy,
               None, None, None, None, None, None, 1, owner_id, created, created)


def series_gate_rows(rng: random.Random, series_ids: list[uuid.UUID], gate_ids: list[uuid.UUID],
                     now: datetime) -> Iterator[tuple[Any, ...]]:
    added = now - timedelta(days=20)
    for i, sid in enumerate(series_ids):
        gates = gate_ids if i == 0 else rng.sample(gate_ids, rng.randint(1, len(gate_ids)))
        for gid in gates:
            yield (sid, gid, added)


def assignment_rows(rng: random.Random, series_id: uuid.UUID, bands: Sequence[Band], owner_id: uuid.UUID,
                    now: datetime, active: list[bool]) -> Iterator[tuple[Any, ...]]:
    """2 % of the assignments were removed again: the active filter has something to drop."""
    assigned_at = now - timedelta(days=2)
    for band in bands:
        is_active = rng.random() >= 0.02
        active.append(is_active)
        yield (_rid(rng), series_id, band.id, is_active, assigned_at, owner_id,
               None if is_active else now - timedelta(days=1))


# A tap before it is a row: (seconds after the window start, band slot or -1, gate, direction, reason).
Tap = tuple[float, int, int, Direction, Reason]


@dataclass
class Simulation:
    taps: list[Tap]
    # band slot -> (inside, has_entered, seconds of the last allowed tap)
    presence: dict[int, tuple[bool, bool, float]]


def simulate_checkins(cfg: Config, rng: random.Random, bands: Sequence[Band], assigned_active: Sequence[bool],
                      extra: range, window: float) -> Simulation:
    """Taps for the target series, following the access rules so presence and metrics agree.

    96 % from assigned bands (alternating in/out with some double taps, wrong
    gates and wrong ways), 2 % unknown bands, 2 % bands not assigned.
    """
    unknown = round(cfg.checkins * 0.02)
    not_assigned = round(cfg.checkins * 0.02) if len(extra) else 0
    own = cfg.checkins - unknown - not_assigned
    taps: list[Tap] = []
    presence: dict[int, tuple[bool, bool, float]] = {}
    eligible = [slot for slot, ok in enumerate(assigned_active) if ok]
    coming = rng.sample(eligible, max(1, round(len(eligible) * 0.85))) if eligible and own else []
    per_band = Counter(rng.choices(coming, k=own)) if coming else Counter()
    for slot, k in per_band.items():
        is_ga = bands[slot].category == GA
        inside = entered = False
        last = 0.0
        for at in sorted(window * rng.betavariate(1.4, 2.2) for _ in range(k)):
            direction = Direction.OUT if inside else Direction.IN
            if rng.random() < 0.03:  # a double tap, or tapping the wrong way
                direction = Direction.IN if inside else Direction.OUT
            if direction is Direction.IN:
                if rng.random() < 0.005:
                    gate, reason = EXIT_GATE, Reason.WRONG_DIRECTION
                else:
                    if is_ga:
                        gate = VIP_GATE if rng.random() < 0.015 else (
                            MAIN_GATE if rng.random() < 0.67 else SOUTH_GATE)
                    else:
                        gate = VIP_GATE if rng.random() < 0.7 else MAIN_GATE
                    if gate == VIP_GATE and is_ga:
                        reason = Reason.CATEGORY_NOT_ALLOWED
                    elif inside:
                        reason = Reason.ALREADY_INSIDE
                    else:
                        reason = Reason.REENTRY if entered else Reason.OK
            elif rng.random() < 0.005:
                gate, reason = MAIN_GATE, Reason.WRONG_DIRECTION
            else:
                gate = EXIT_GATE if rng.random() < 0.7 else SOUTH_GATE
                reason = Reason.EXIT_OK if inside else Reason.NOT_INSIDE
            if reason in ALLOWED_REASONS:
                inside = direction is Direction.IN
                entered = entered or inside
                last = at
                presence[slot] = (inside, entered, last)
            taps.append((at, slot, gate, direction, reason))
    for _ in range(unknown):
        taps.append((window * rng.random(), -1, rng.choice((MAIN_GATE, SOUTH_GATE)), Direction.IN,
                     Reason.UNKNOWN_BAND))
    for _ in range(not_assigned):
        taps.append((window * rng.random(), rng.choice(extra), MAIN_GATE, Direction.IN,
                     Reason.NOT_ASSIGNED))
    taps.sort(key=lambda t: t[0])  # devices upload in time order
    return Simulation(taps, presence)


CHECKIN_COLUMNS = ("id", "client_scan_id", "event_id", "series_id", "gate_id", "wristband_id", "uid",
                   "direction", "result", "reason", "device_id", "occurred_at", "recorded_at")


def checkin_rows(rng: random.Random, sim: Simulation, bands: Sequence[Band], event_id: uuid.UUID,
                 series_id: uuid.UUID, gate_ids: list[uuid.UUID],
                 start: datetime) -> Iterator[tuple[Any, ...]]:
    for at, slot, gate, direction, reason in sim.taps:
        band = bands[slot] if slot >= 0 else None
        occurred = start + timedelta(seconds=at)
        result = CheckinResult.ALLOWED if reason in ALLOWED_REASONS else CheckinResult.DENIED
        yield (_rid(rng), str(_rid(rng)), event_id, series_id, gate_ids[gate],
               band.id if band else None,
               band.uid if band else f"05{rng.getrandbits(48):012X}",
               direction, result, reason, f"{GATES[gate][0]} #{rng.randint(1, 3)}", occurred,
               occurred + timedelta(milliseconds=rng.randint(40, 3000)))


PRESENCE_COLUMNS = ("series_id", "wristband_id", "category_id", "inside", "has_entered", "last_scan_at")


def presence_rows(sim: Simulation, bands: Sequence[Band], series_id: uuid.UUID, categories: list[uuid.UUID],
                  start: datetime) -> Iterator[tuple[Any, ...]]:
    for slot, (inside, entered, last) in sim.presence.items():
        band = bands[slot]
        yield (series_id, band.id, categories[band.category], inside, entered,
               start + timedelta(seconds=last))


def build(cfg: Config, path: Path) -> tuple[Store, Dataset]:
    """Create the database: fixtures through the services, the volume through the bulk loader."""
    rng = random.Random(cfg.seed)
    now = utcnow()
    tz = ZoneInfo(TIMEZONE)
    t0 = time.perf_counter()
    store = open_store(path)
    migrate_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    organization.create_organization(store, "Benchmark Festival", OWNER, "Bench Owner")
    actor = resolve_actor(store, OWNER)
    local_now = now.astimezone(tz)
    ev = events.create_event(store, actor, "Benchmark Festival 2026", TIMEZONE, "Hollandse Velden",
                             (local_now - timedelta(days=16)).date(), (local_now + timedelta(days=16)).date())
    categories = [events.add_category(store, actor, str(ev.id), name, color).id
                  for name, color, _ in CATEGORIES]
    gate_ids = [events.add_gate(store, actor, str(ev.id), name, kind, list(only)).id
                for name, kind, only in GATES]
    services_s = time.perf_counter() - t0

    assignments = max(1, min(cfg.assignments, cfg.bands // 2))
    extra = min(1_000, cfg.bands - assignments)
    slots = rng.sample(range(cfg.bands), assignments + extra)
    tracked = {index: slot for slot, index in enumerate(slots)}
    bands: list[Band | None] = [None] * len(slots)
    lookup_uids = [uid_of(i) for i in rng.sample(range(cfg.bands), min(cfg.lookups, cfg.bands))]

    loader = BulkLoader(store, path)
    try:
        loader.load(Wristband, WRISTBAND_COLUMNS,
                    wristband_rows(cfg, rng, ev.id, categories, actor.member_id, now, tracked, bands))
        known: list[Band] = [b for b in bands if b is not None]
        assert len(known) == len(bands)
        plan = SeriesPlan([], 0)
        loader.load(EventSeries, SERIES_COLUMNS,
                    series_rows(cfg, rng, actor.organization_id, ev.id, actor.member_id, now, plan))
        target = plan.ids[0]
        loader.load(SeriesGate, ("series_id", "gate_id", "added_at"),
                    series_gate_rows(rng, plan.ids, gate_ids, now))
        active: list[bool] = []
        loader.load(SeriesWristbandAssignment,
                    ("id", "series_id", "wristband_id", "active", "assigned_at", "assigned_by", "removed_at"),
                    assignment_rows(rng, target, known[:assignments], actor.member_id, now, active))
        window_start = now - timedelta(hours=10)
        sim = simulate_checkins(cfg, rng, known, active, range(assignments, len(known)),
                                window=10 * 3600 - 60)
        loader.load(Checkin, CHECKIN_COLUMNS,
                    checkin_rows(rng, sim, known, ev.id, target, gate_ids, window_start))
        loader.load(SeriesPresence, PRESENCE_COLUMNS,
                    presence_rows(sim, known, target, categories, window_start))
    finally:
        loader.close()
    # Presence written in bulk owes the occupancy counters a recount, as a station's pull does.
    with store.write() as session:
        occupancy.recount(session, [target])

    # The bulk path wrote what the ORM would have; now the ORM must read it back the same.
    for model, columns, row in loader.first_rows:
        check_orm_readback(store, model, columns, row)
    _check_band_lookup(store, ev.id, categories, known[0])
    log.info("ORM read-back of the first row of every bulk table: ok")

    # A category limit through the service, so the metrics' limit lookup returns a row.
    t1 = time.perf_counter()
    series_svc.set_category_limit(store, actor, str(target), "VIP", max(1, assignments // 5))
    services_s += time.perf_counter() - t1

    allowed = sum(1 for t in sim.taps if t[4] in ALLOWED_REASONS)
    expected = {
        "assigned_bands": sum(active),
        "total_scans": len(sim.taps),
        "allowed": allowed,
        "denied": len(sim.taps) - allowed,
        "inside_now": sum(1 for p in sim.presence.values() if p[0]),
        "unique_entries": sum(1 for p in sim.presence.values() if p[1]),
    }
    data = Dataset(path=path, now=now, actor=actor, event_id=ev.id, category_ids=categories,
                   gate_ids=gate_ids, target_id=target, lookup_uids=lookup_uids,
                   series_count=len(plan.ids), active_now=plan.active_now, expected=expected)
    data.stats = [TableStat("migrations (open_store)", 0, migrate_s, 0.0),
                  TableStat("services: org, event, 4 categories, 4 gates, 1 limit", 0, services_s, 0.0),
                  *loader.stats]
    data.table_rows = {s.name: s.rows for s in loader.stats}
    return store, data


def _check_band_lookup(store: Store, event_id: uuid.UUID, categories: list[uuid.UUID], band: Band) -> None:
    """The lookup's own query (by event and UID) must find the generated band, typed as the ORM types it."""
    with store.read() as session:
        found = session.scalar(select(Wristband).where(Wristband.event_id == event_id,
                                                       Wristband.uid == band.uid))
        ok = (found is not None and found.id == band.id and found.category_id == categories[band.category]
              and found.status is BandStatus.ACTIVE and found.encoded_at is not None
              and found.encoded_at.tzinfo is UTC)
    if not ok:
        raise AssertionError(f"band {band.uid} reads back wrong through the ORM: {found!r}")


# --------------------------------------------------------------------------- the queries

RAW_SERIES_OF_EVENT = (
    "SELECT * FROM event_series WHERE organization_id = ? AND event_id = ? ORDER BY starts_at, name"
)
RAW_ACTIVE_NOW = (
    "SELECT * FROM event_series WHERE organization_id = ? AND status = ? AND starts_at <= ? "
    "AND ends_at > ? ORDER BY starts_at, name"
)
RAW_BAND_BY_UID = "SELECT * FROM wristbands WHERE event_id = ? AND uid = ?"

# compute_metrics' statements, as SQLAlchemy renders them for SQLite.
RAW_METRICS = {
    "series": "SELECT * FROM event_series WHERE id = ?",
    "assigned by category": (
        "SELECT wristbands.category_id, count(*) FROM wristbands JOIN series_wristband_assignments "
        "ON series_wristband_assignments.wristband_id = wristbands.id "
        "WHERE series_wristband_assignments.series_id = ? AND series_wristband_assignments.active IS 1 "
        "GROUP BY wristbands.category_id"),
    "by result and reason": (
        "SELECT result, reason, count(*) FROM checkins WHERE series_id = ? GROUP BY result, reason"),
    "by gate and result": (
        "SELECT gate_id, result, count(*) FROM checkins WHERE series_id = ? GROUP BY gate_id, result"),
    "entered by category": (
        "SELECT category_id, count(*) FROM series_presence "
        "WHERE series_id = ? AND has_entered IS 1 GROUP BY category_id"),
    "limits": "SELECT category_id, band_limit FROM series_category_limits WHERE series_id = ?",
    "categories": "SELECT id, name FROM categories WHERE event_id = ? ORDER BY name",
    "event time zone": "SELECT timezone FROM events WHERE id = ?",
    "inside now": "SELECT count(*) FROM series_presence WHERE series_id = ? AND inside IS 1",
    # Integer division: whole quarter hours, as the service groups them.
    "peak quarter-hours": (
        "SELECT substr(occurred_at, ?, ?), CAST(substr(occurred_at, ?, ?) AS INTEGER) / ?, count(*) "
        "FROM checkins WHERE series_id = ? AND result = ? AND direction = ? "
        "GROUP BY substr(occurred_at, ?, ?), CAST(substr(occurred_at, ?, ?) AS INTEGER) / ?"),
}


def metrics_params(name: str, data: Dataset) -> tuple[Any, ...]:
    sid = data.target_id.hex
    allowed, inward = CheckinResult.ALLOWED.value, Direction.IN.value
    return {
        "series": (sid,),
        "assigned by category": (sid,),
        "by result and reason": (sid,),
        "by gate and result": (sid,),
        "entered by category": (sid,),
        "limits": (sid,),
        "categories": (data.event_id.hex,),
        "event time zone": (data.event_id.hex,),
        "inside now": (sid,),
        "peak quarter-hours": (1, 13, 15, 2, 15, sid, allowed, inward, 1, 13, 15, 2, 15),
    }[name]


def raw_metrics(conn: sqlite3.Connection, data: Dataset) -> dict[str, Any]:
    """compute_metrics by hand: the same statements, folded into the same figures."""
    def q(name: str) -> list[Any]:
        return conn.execute(RAW_METRICS[name], metrics_params(name, data)).fetchall()

    series = q("series")[0]
    if series[1] != data.actor.organization_id.hex:
        raise LookupError("series of another organization")
    assigned = dict(q("assigned by category"))
    totals: dict[str, int] = defaultdict(int)
    denials: dict[str, int] = {}
    for result, reason, n in q("by result and reason"):
        totals[result] += n
        if result == "denied":
            denials[reason] = n
    gates: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for gate_id, result, n in q("by gate and result"):
        gates[gate_id][result] += n
    names = dict(conn.execute(
        f"SELECT id, name FROM gates WHERE id IN ({', '.join('?' * len(gates))})", list(gates)
    ).fetchall()) if gates else {}
    entered = dict(q("entered by category"))
    limits = dict(q("limits"))
    categories = q("categories")
    tz = ZoneInfo(q("event time zone")[0][0])
    inside = q("inside now")[0][0]
    per_hour: dict[datetime, int] = defaultdict(int)
    for hour_text, quarter, n in q("peak quarter-hours"):
        start = datetime.strptime(f"{hour_text}:{int(quarter) * 15:02d}+0000", "%Y-%m-%d %H:%M%z")
        per_hour[start.astimezone(tz).replace(minute=0)] += n
    peak = max(per_hour.items(), key=lambda kv: (kv[1], -kv[0].timestamp())) if per_hour else None
    return {
        "assigned_bands": sum(assigned.values()),
        "unique_entries": sum(entered.values()),
        "inside_now": inside,
        "total_scans": totals["allowed"] + totals["denied"],
        "allowed": totals["allowed"],
        "denied": totals["denied"],
        "denials_by_reason": dict(sorted(denials.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_gate": sorted((names.get(g, g), g, c["allowed"] + c["denied"], c["allowed"], c["denied"])
                          for g, c in gates.items()),
        "by_category": [(cid, name, limits.get(cid), assigned.get(cid, 0), entered.get(cid, 0))
                        for cid, name in categories],
        "peak_hour": (peak[0].isoformat(), peak[1]) if peak else None,
    }


def metrics_figures(m: SeriesMetrics) -> dict[str, Any]:
    """The service's answer in raw_metrics' shape, for the equality check."""
    return {
        "assigned_bands": m.assigned_bands,
        "unique_entries": m.unique_entries,
        "inside_now": m.inside_now,
        "total_scans": m.total_scans,
        "allowed": m.allowed,
        "denied": m.denied,
        "denials_by_reason": m.denials_by_reason,
        "by_gate": sorted((g.gate, g.gate_id.hex, g.scans, g.allowed, g.denied) for g in m.by_gate),
        "by_category": [(c.category_id.hex, c.category, c.limit, c.assigned, c.entered)
                        for c in m.by_category],
        "peak_hour": (m.peak_hour.starts_at_local.isoformat(), m.peak_hour.entries) if m.peak_hour else None,
    }


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Result:
    name: str
    rows: int
    orm_ms: float
    raw_ms: float

    @property
    def ratio(self) -> float:
        return self.orm_ms / self.raw_ms if self.raw_ms > 0 else float("inf")


def time_pair(orm: Callable[[], object], raw: Callable[[], object], repeat: int,
              per: int = 1) -> tuple[float, float]:
    """Median ms of ``repeat`` runs of each, after one warm-up, interleaved.

    Interleaving (ORM, raw, raw, ORM, ...) spreads the drift of a shared
    machine over both sides instead of charging it to whichever ran second.
    """
    orm()
    raw()
    orm_t: list[float] = []
    raw_t: list[float] = []
    for i in range(repeat):
        order = ((orm, orm_t), (raw, raw_t)) if i % 2 == 0 else ((raw, raw_t), (orm, orm_t))
        for fn, sink in order:
            t0 = time.perf_counter_ns()
            fn()
            sink.append((time.perf_counter_ns() - t0) / 1e6 / per)
    return statistics.median(orm_t), statistics.median(raw_t)


def run_queries(store: Store, data: Dataset, conn: sqlite3.Connection, repeat: int) -> list[Result]:
    actor, now = data.actor, data.now
    org, ev = actor.organization_id.hex, data.event_id.hex
    results: list[Result] = []

    # 1. Series of an event.
    def orm_series() -> list[Any]:
        return series_svc.list_series(store, actor, event_ref=str(data.event_id))

    def raw_series() -> list[Any]:
        return conn.execute(RAW_SERIES_OF_EVENT, (org, ev)).fetchall()

    a, b = orm_series(), raw_series()
    if [v.id.hex for v in a] != [r[0] for r in b] or len(a) != data.series_count:
        raise AssertionError(f"series of an event: ORM {len(a)} rows, raw {len(b)}, "
                             f"generated {data.series_count}, or another order")
    results.append(Result(QUERY_NAMES[0], len(a), *time_pair(orm_series, raw_series, repeat)))

    # 2. Active series now (at the dataset's "now", so the answer is fixed).
    now_text = to_db(now)

    def orm_active() -> list[Any]:
        return series_svc.list_series(store, actor, active_at=now)

    def raw_active() -> list[Any]:
        return conn.execute(RAW_ACTIVE_NOW, (org, SeriesStatus.ACTIVE.value, now_text, now_text)).fetchall()

    a, b = orm_active(), raw_active()
    if [v.id.hex for v in a] != [r[0] for r in b] or len(a) != data.active_now:
        raise AssertionError(f"active series now: ORM {len(a)} rows, raw {len(b)}, "
                             f"generated {data.active_now}")
    results.append(Result(QUERY_NAMES[1], len(a), *time_pair(orm_active, raw_active, repeat)))

    # 3. A band by UID: the lookup's ORM query, one read session per lookup as the UI
    # will call it; and all lookups in one session, to separate session cost from query cost.
    uids = data.lookup_uids
    event_id = data.event_id

    def orm_band_each() -> int:
        found = 0
        for uid in uids:
            with store.read() as session:
                found += session.scalar(
                    select(Wristband).where(Wristband.event_id == event_id, Wristband.uid == uid)
                ) is not None
        return found

    def orm_band_shared() -> int:
        found = 0
        with store.read() as session:
            for uid in uids:
                found += session.scalar(
                    select(Wristband).where(Wristband.event_id == event_id, Wristband.uid == uid)
                ) is not None
        return found

    def raw_band() -> int:
        found = 0
        for uid in uids:
            found += conn.execute(RAW_BAND_BY_UID, (ev, uid)).fetchone() is not None
        return found

    with store.read() as session:
        orm_ids = [session.scalar(select(Wristband.id).where(Wristband.event_id == event_id,
                                                             Wristband.uid == uid)) for uid in uids]
    raw_ids = [conn.execute(RAW_BAND_BY_UID, (ev, uid)).fetchone()[0] for uid in uids]
    if [i.hex if i else None for i in orm_ids] != raw_ids or orm_band_each() != len(uids):
        raise AssertionError("band by UID: the ORM and raw lookups found different bands")
    results.append(Result(QUERY_NAMES[2], 1, *time_pair(orm_band_each, raw_band, repeat, per=len(uids))))
    results.append(Result(QUERY_NAMES[3], 1, *time_pair(orm_band_shared, raw_band, repeat, per=len(uids))))

    # 4. Metrics of one series, computed fresh (the service also writes its cache row).
    def orm_metrics() -> SeriesMetrics:
        return series_metrics(store, actor, str(data.target_id), fresh=True)

    def raw_m() -> dict[str, Any]:
        return raw_metrics(conn, data)

    a_m, b_m = metrics_figures(orm_metrics()), raw_m()
    if a_m != b_m:
        diff = {k: (a_m[k], b_m[k]) for k in a_m if a_m[k] != b_m.get(k)}
        raise AssertionError(f"metrics: the service and the raw SQL disagree: {diff}")
    wrong = {k: (a_m[k], v) for k, v in data.expected.items() if a_m[k] != v}
    if wrong:
        raise AssertionError(f"metrics: the service disagrees with the generated data: {wrong}")
    results.append(Result(QUERY_NAMES[4], a_m["total_scans"], *time_pair(orm_metrics, raw_m, repeat)))
    return results


# --------------------------------------------------------------------------- query plans


def explain(conn: sqlite3.Connection, sql: str, params: Sequence[Any],
            table_rows: dict[str, int]) -> list[str]:
    """EXPLAIN QUERY PLAN as an indented tree; a SCAN of a big table is flagged."""
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    depth: dict[int, int] = {0: 0}
    lines: list[str] = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, 0) + 1
        line = "    " + "  " * depth[node] + detail
        words = detail.split()
        if words[:1] == ["SCAN"] and len(words) > 1 and table_rows.get(words[1], 0) >= BIG_TABLE_ROWS:
            line += f"   <-- !! full scan of {words[1]} ({table_rows[words[1]]:,} rows)"
        lines.append(line)
    return lines


def print_plans(conn: sqlite3.Connection, data: Dataset) -> None:
    org, ev, now = data.actor.organization_id.hex, data.event_id.hex, to_db(data.now)
    uid = data.lookup_uids[0]
    plans: list[tuple[str, str, Sequence[Any]]] = [
        (QUERY_NAMES[0], RAW_SERIES_OF_EVENT, (org, ev)),
        (QUERY_NAMES[1], RAW_ACTIVE_NOW, (org, SeriesStatus.ACTIVE.value, now, now)),
        ("band by UID", RAW_BAND_BY_UID, (ev, uid)),
    ]
    plans += [(f"metrics: {name}", sql, metrics_params(name, data)) for name, sql in RAW_METRICS.items()
              if name in ("assigned by category", "by result and reason", "by gate and result",
                          "entered by category", "inside now", "peak quarter-hours")]
    print("\nQuery plans of the raw SQL (the ORM sends the same statements)")
    for name, sql, params in plans:
        print(f"  {name}:")
        for line in explain(conn, sql, params, data.table_rows):
            print(line)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> tuple[Config, Path | None]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--bands", type=int, default=1_000_000, help="wristbands in the event")
    p.add_argument("--series", type=int, default=10_000, help="series in the event")
    p.add_argument("--checkins", type=int, default=200_000, help="check-ins of the target series")
    p.add_argument("--assignments", type=int, default=50_000,
                   help="bands assigned to the target series (at most half the bands)")
    p.add_argument("--lookups", type=int, default=1_000, help="random UIDs per band-lookup run")
    p.add_argument("--repeat", type=int, default=7, help="timed runs per query (the median is shown)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--db", type=Path, default=None,
                   help="database file to create (must not exist; kept afterwards). "
                        "Default: a temporary directory, removed at the end")
    args = p.parse_args(argv)
    if args.bands < 2 or args.series < 1 or args.checkins < 0 or args.repeat < 1 or args.lookups < 1:
        p.error("need --bands >= 2, --series >= 1, --checkins >= 0, --repeat >= 1, --lookups >= 1")
    if args.db is not None and args.db.exists():
        p.error(f"{args.db} exists; the benchmark builds a fresh database, give a new path")
    cfg = Config(args.bands, args.series, args.checkins, args.assignments, args.lookups, args.repeat,
                 args.seed)
    return cfg, args.db


def print_setup(data: Dataset) -> None:
    print("\nSetup (not the benchmark; no baseline)")
    print(f"  {'step':<54} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'in SQLite':>10}")
    for s in data.stats:
        if s.rows:
            print(f"  {s.name:<54} {s.rows:>10,} {s.seconds:>8.2f} {s.rows / s.seconds:>10,.0f} "
                  f"{s.insert_seconds:>9.2f}s")
        else:
            print(f"  {s.name:<54} {'':>10} {s.seconds:>8.2f}")


def print_results(results: list[Result], repeat: int) -> None:
    print(f"\nResults: median of {repeat} runs after 1 warm-up, ORM/service path vs raw sqlite3 "
          "(the baseline), same file, same run")
    print(f"  {'query':<36} {'rows':>8} {'ORM ms':>10} {'raw ms':>10} {'ORM/raw':>9}")
    for r in results:
        print(f"  {r.name:<36} {r.rows:>8,} {r.orm_ms:>10.3f} {r.raw_ms:>10.3f} {r.ratio:>8.1f}x")


def run(cfg: Config, path: Path) -> list[Result]:
    t0 = time.perf_counter()
    store, data = build(cfg, path)
    try:
        build_s = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
        print(f"Box office store benchmark: {cfg.bands:,} bands, {data.series_count:,} series "
              f"({data.active_now:,} active now), {data.expected['assigned_bands']:,} active assignments, "
              f"{data.expected['total_scans']:,} check-ins")
        print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
              f"SQLAlchemy {sqlalchemy.__version__}; {path} ({size / 2**20:,.0f} MiB), "
              f"built in {build_s:.1f} s")
        print_setup(data)
        conn = sqlite3.connect(path)
        try:
            results = run_queries(store, data, conn, cfg.repeat)
            print_results(results, cfg.repeat)
            print_plans(conn, data)
        finally:
            conn.close()
        return results
    finally:
        store.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    cfg, db = parse_args(argv)
    if db is not None:
        run(cfg, db.resolve())
        return 0
    with tempfile.TemporaryDirectory(prefix="boxoffice-bench-") as tmp:
        run(cfg, Path(tmp) / "bench.sqlite3")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    sys.exit(main())
