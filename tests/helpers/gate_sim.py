"""Who the gate-traffic runs act as, and the ``Festival`` record the ``tests/sim`` ``festival`` fixture serves."""

from __future__ import annotations

from dataclasses import dataclass

from boxoffice.store.database import Store

PASSWORD = "gate traffic password"
GATE_DEVICE = "gate-1@example.org"
MANAGER = "manager@example.org"


@dataclass
class Festival:
    url: str
    store: Store
    series_id: str  # Day 1, active, with a day of check-ins already
