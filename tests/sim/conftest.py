"""A real central server on loopback holding the seeded demo festival, for gate-traffic runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import BandStatus
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.programs.sim.demo import OWNER, seed_festival
from boxoffice.services import auth, band_status, series
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import SeriesWristbandAssignment, Wristband
from tests.helpers.gate_sim import GATE_DEVICE, MANAGER, PASSWORD, Festival
from tests.helpers.stores import migrated_store


@pytest.fixture(scope="module")
def festival(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Festival]:
    store = migrated_store(tmp_path_factory.mktemp("gate-sim") / "server.sqlite3")
    summary = seed_festival(store, bands=400, seed=5)
    owner = resolve_actor(store, OWNER)
    for email in (GATE_DEVICE, MANAGER):
        auth.set_password(store, owner, email, PASSWORD)
    day1 = next(s for s in series.list_series(store, owner, summary.event) if s.name == summary.series[0])
    # Bands voided or reported lost during the day stay assigned: the gates still list them.
    with store.read() as session:
        assigned = list(session.scalars(
            select(Wristband.uid).join(SeriesWristbandAssignment,
                                       SeriesWristbandAssignment.wristband_id == Wristband.id)
            .where(SeriesWristbandAssignment.series_id == day1.id, Wristband.status == BandStatus.ACTIVE)
            .order_by(Wristband.uid).limit(12)))
    for uid in assigned[:8]:
        band_status.void_band(store, owner, uid, reason="Cut off and handed in")
    for uid in assigned[8:]:
        band_status.mark_lost(store, owner, uid, reason="Reported lost")
    server = EmbeddedServer(store)
    url = server.start()
    try:
        yield Festival(url, store, str(day1.id))
    finally:
        server.stop()
        store.dispose()
