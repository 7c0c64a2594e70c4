"""Products set up from a station logged in to a server: ``sync.door`` sends them to the server's routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from boxoffice.errors import BoxOfficeError
from boxoffice.services import products
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import Event, Product
from boxoffice.sync import door
from tests.helpers.seeding import Live
from tests.helpers.sync import Station


@pytest.mark.slow
def test_a_station_adds_and_changes_a_product_through_the_server(server: Live, station: Station) -> None:
    box = station("Box 1", "manager@example.org")
    manager = resolve_actor(box, "manager@example.org")
    assert door.through_server(box)
    with box.read() as session:
        event_id = session.scalars(select(Event.id).where(Event.name == "Gate Fest")).one()
    now = datetime.now(UTC)
    made = door.create_product(box, manager, event_id, "Evening pass", "GA", ["Today"], price_minor=4_500,
                               currency="EUR", sales_opens_at=now - timedelta(hours=1),
                               sales_closes_at=now + timedelta(hours=6), quota=40)
    owner = resolve_actor(server.store, "owner@example.org")
    on_server = products.get_product(server.store, owner, "Evening pass")
    assert (on_server.id, on_server.quota, on_server.price_minor) == (made.id, 40, 4_500)
    with box.read() as session:  # pulled at once: the station can sell it
        assert session.scalar(select(func.count()).select_from(Product).where(Product.id == made.id)) == 1

    changed = door.update_product(box, manager, made.id, {"quota": 60, "price_minor": 5_000})
    assert (changed.quota, changed.price_minor) == (60, 5_000)
    assert [p.quota for p in door.list_products(box, manager, event_id) if p.id == made.id] == [60]

    # The server's refusal is the sentence, and nothing changes there.
    with pytest.raises(BoxOfficeError, match="close"):
        door.update_product(box, manager, made.id, {"sales_closes_at": now - timedelta(hours=2)})
    assert products.get_product(server.store, owner, "Evening pass").quota == 60
