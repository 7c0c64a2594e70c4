"""A shop for the door-sales tests: a seeded organization with products, on SQLite or PostgreSQL.

``open_shop`` seeds an organization (``tests.helpers.seeding.seed``: the
event "Gate Fest" with GA and VIP and the active series "Today") and adds
the product "Day ticket" (GA, 25.00 EUR, on sale now) with the quota asked
for; ``recount_ok`` is the invariant every concurrency test ends on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from boxoffice.domain.enums import Role
from boxoffice.schemas.sales import ProductView
from boxoffice.services import products, quotas
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import ProductCounter
from tests.helpers.seeding import Live, seed
from tests.helpers.stores import migrated_store

PRICE = 2500


@dataclass
class Shop:
    live: Live
    store: Store
    owner: Actor
    manager: Actor
    station: Actor
    product: ProductView

    def actor(self, role: Role) -> Actor:
        return resolve_actor(self.store, f"{role.value}@example.org")


def add_product(store: Store, owner: Actor, name: str = "Day ticket", *, quota: int = 10,
                price_minor: int = PRICE, opens: datetime | None = None,
                closes: datetime | None = None, category: str = "GA") -> ProductView:
    now = datetime.now(UTC)
    return products.create_product(
        store, owner, "Gate Fest", name, category, ["Today"], price_minor=price_minor, currency="EUR",
        sales_opens_at=opens or now - timedelta(hours=1), sales_closes_at=closes or now + timedelta(hours=8),
        quota=quota)


@contextmanager
def open_shop(target: str | Path, *, quota: int = 10) -> Iterator[Shop]:
    store = migrated_store(target)
    try:
        live = seed(store, bands=4)
        owner = resolve_actor(store, "owner@example.org")
        yield Shop(live, store, owner, resolve_actor(store, "manager@example.org"),
                   resolve_actor(store, "station@example.org"), add_product(store, owner, quota=quota))
    finally:
        store.dispose()


def counters(store: Store, product_id: uuid.UUID | str) -> tuple[int, int, int]:
    """(quota, sold, held) of a product as kept now."""
    with store.read() as session:
        return quotas.counters(session, uuid.UUID(str(product_id)))


def recount_ok(store: Store) -> None:
    """The kept counters equal a recount of tickets (sold) and of leases and offers (held), within quota."""
    with store.read() as session:
        assert quotas.mismatches(session) == []
        assert session.scalar(select(func.count()).select_from(ProductCounter).where(
            ProductCounter.sold + ProductCounter.held > ProductCounter.quota)) == 0
