"""A station's SQLite file with one event, ``gates`` gates and ``checkins`` check-ins today (bench data).

The event, its gates, categories and one active series go through the
services; the check-ins are bulk inserted with raw ``executemany`` (the
values encoded as the ORM stores them on SQLite, as in ``bench_store.py``),
spread over today from local 06:00 to now in the event's time zone.
"""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from boxoffice.domain.enums import CheckinResult, GateKind, Reason, SeriesStatus
from boxoffice.services import events, organization
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store

TZ = "Europe/Amsterdam"
EVENT = "Bench Fest"
CHUNK = 50_000
DENIALS = (Reason.UNKNOWN_BAND, Reason.ALREADY_INSIDE, Reason.NOT_ASSIGNED, Reason.BAND_VOID)
INSERT = ("INSERT INTO checkins (id, client_scan_id, event_id, series_id, gate_id, wristband_id, uid, "
          "direction, result, reason, device_id, occurred_at, recorded_at) "
          "VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)")


@dataclass
class BenchData:
    store: Store
    actor: Actor
    event_id: uuid.UUID
    series_id: uuid.UUID
    gate_ids: list[uuid.UUID]
    path: Path


def sqlite_time(value: datetime) -> str:
    v = value.astimezone(UTC)
    return v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond:06d}"


def build(path: Path, gates: int, checkins: int, now: datetime, seed: int = 6) -> BenchData:
    store = open_store(path)
    organization.create_organization(store, "Bench Org", "owner@example.org")
    owner = resolve_actor(store, "owner@example.org")
    ev = events.create_event(store, owner, EVENT, TZ)
    for name in ("GA", "VIP"):
        events.add_category(store, owner, EVENT, name)
    gate_ids = [events.add_gate(store, owner, EVENT, f"Gate {i + 1:02d}", GateKind.BOTH).id
                for i in range(gates)]
    tz = ZoneInfo(TZ)
    local = now.astimezone(tz)
    opens = max(local.replace(hour=6, minute=0, second=0, microsecond=0),
                local - timedelta(hours=local.hour, minutes=local.minute) + timedelta(minutes=1))
    if opens >= local:  # just after midnight: the day so far is a few minutes
        opens = local - timedelta(minutes=1)
    series = svc.create_series(store, owner, EVENT, "Today", opens, local + timedelta(hours=8), 1_000_000,
                               gates=[f"Gate {i + 1:02d}" for i in range(gates)]).series
    svc.transition_series(store, owner, str(series.id), SeriesStatus.SCHEDULED, "bench")
    svc.transition_series(store, owner, str(series.id), SeriesStatus.ACTIVE, "bench")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    rows = checkin_rows(random.Random(seed), ev.id, series.id, gate_ids, opens, now, checkins)
    while True:
        chunk = [r for _, r in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            break
        conn.execute("BEGIN")
        conn.executemany(INSERT, chunk)
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return BenchData(store, owner, ev.id, series.id, gate_ids, path)


def checkin_rows(rng: random.Random, event_id: uuid.UUID, series_id: uuid.UUID, gate_ids: list[uuid.UUID],
                 start: datetime, end: datetime, n: int) -> Iterator[tuple[object, ...]]:
    span = (end - start).total_seconds()
    for i in range(n):
        yield one_row(rng, event_id, series_id, gate_ids, start + timedelta(seconds=span * i / max(n, 1)))


def one_row(rng: random.Random, event_id: uuid.UUID, series_id: uuid.UUID, gate_ids: list[uuid.UUID],
            at: datetime) -> tuple[object, ...]:
    gate = rng.randrange(len(gate_ids))
    denied = rng.random() < 0.06
    reason = rng.choice(DENIALS) if denied else Reason.OK
    result = CheckinResult.DENIED if denied else CheckinResult.ALLOWED
    text = sqlite_time(at)
    return (uuid.uuid4().hex, uuid.uuid4().hex, event_id.hex, series_id.hex, gate_ids[gate].hex,
            f"04{rng.getrandbits(48):012X}", "in", result.value, reason.value,
            f"Gate {gate + 1:02d} #{rng.randint(1, 2)}", text, text)
