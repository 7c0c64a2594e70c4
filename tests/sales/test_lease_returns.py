"""A lease's places go back once: settles and expiry sweeps racing from many threads return them once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

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
