"""Raw check-ins for the monitor tests, inserted as rows (as the sync pull inserts them).

``Fest`` is what the ``tests/monitor`` ``fest`` fixture returns: an event
in ``TZ`` with three gates and a series active at ``NOW``. ``tap`` and
``taps`` bypass the access decision: the monitor counts what is stored,
whatever decided it.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from boxoffice.domain.enums import CheckinResult, Direction, Reason
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
