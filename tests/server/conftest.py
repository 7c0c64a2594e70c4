"""A real central server (uvicorn) on a free loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from boxoffice.domain.enums import GateKind, Role
from boxoffice.server.embedded import EmbeddedServer
from boxoffice.services import auth, events, organization
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from tests.helpers.stores import migrated_store
from tests.services.conftest import add_bands

PASSWORD = "correct horse battery"


class Clock:
    """What the server reads as now for its login limits: stands still until a test moves it.

    Waits are proved by moving this clock past a Retry-After, never by sleeping.
    """

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Live:
    url: str
    store: Store
    tokens: dict[Role, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    bands: list[str] = field(default_factory=list)
    clock: Clock = field(default_factory=Clock)

    def client_at(self, address: str) -> httpx.Client:
        """An anonymous client whose requests come from ``address`` (any 127.x.y.z: all are this machine)."""
        return httpx.Client(base_url=self.url, timeout=30,
                            transport=httpx.HTTPTransport(local_address=address))

    def client(self, role: Role | None = Role.OWNER, token: str | None = None) -> httpx.Client:
        headers = {}
        if token or role is not None:
            headers["Authorization"] = f"Bearer {token or self.tokens[role]}"  # type: ignore[index]
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def seed(store: Store, *, bands: int = 20, capacity: int = 10_000) -> Live:
    """An organization with a member of every role (password ``PASSWORD``, logged in), an event
    with GA and VIP, gates Main (entry) and Exit, and an active series "Today" (``capacity``)
    with ``bands`` GA bands assigned."""
    organization.create_organization(store, "Gate Org", "owner@example.org")
    owner = resolve_actor(store, "owner@example.org")
    live = Live("", store)
    for role in Role:
        email = f"{role.value}@example.org"
        if role is not Role.OWNER:
            organization.add_member(store, owner, email, role)
        auth.set_password(store, owner, email, PASSWORD)
        live.tokens[role] = auth.login(store, email, PASSWORD)[0]
    ev = events.create_event(store, owner, "Gate Fest", "Europe/Amsterdam")
    for name in ("GA", "VIP"):
        live.ids[f"cat:{name}"] = str(events.add_category(store, owner, "Gate Fest", name).id)
    live.ids["gate:Main"] = str(events.add_gate(store, owner, "Gate Fest", "Main", GateKind.ENTRY).id)
    live.ids["gate:Exit"] = str(events.add_gate(store, owner, "Gate Fest", "Exit", GateKind.EXIT).id)
    now = datetime.now(UTC)
    day = svc.create_series(store, owner, "Gate Fest", "Today", now - timedelta(hours=2),
                            now + timedelta(hours=6), capacity, gates=["Main", "Exit"]).series
    live.ids["event"], live.ids["series"] = str(ev.id), str(day.id)
    live.bands = add_bands(store, ev.id, "GA", bands)
    from boxoffice.domain.enums import SeriesStatus
    from boxoffice.services import assignments

    assignments.assign_bands(store, owner, str(day.id), category_ref="GA")
    svc.transition_series(store, owner, str(day.id), SeriesStatus.SCHEDULED, "ok")
    svc.transition_series(store, owner, str(day.id), SeriesStatus.ACTIVE, "ok")
    return live


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Live]:
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database"
    )
    store = migrated_store(target)
    state = seed(store)
    server = EmbeddedServer(store, clock=state.clock)
    state.url = server.start()
    try:
        yield state
    finally:
        server.stop()
        store.dispose()
