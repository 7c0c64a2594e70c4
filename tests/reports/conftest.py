"""One demo festival for every report test: seeded once per module (reports only read it).

The demo's own gates and categories, plus names in several scripts (a gate called 東京 Gate, a
category Ørsted, a member Zoë from Łódź) with taps at that gate, so every report has a name to
render that DejaVu alone cannot. Seeded at a fixed evening, so a report's hours are one day's
whatever the hour the tests run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from boxoffice.domain.enums import Direction, GateKind, Role
from boxoffice.programs.sim.demo import EVENT, OWNER, seed_festival
from boxoffice.services import checkins, events, organization, series
from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from tests.helpers.clock import FESTIVAL_EVENING
from tests.helpers.reports import MIXED_CATEGORY, MIXED_GATE, MIXED_MEMBER, Demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = tmp_path_factory.mktemp("reports") / "demo.sqlite3"
    store = open_store(path)
    seed_festival(store, bands=300, now=FESTIVAL_EVENING)
    owner = resolve_actor(store, OWNER)
    events.add_category(store, owner, EVENT, MIXED_CATEGORY)
    events.add_gate(store, owner, EVENT, MIXED_GATE, GateKind.ENTRY)
    organization.add_member(store, owner, "zoe@example.org", Role.ADMIN, MIXED_MEMBER)
    zoe = resolve_actor(store, "zoe@example.org")
    # Day 1 does not use the new gate: each tap there is denied (gate_not_in_series), and counted.
    for i in range(3):
        checkins.record_tap(store, owner, "Day 1", MIXED_GATE, f"04AABBCCDDEE{i:02X}", Direction.IN,
                            client_scan_id=str(uuid.uuid4()), device_id="Zoë's scanner",
                            now=FESTIVAL_EVENING)
    series.transition_series(store, zoe, "Day 3", "cancelled", "Storm warning for Łódź and 東京")
    yield Demo(store, owner, resolve_actor(store, "viewer@example.org"), path)
    store.dispose()
