"""The door's calls that only the central server may decide: refunds, the waitlist, more places, products.

On a station logged in to a server (``store.mode == "station"``) a refund,
a waitlist entry, the list of whom to call, a lease of places and adding or
changing a product (its price, window and quota) are the server's to
decide: the local services refuse them with a sentence ("do this online").
The Sales page calls these functions instead, which send them to the
server's REST routes (``programs/server/sales_routes.py``) with the
station's saved login token and a short timeout; on a database of its own
(no server) they call the services directly. Either way a failure is a
``BoxOfficeError`` with a sentence: the server's own refusal, or that it
cannot be reached.

Blocking (HTTP or a transaction): the desktop runs them through ``ui.ops``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from boxoffice.domain.validation import MIN_LEASE
from boxoffice.errors import SoldOutError
from boxoffice.schemas.sales import LeaseView, OrderView, ProductView, RefundView, WaitlistEntryView
from boxoffice.services import place_leases, products, refunds, sales, waitlist
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.sync.client import SyncClient, SyncRefusedError

#: Seconds a door call waits for the server: a person is waiting at the counter.
TIMEOUT = 10.0


def through_server(store: Store) -> bool:
    """Whether the server decides (a station logged in to one) rather than this database."""
    return store.mode == "station"


def _client(store: Store) -> SyncClient:
    return SyncClient.from_store(store, timeout=TIMEOUT)


def refund(store: Store, actor: Actor, reference: str, *, reason: str,
           ticket_codes: Sequence[str] | None = None, station: str | None = None) -> RefundView:
    """Refund tickets of an order (all when ``ticket_codes`` is empty)."""
    codes = list(ticket_codes) if ticket_codes else None
    if not through_server(store):
        return refunds.refund(store, actor, reference, reason=reason, ticket_codes=codes, station=station)
    with _client(store) as client:
        client.push()  # an order sold here a moment ago must be the server's before it can refund it
        response = client.call("POST", f"/api/orders/{reference.strip().upper()}/refunds",
                               json={"reason": reason, "tickets": codes, "station": station})
    return RefundView.model_validate(response.json())


def get_order(store: Store, actor: Actor, reference: str) -> OrderView:
    """An order by its booking reference, with each ticket's ``refunded`` (the refund dialog's list)."""
    if not through_server(store):
        return sales.get_order(store, actor, reference)
    with _client(store) as client:
        client.push()  # an order sold here a moment ago is the server's to show
        response = client.call("GET", f"/api/orders/{reference.strip().upper()}")
    return OrderView.model_validate(response.json())


def accept_offer(store: Store, actor: Actor, entry_id: uuid.UUID, payment: sales.Payment, *,
                 station: str | None = None) -> OrderView:
    """Sell the place a waitlist offer holds to its person; a sentence when it ended or was served.

    Through a server, its sale is pulled at once so this station can link bands to its ticket.
    """
    if not through_server(store):
        return sales.accept_offer(store, actor, entry_id, payment=payment, station=station)
    with _client(store) as client:
        response = client.call("POST", f"/api/waitlist/{entry_id}/accept",
                               json={"payment": payment.model_dump(mode="json"), "station": station})
        order = OrderView.model_validate(response.json())
        client.pull()
    return order


def add_to_waitlist(store: Store, actor: Actor, product_id: uuid.UUID, name: str,
                    contact: str) -> WaitlistEntryView:
    if not through_server(store):
        return waitlist.add(store, actor, str(product_id), name, contact)
    with _client(store) as client:
        response = client.call("POST", f"/api/products/{product_id}/waitlist",
                               json={"name": name, "contact": contact})
    return WaitlistEntryView.model_validate(response.json())


def to_call(store: Store, actor: Actor) -> list[WaitlistEntryView]:
    """The open waitlist offers, soonest to expire first."""
    if not through_server(store):
        return waitlist.to_call(store, actor)
    with _client(store) as client:
        response = client.call("GET", "/api/waitlist/to-call")
    return [WaitlistEntryView.model_validate(v) for v in response.json()]


def lease_more(store: Store, product_id: uuid.UUID) -> LeaseView:
    """A new lease of a product whose places here ran out, at once rather than at the next sync.

    Sized as the sync sizes it (``place_leases.wanted``: from the recent
    sales); the used-up lease is given back at the next sync, after its
    sales are pushed.
    """
    with _client(store) as client:
        sizes = dict(place_leases.wanted(store, client.login.member_id))
        try:
            return client.lease(product_id, sizes.get(product_id, MIN_LEASE))
        except SyncRefusedError as exc:
            if exc.server_code == SoldOutError.code:  # the page then offers the waitlist
                raise SoldOutError(exc.message, product_id=product_id) from exc
            raise


def list_products(store: Store, actor: Actor, event_id: uuid.UUID) -> list[ProductView]:
    """An event's products with their counters (quota, sold, held), which only the server keeps."""
    if not through_server(store):
        return products.list_products(store, actor, str(event_id))
    with _client(store) as client:
        response = client.call("GET", "/api/products", params={"event_id": str(event_id)})
    return [ProductView.model_validate(v) for v in response.json()]


def _json(changes: dict[str, Any]) -> dict[str, Any]:
    """Times as ISO 8601 with their offset, lists as lists: what the REST routes read."""
    return {k: v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, (list, tuple)) else v
            for k, v in changes.items()}


def create_product(store: Store, actor: Actor, event_id: uuid.UUID, name: str, category: str,
                   series: Sequence[str], *, price_minor: int, currency: str, sales_opens_at: datetime,
                   sales_closes_at: datetime, quota: int) -> ProductView:
    """A new product (``category`` and ``series`` by id or name); through a server, pulled here at once."""
    if not through_server(store):
        return products.create_product(store, actor, str(event_id), name, category, list(series),
                                       price_minor=price_minor, currency=currency,
                                       sales_opens_at=sales_opens_at, sales_closes_at=sales_closes_at,
                                       quota=quota)
    body = _json({"event_id": str(event_id), "name": name, "category": category, "series": list(series),
                  "price_minor": price_minor, "currency": currency, "sales_opens_at": sales_opens_at,
                  "sales_closes_at": sales_closes_at, "quota": quota})
    with _client(store) as client:
        response = client.call("POST", "/api/products", json=body)
        made = ProductView.model_validate(response.json())
        client.pull()  # the station sells it from the next lease: it must know the product
    return made


def update_product(store: Store, actor: Actor, product_id: uuid.UUID, changes: dict[str, Any]) -> ProductView:
    """Change only the fields in ``changes`` (``products.FIELDS``); a quota below sold and held is refused."""
    if not through_server(store):
        return products.update_product(store, actor, str(product_id), dict(changes))
    with _client(store) as client:
        response = client.call("PATCH", f"/api/products/{product_id}", json=_json(changes))
        changed = ProductView.model_validate(response.json())
        client.pull()
    return changed
