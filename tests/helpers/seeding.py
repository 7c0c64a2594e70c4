"""Organizations, events and bands made through the services, as a test's starting data.

``seed`` builds the organization a live server holds (a member of every role
logged in with ``PASSWORD``, an event, gates, an active series with bands)
and returns its ``Live`` record; ``add_bands`` inserts bands as the encoder
leaves them; ``Festival`` is what the services' ``festival`` fixture returns.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import insert, select

from boxoffice.domain.enums import BandStatus, GateKind, Role
from boxoffice.schemas.event import EventView
from boxoffice.schemas.series import SeriesView
from boxoffice.services import auth, events, organization
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Wristband

PASSWORD = "correct horse battery"


@dataclass
class Festival:
    """The services' ``festival`` fixture: an event with GA, VIP and Staff, three gates and a draft "Day 1"."""

    event: EventView
    day: SeriesView
    start: datetime


def add_bands(store: Store, event_id: uuid.UUID, category: str, n: int,
              status: BandStatus = BandStatus.ACTIVE, prefix: str = "04") -> list[str]:
    """Bands as the encoder will leave them (the encoder arrives with the NFC issue)."""
    rng = random.Random(f"{category}{n}{status}{prefix}")
    with store.write() as session:
        cat_id = session.scalars(
            select(Category.id).where(Category.event_id == event_id, Category.name == category)
        ).one()
        uids = [prefix + "".join(f"{rng.randrange(256):02X}" for _ in range(6)) for _ in range(n)]
        session.execute(insert(Wristband), [
            {"event_id": event_id, "category_id": cat_id, "uid": u, "status": status} for u in uids
        ])
    return uids


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
