"""The sales routes for every role: the permission table's answer, and a refusal writes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import Action, may
from boxoffice.services import sales
from boxoffice.services.actor import resolve_actor
from tests.helpers.sales import add_product
from tests.helpers.seeding import Live
from tests.helpers.stores import table_counts


def _calls(live: Live, product_id: str, reference: str) -> list[tuple[Action, str, str, dict | None]]:
    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:6]
    return [
        (Action.VIEW_PRODUCTS, "GET", "/api/products", None),
        (Action.MANAGE_PRODUCTS, "POST", "/api/products", {
            "event_id": live.ids["event"], "name": f"P {tag}", "category": "GA", "series": ["Today"],
            "price_minor": 1000, "currency": "EUR", "sales_opens_at": (now - timedelta(hours=1)).isoformat(),
            "sales_closes_at": (now + timedelta(hours=1)).isoformat(), "quota": 5}),
        (Action.MANAGE_PRODUCTS, "PATCH", f"/api/products/{product_id}", {"price_minor": 2600}),
        (Action.SELL, "POST", "/api/orders", {"lines": [{"product": product_id, "quantity": 1}],
                                              "payment": {"kind": "cash", "tendered_minor": 5000}}),
        (Action.SELL, "GET", f"/api/orders/{reference}", None),
        (Action.SELL, "POST", f"/api/products/{product_id}/leases", {"size": 2, "station": tag}),
        (Action.REFUND, "POST", f"/api/orders/{reference}/refunds", {"reason": "test"}),
        (Action.SELL, "GET", "/api/waitlist/to-call", None),
        (Action.VIEW_OWN_SALES, "GET", "/api/cash-up", None),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("role", list(Role))
def test_every_role_on_every_sales_route(live: Live, role: Role) -> None:
    owner = resolve_actor(live.store, "owner@example.org")
    product = add_product(live.store, owner, f"Day {role.value}", quota=50)
    order = sales.sell(live.store, owner, lines=[(str(product.id), 1)], payment=sales.Payment.card("T"))
    start, end = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
    with live.client(role) as client:
        for action, method, path, body in _calls(live, str(product.id), order.reference):
            params = {"start": start.isoformat(), "end": end.isoformat()} if path == "/api/cash-up" else None
            before = table_counts(live.store) if method != "GET" else None
            answer = client.request(method, path, json=body, params=params)
            if may(role, action):
                assert answer.status_code < 300, (role, path, answer.text)
            else:
                assert answer.status_code == 403, (role, path, answer.text)
                assert f"Your role ({role.value}) may not" in answer.json()["message"]
                if before is not None:
                    assert table_counts(live.store) == before
