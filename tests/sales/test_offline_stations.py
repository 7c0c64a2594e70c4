"""Stations sell offline from leases of places, then sync in either order: never more than the quota."""

from __future__ import annotations

from datetime import timedelta

import pytest

from boxoffice.domain.validation import LEASE_DURATION, LEASE_GRACE, MIN_LEASE
from boxoffice.errors import SoldOutError
from boxoffice.services import place_leases, sales
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.types import utcnow
from boxoffice.sync.state import rejected_entries
from tests.helpers.sales import add_product, counters, recount_ok
from tests.helpers.seeding import Live
from tests.helpers.sync import Station, sync

pytestmark = pytest.mark.slow  # two logged-in stations and a live server per test, 2-3 s

CARD = sales.Payment.card("T-1")


def _sell(store: Store, email: str, n: int, name: str = "Box") -> sales.OrderView:
    return sales.sell(store, resolve_actor(store, email), lines=[("Day ticket", n)], payment=CARD, station=name)


def _remaining(store: Store) -> int:
    return sum(h.remaining for h in place_leases.held(store))


@pytest.mark.parametrize("first", ["Box 1", "Box 2"])
def test_two_stations_sell_offline_and_sync_in_either_order(server: Live, station: Station, first: str) -> None:
    owner = resolve_actor(server.store, "owner@example.org")
    product = add_product(server.store, owner, quota=2 * MIN_LEASE)
    boxes = {"Box 1": (station("Box 1", "station@example.org"), "station@example.org"),
             "Box 2": (station("Box 2", "manager@example.org"), "manager@example.org")}
    for store, _ in boxes.values():  # each leased MIN_LEASE places when it logged in
        assert _remaining(store) == MIN_LEASE
    assert counters(server.store, product.id) == (10, 0, 10)
    # Offline: nobody syncs. Box 1 sells its whole lease, Box 2 most of it; nothing more is possible.
    box1, email1 = boxes["Box 1"]
    box2, email2 = boxes["Box 2"]
    _sell(box1, email1, 3)
    _sell(box1, email1, 2)
    with pytest.raises(SoldOutError, match="This station holds only 0 places of Day ticket"):
        _sell(box1, email1, 1)
    _sell(box2, email2, 4)
    assert [h.used_up for h in place_leases.held(box1)] == [True]
    assert place_leases.held(box2)[0].remaining == 1
    second = "Box 2" if first == "Box 1" else "Box 1"
    for name in (first, second):
        store, _ = boxes[name]
        sync(store)
        quota, sold, held = counters(server.store, product.id)
        assert sold + held <= quota
        recount_ok(server.store)
    quota, sold, held = counters(server.store, product.id)
    assert sold == 9 and sold + held <= quota == 10
    for store, _ in boxes.values():
        assert rejected_entries(store) == []


def test_a_sale_pushed_after_its_lease_was_returned(server: Live, station: Station) -> None:
    owner = resolve_actor(server.store, "owner@example.org")
    product = add_product(server.store, owner, quota=MIN_LEASE + 1)
    box = station("Box 1", "station@example.org")
    assert _remaining(box) == MIN_LEASE
    # The station stays away past its lease's end and the grace: the server takes the places back.
    later = utcnow() + LEASE_DURATION + LEASE_GRACE + timedelta(minutes=1)
    assert place_leases.reclaim_expired(server.store, now=later) == MIN_LEASE
    manager = resolve_actor(server.store, "manager@example.org")
    sales.sell(server.store, manager, lines=[("Day ticket", MIN_LEASE)], payment=CARD)
    # Its clock says the lease is still good: it sells 2. One place is free on the server, so the
    # first order (1 ticket) is kept there; the second (1 ticket) finds none and is refused.
    _sell(box, "station@example.org", 1)
    _sell(box, "station@example.org", 1)
    sync(box)
    refused = rejected_entries(box)
    assert len(refused) == 1 and refused[0].kind == "order.sell"
    assert "came after the station's lease of places had ended" in (refused[0].error or "")
    assert "Refund the buyer." in (refused[0].error or "")
    assert counters(server.store, product.id)[1] == MIN_LEASE + 1
    recount_ok(server.store)
