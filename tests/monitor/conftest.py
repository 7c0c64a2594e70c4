"""An event with three gates and an active series over a real SQLite file, and raw check-ins for it.

Check-ins are inserted as rows (as the sync pull inserts them), not through
the access decision: the monitor counts what is stored, whatever decided it.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.domain.enums import CheckinResult, Direction, GateKind, Reason, SeriesStatus
from boxoffice.services import events
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Checkin

TZ = "Europe/Amsterdam"
#: 14:00 in Amsterdam (CET, UTC+1): the middle of a festival day.
NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
_ids = itertools.count()


@dataclass
class Fest:
    event_id: uuid.UUID
    series_id: uuid.UUID
    gates: dict[str, uuid.UUID]


@pytest.fixture
def fest(store: Store, owner: Actor) -> Fest:
    ev = events.create_event(store, owner, "Gate Fest", TZ)
    gates = {name: events.add_gate(store, owner, "Gate Fest", name, GateKind.BOTH).id
             for name in ("North", "South", "West")}
    series = svc.create_series(store, owner, "Gate Fest", "Day 1", NOW - timedelta(hours=4),
                               NOW + timedelta(hours=8), 100, gates=["North", "South"],
                               checkin_opens_at=NOW - timedelta(hours=5)).series
    svc.transition_series(store, owner, str(series.id), SeriesStatus.SCHEDULED, "test")
    svc.transition_series(store, owner, str(series.id), SeriesStatus.ACTIVE, "test")
    return Fest(ev.id, series.id, gates)


def tap(store: Store, fest: Fest, gate: str, at: datetime, *, denied: Reason | None = None,
        device: str = "pole 1") -> None:
    taps(store, fest, [(gate, at, denied, device)])


def taps(store: Store, fest: Fest,
         rows: list[tuple[str, datetime, Reason | None, str]]) -> None:
    with store.write() as session:
        session.add_all([
            Checkin(client_scan_id=f"scan-{next(_ids)}", event_id=fest.event_id, series_id=fest.series_id,
                    gate_id=fest.gates[gate], uid="04AABBCCDDEEFF", direction=Direction.IN,
                    result=CheckinResult.DENIED if reason else CheckinResult.ALLOWED,
                    reason=reason or Reason.OK, device_id=device, occurred_at=at)
            for gate, at, reason, device in rows
        ])
