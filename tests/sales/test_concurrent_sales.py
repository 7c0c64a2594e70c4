"""The last places under load, through the real HTTP server: exactly the quota is sold, never more.

On SQLite and PostgreSQL with one server, and on PostgreSQL with two
separate server processes on one database (no lock of one process orders
the other's statements: only the conditional UPDATE on the counter row
does). Afterwards the kept counters equal a recount.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from boxoffice.domain.enums import Role
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.services import refunds, sales, waitlist
from boxoffice.services.actor import resolve_actor
from tests.helpers.sales import add_product, counters, recount_ok
from tests.helpers.seeding import Live, seed
from tests.helpers.servers import running_servers
from tests.helpers.stores import migrated_store

pytestmark = pytest.mark.slow  # tens of concurrent HTTP clients against live servers, some with two processes

QUOTA = 10
BUYERS = 40
STATIONS = 20


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("postgres-2-processes", marks=[pytest.mark.postgres, pytest.mark.slow])])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Live, list[str], str]]:
    """A seeded organization with "Day ticket" (quota 10), and the URLs of the servers serving it."""
    target = str(tmp_path / "server.sqlite3") if request.param == "sqlite" else request.getfixturevalue(
        "pg_database")
    store = migrated_store(target)
    live = seed(store, bands=2)
    product = add_product(store, resolve_actor(store, "owner@example.org"), quota=QUOTA)
    try:
        if request.param == "postgres-2-processes":
            with running_servers(target, count=2, log_dir=tmp_path) as urls:
                yield live, urls, str(product.id)
        else:
            embedded = EmbeddedServer(store)
            url = embedded.start()
            try:
                yield live, [url], str(product.id)
            finally:
                embedded.stop()
    finally:
        store.dispose()


def _all_at_once(n: int, urls: list[str], token: str, call: str, body: dict[str, object]) -> list[httpx.Response]:
    start = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        with httpx.Client(base_url=urls[i % len(urls)], headers={"Authorization": f"Bearer {token}"},
                          timeout=120) as http:
            start.wait()
            return http.post(call, json=body)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def test_forty_buyers_for_the_last_ten_places(served: tuple[Live, list[str], str]) -> None:
    live, urls, product_id = served
    body = {"lines": [{"product": product_id, "quantity": 1}], "payment": {"kind": "card", "card_reference": "T"}}
    answers = _all_at_once(BUYERS, urls, live.tokens[Role.STATION], "/api/orders", body)
    statuses = Counter(r.status_code for r in answers)
    assert statuses == {201: QUOTA, 409: BUYERS - QUOTA}, [r.text for r in answers if r.status_code not in (201, 409)]
    assert {r.json()["error"] for r in answers if r.status_code == 409} == {"sold_out"}
    assert len({r.json()["reference"] for r in answers if r.status_code == 201}) == QUOTA
    assert counters(live.store, product_id) == (QUOTA, QUOTA, 0)
    recount_ok(live.store)


def test_twenty_stations_lease_at_once_never_more_than_is_free(served: tuple[Live, list[str], str]) -> None:
    live, urls, product_id = served
    answers = _all_at_once(STATIONS, urls, live.tokens[Role.STATION], f"/api/products/{product_id}/leases",
                           {"size": 3, "station": "Box"})
    granted = [r.json()["size"] for r in answers if r.status_code == 201]
    assert {r.status_code for r in answers} <= {201, 409}
    assert sum(granted) == QUOTA and all(1 <= g <= 3 for g in granted)
    assert counters(live.store, product_id) == (QUOTA, 0, QUOTA)
    recount_ok(live.store)


def test_ten_refunds_of_one_order_at_once_refund_it_once(served: tuple[Live, list[str], str]) -> None:
    live, urls, product_id = served
    body = {"lines": [{"product": product_id, "quantity": 2}], "payment": {"kind": "card", "card_reference": "T"}}
    with httpx.Client(base_url=urls[0], headers={"Authorization": f"Bearer {live.tokens[Role.STATION]}"},
                      timeout=120) as http:
        sold = http.post("/api/orders", json=body)
    assert sold.status_code == 201, sold.text
    reference = sold.json()["reference"]
    answers = _all_at_once(10, urls, live.tokens[Role.MANAGER], f"/api/orders/{reference}/refunds",
                           {"reason": "Could not come"})
    statuses = Counter(r.status_code for r in answers)
    assert statuses[201] == 1 and set(statuses) <= {201, 409, 422}, [r.text for r in answers]
    assert answers[[r.status_code for r in answers].index(201)].json()["amount_minor"] > 0
    assert counters(live.store, product_id) == (QUOTA, 0, 0)  # the two places freed once, not twice
    recount_ok(live.store)


def test_ten_desks_selling_one_waitlist_offer_at_once_sell_it_once(served: tuple[Live, list[str], str]) -> None:
    live, urls, product_id = served
    manager = resolve_actor(live.store, "manager@example.org")
    orders = [sales.sell(live.store, manager, lines=[("Day ticket", 1)], payment=sales.Payment.card(f"T-{i}"))
              for i in range(QUOTA)]
    entry = waitlist.add(live.store, manager, "Day ticket", "Priya Nakamura", "+31 6 2345 6789")
    refunds.refund(live.store, manager, orders[0].reference, reason="Could not come")  # offered to Priya
    answers = _all_at_once(10, urls, live.tokens[Role.STATION], f"/api/waitlist/{entry.id}/accept",
                           {"payment": {"kind": "card", "card_reference": "W-1"}})
    statuses = Counter(r.status_code for r in answers)
    assert statuses[201] == 1 and set(statuses) <= {201, 409, 422}, [r.text for r in answers]
    assert counters(live.store, product_id) == (QUOTA, QUOTA, 0)  # the one freed place sold once
    recount_ok(live.store)
