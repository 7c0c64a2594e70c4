"""A small festival to encode for, and reading bands back the way a gate does: nfcpy, then the signature."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus, GateKind
from boxoffice.services import events
from boxoffice.services import keys as keys_svc
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import SeriesWristbandAssignment, Wristband
from hardware.readers.sim import SimulatedField, SimulatedNtag
from hardware.readers.sim.device import simulated_reader

EVENT = "Summer Fest"
SERIES = "Day 1"


@dataclass(frozen=True)
class BandRow:
    uid: str
    status: BandStatus
    payload: bytes | None
    assigned: bool


def make_festival(store: Store, owner: Actor) -> None:
    events.create_event(store, owner, EVENT, "Europe/Amsterdam")
    for name in ("GA", "VIP"):
        events.add_category(store, owner, EVENT, name)
    events.add_gate(store, owner, EVENT, "Main", GateKind.ENTRY)
    start = datetime(2027, 7, 2, 10, 0, tzinfo=UTC)
    series_svc.create_series(store, owner, EVENT, SERIES, start, start + timedelta(hours=12), 100_000,
                             gates=["Main"])


def band_rows(store: Store) -> list[BandRow]:
    with store.read() as session:
        assigned = set(session.scalars(select(SeriesWristbandAssignment.wristband_id).where(
            SeriesWristbandAssignment.active.is_(True))))
        return [BandRow(b.uid, b.status, bytes.fromhex(b.payload) if b.payload else None, b.id in assigned)
                for b in session.scalars(select(Wristband))]


def read_record(band: SimulatedNtag) -> tuple[str, list[tuple[str, bytes]]]:
    """Tap ``band`` on a reader of its own and read its NDEF records with nfcpy, without a password."""
    field = SimulatedField([], auto_feed=False)
    field.place(band)
    reader = simulated_reader(field)
    with reader:
        session = reader.wait_for_tag(threading.Event(), timeout=5)
        assert session is not None
        with session:
            area = session.tag.ndef
            records = [] if area is None else [(r.type, bytes(r.data)) for r in area.records]
            return session.uid.hex().upper(), records


def verify_band(store: Store, actor: Actor, band: SimulatedNtag) -> pl.BandPayload:
    """What a gate does offline: the record read off the tag, checked against the event's public keys."""
    uid, records = read_record(band)
    assert len(records) == 1, f"band {uid} holds {records}"
    record_type, data = records[0]
    assert record_type == pl.RECORD_TYPE
    keys = {k: pl.public_key_from_raw(v) for k, v in keys_svc.public_keys(store, actor, EVENT).items()}
    return pl.verify_payload(data, bytes.fromhex(uid), keys)
