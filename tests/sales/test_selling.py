"""Selling at the counter through the services: orders, tickets, payments, the counters."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import PaymentKind
from boxoffice.errors import SoldOutError
from boxoffice.services import sales
from boxoffice.store.models import SeriesTicket, Ticket
from tests.helpers.sales import PRICE, Shop, counters, recount_ok


def test_a_cash_sale_makes_an_order_with_one_ticket_per_place(shop: Shop) -> None:
    order = sales.sell(shop.store, shop.station, lines=[("Day ticket", 3)], payment=sales.Payment.cash(10_000),
                       holder=sales.Holder(name="Ana", email="Ana@Example.org"), station="Box 1")
    assert len(order.reference) == 6
    assert [t.code for t in order.tickets] == [f"{order.reference}-{i}" for i in (1, 2, 3)]
    assert order.total_minor == 3 * PRICE and order.change_minor == 10_000 - 3 * PRICE
    assert order.holder_email == "ana@example.org"
    assert counters(shop.store, shop.product.id) == (10, 3, 0)
    with shop.store.read() as session:
        codes = set(session.scalars(select(Ticket.code).where(Ticket.id.in_([t.ticket_id for t in order.tickets]))))
        linked = session.scalars(select(SeriesTicket.series_id).where(
            SeriesTicket.ticket_id == order.tickets[0].ticket_id)).all()
    assert codes == {t.code for t in order.tickets}
    assert [str(s) for s in linked] == [shop.live.ids["series"]]
    recount_ok(shop.store)


def test_card_and_complimentary_sales(shop: Shop) -> None:
    card = sales.sell(shop.store, shop.manager, lines=[("Day ticket", 1)], payment=sales.Payment.card("T-991"))
    comp = sales.sell(shop.store, shop.manager, lines=[("Day ticket", 2)],
                      payment=sales.Payment.complimentary("band's guests"))
    assert card.payment is PaymentKind.CARD and card.card_reference == "T-991" and card.change_minor is None
    assert comp.total_minor == 0 and comp.comp_reason == "band's guests"
    assert all(t.price_minor == 0 for t in comp.tickets)
    assert sales.get_order(shop.store, shop.manager, comp.reference.lower()).id == comp.id


def test_the_last_places_and_then_sold_out(shop: Shop) -> None:
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 8)], payment=sales.Payment.card("x"))
    with pytest.raises(SoldOutError, match="Only 2 places of Day ticket are left; 3 were asked for"):
        sales.sell(shop.store, shop.station, lines=[("Day ticket", 3)], payment=sales.Payment.card("x"))
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 2)], payment=sales.Payment.card("x"))
    with pytest.raises(SoldOutError, match="Day ticket is sold out"):
        sales.sell(shop.store, shop.station, lines=[("Day ticket", 1)], payment=sales.Payment.card("x"))
    assert counters(shop.store, shop.product.id) == (10, 10, 0)
    recount_ok(shop.store)


def test_a_booking_reference_that_is_taken_is_replaced(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    first = sales.sell(shop.store, shop.station, lines=[("Day ticket", 1)], payment=sales.Payment.card("x"))
    drawn = iter([first.reference, "Z2Z2Z2"])
    monkeypatch.setattr(sales, "new_reference", lambda: next(drawn))
    second = sales.sell(shop.store, shop.station, lines=[("Day ticket", 2)], payment=sales.Payment.card("x"))
    assert second.reference == "Z2Z2Z2"
    assert [t.code for t in second.tickets] == ["Z2Z2Z2-1", "Z2Z2Z2-2"]
    recount_ok(shop.store)
