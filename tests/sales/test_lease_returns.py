"""A lease's places go back once: settles and expiry sweeps racing from many threads return them once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from boxoffice.domain.validation import LEASE_DURATION, LEASE_GRACE
from boxoffice.services import place_leases
from boxoffice.store.types import utcnow
from tests.helpers.sales import Shop, counters, recount_ok

THREADS = 8


def test_settles_and_sweeps_at_once_return_each_lease_once(shop: Shop) -> None:
    leases = [place_leases.grant(shop.store, shop.station, "Day ticket", 2, station=f"Box {i}") for i in range(4)]
    assert counters(shop.store, shop.product.id) == (10, 0, 8)
    later = utcnow() + LEASE_DURATION + LEASE_GRACE + timedelta(minutes=1)
    start = threading.Barrier(THREADS)

    def race(i: int) -> None:
        start.wait()
        if i % 2:
            place_leases.reclaim_expired(shop.store, now=later)
        else:
            for lease in leases:
                place_leases.settle(shop.store, shop.station, lease.id, now=later)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(race, range(THREADS)))
    assert counters(shop.store, shop.product.id) == (10, 0, 0)
    recount_ok(shop.store)


def test_a_lease_within_its_grace_is_kept(shop: Shop) -> None:
    place_leases.grant(shop.store, shop.station, "Day ticket", 3, station="Box")
    just_expired = utcnow() + LEASE_DURATION + LEASE_GRACE - timedelta(minutes=1)
    assert place_leases.reclaim_expired(shop.store, now=just_expired) == 0
    assert counters(shop.store, shop.product.id) == (10, 0, 3)


def test_a_station_never_sells_from_an_expired_lease(shop: Shop) -> None:
    from boxoffice.errors import SoldOutError
    from boxoffice.store.models import Product

    lease = place_leases.grant(shop.store, shop.station, "Day ticket", 3, station="Box")
    after = lease.expires_at + timedelta(seconds=1)
    with shop.store.write() as session:
        product = session.get_one(Product, shop.product.id)
        assert place_leases.take(session, product, 2, lease.expires_at - timedelta(seconds=1)) == [(lease.id, 2)]
    with shop.store.write() as session, pytest.raises(SoldOutError, match="holds only 0 places of Day ticket"):
        place_leases.take(session, session.get_one(Product, shop.product.id), 1, after)
    [held] = place_leases.held(shop.store, now=after)
    assert (held.remaining, held.used_up, held.expires_at) == (0, True, None)
