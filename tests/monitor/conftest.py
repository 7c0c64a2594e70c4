"""An event with three gates and an active series over a real SQLite file (check-ins: ``tests/helpers/monitor.py``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from boxoffice.domain.enums import GateKind, SeriesStatus
from boxoffice.services import events
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.monitor import NOW, TZ, Fest


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
