"""The door's calls that only the central server may decide: refunds, the waitlist, more places.

On a station logged in to a server (``store.mode == "station"``) a refund,
a waitlist entry, the list of whom to call and a lease of places are the
server's to decide: the local services refuse them with a sentence ("do
this online"). The Sales page calls these functions instead, which send
them to the server's REST routes (``programs/server/sales_routes.py``) with
the station's saved login token and a short timeout; on a database of its
own (no server) they call the services directly. Either way a failure is a
``BoxOfficeError`` with a sentence: the server's own refusal, or that it
cannot be reached.

Blocking (HTTP or a transaction): the desktop runs them through ``ui.ops``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from boxoffice.domain.validation import MIN_LEASE
from boxoffice.errors import SoldOutError
from boxoffice.schemas.sales import LeaseView, OrderView, RefundView, WaitlistEntryView
from boxoffice.services import place_leases, refunds, sales, waitlist
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
