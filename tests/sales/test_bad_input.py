"""Every bad input of the door sales is one sentence, and nothing is written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.domain.enums import Role
from boxoffice.domain.validation import MAX_QUANTITY_PER_LINE
from boxoffice.errors import BoxOfficeError, NotFoundError, SalesStateError, ValidationError
from boxoffice.services import organization, place_leases, products, refunds, sales, waitlist
from boxoffice.services.actor import resolve_actor
from tests.helpers.sales import Shop, add_product
from tests.helpers.stores import table_counts

CARD = sales.Payment.card("T-1")


def _refused(shop: Shop, call: Callable[[], object], error: type[BoxOfficeError], said: str) -> None:
    before = table_counts(shop.store)
    with pytest.raises(error) as caught:
        call()
    assert said in str(caught.value), str(caught.value)
    assert table_counts(shop.store) == before


def test_an_unknown_product(shop: Shop) -> None:
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Night ticket", 1)], payment=CARD),
             NotFoundError, "No product Night ticket was found.")


def test_a_sale_outside_the_sales_window(shop: Shop) -> None:
    now = datetime.now(UTC)
    add_product(shop.store, shop.owner, "Tomorrow", opens=now + timedelta(days=1), closes=now + timedelta(days=2))
    add_product(shop.store, shop.owner, "Yesterday", opens=now - timedelta(days=2), closes=now - timedelta(days=1))
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Tomorrow", 1)], payment=CARD),
             ValidationError, "Sales of Tomorrow open at")
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Yesterday", 1)], payment=CARD),
             ValidationError, "Sales of Yesterday closed at")


@pytest.mark.parametrize("quantity,said", [
    (0, "Sell at least one ticket; 0 is not a quantity."),
    (-3, "Sell at least one ticket; -3 is not a quantity."),
    (MAX_QUANTITY_PER_LINE + 1, f"At most {MAX_QUANTITY_PER_LINE} tickets in one sale"),
    (10**12, f"At most {MAX_QUANTITY_PER_LINE} tickets in one sale"),
])
def test_a_negative_zero_or_absurd_quantity(shop: Shop, quantity: int, said: str) -> None:
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Day ticket", quantity)], payment=CARD),
             ValidationError, said)


def test_two_lines_of_one_product_are_added_up_before_the_limit(shop: Shop) -> None:
    half = MAX_QUANTITY_PER_LINE // 2 + 1
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Day ticket", half), ("Day ticket", half)],
                                      payment=CARD),
             ValidationError, f"At most {MAX_QUANTITY_PER_LINE} tickets of Day ticket in one sale")


@pytest.mark.parametrize("price,said", [(-1, "A price cannot be negative"),
                                        (10**9, "A price can be at most 100,000.00")])
def test_a_negative_or_absurd_price(shop: Shop, price: int, said: str) -> None:
    _refused(shop, lambda: add_product(shop.store, shop.owner, "Odd", price_minor=price), ValidationError, said)
    _refused(shop, lambda: products.update_product(shop.store, shop.owner, "Day ticket", {"price_minor": price}),
             ValidationError, said)


def test_cash_tendered_less_than_the_total(shop: Shop) -> None:
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Day ticket", 2)],
                                      payment=sales.Payment.cash(4_000)),
             ValidationError, "Cash tendered (EUR 40.00) is less than the total (EUR 50.00): EUR 10.00 more is due.")


def test_a_card_without_reference_and_a_complimentary_ticket_without_reason(shop: Shop) -> None:
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Day ticket", 1)],
                                      payment=sales.Payment.card("  ")),
             ValidationError, "Type the card terminal's reference")
    _refused(shop, lambda: sales.sell(shop.store, shop.station, lines=[("Day ticket", 1)],
                                      payment=sales.Payment.complimentary("")),
             ValidationError, "Say the reason for the complimentary tickets.")


def test_a_refund_of_a_refunded_ticket(shop: Shop) -> None:
    order = sales.sell(shop.store, shop.station, lines=[("Day ticket", 2)], payment=CARD)
    first = order.tickets[0].code
    refunds.refund(shop.store, shop.manager, order.reference, reason="ill", ticket_codes=[first])
    _refused(shop, lambda: refunds.refund(shop.store, shop.manager, order.reference, reason="again",
                                          ticket_codes=[first]),
             SalesStateError, f"Ticket {first} of order {order.reference} was already refunded; nothing was refunded.")
    refunds.refund(shop.store, shop.manager, order.reference, reason="ill too")
    _refused(shop, lambda: refunds.refund(shop.store, shop.manager, order.reference, reason="again"),
             SalesStateError, f"Every ticket of order {order.reference} was already refunded")


def test_an_offer_to_a_person_already_served(shop: Shop) -> None:
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 10)], payment=CARD)
    entry = waitlist.add(shop.store, shop.station, "Day ticket", "Bo", "bo@example.org")
    refunds.refund(shop.store, shop.manager, sales_reference(shop), reason="swap")  # frees 10: Bo is offered one
    sales.accept_offer(shop.store, shop.station, entry.id, payment=CARD)
    _refused(shop, lambda: waitlist.offer(shop.store, shop.station, entry.id), SalesStateError,
             "Bo has already been served; nothing was offered.")
    _refused(shop, lambda: sales.accept_offer(shop.store, shop.station, entry.id, payment=CARD), SalesStateError,
             "Bo has already been served; nothing was sold.")


def sales_reference(shop: Shop) -> str:
    from sqlalchemy import select

    from boxoffice.store.models import Order

    with shop.store.read() as session:
        return str(session.scalars(select(Order.reference).order_by(Order.sold_at)).first())


def test_a_lease_request_for_a_product_of_another_organization(shop: Shop) -> None:
    organization.create_organization(shop.store, "Other Org", "boss@other.example.org")
    other = resolve_actor(shop.store, "boss@other.example.org")
    _refused(shop, lambda: place_leases.grant(shop.store, other, str(shop.product.id), 5, station="X"),
             NotFoundError, f"No product {shop.product.id} was found.")


def test_a_lease_of_no_places_and_a_settle_of_someone_elses_lease(shop: Shop) -> None:
    _refused(shop, lambda: place_leases.grant(shop.store, shop.station, "Day ticket", 0, station="X"),
             ValidationError, "A lease is of one place at least.")
    lease = place_leases.grant(shop.store, shop.station, "Day ticket", 3, station="X")
    _refused(shop, lambda: place_leases.settle(shop.store, shop.manager, lease.id), NotFoundError,
             f"No lease {lease.id} was found.")
    _refused(shop, lambda: place_leases.settle(shop.store, shop.manager, uuid.uuid4()), NotFoundError, "No lease")


def test_a_quota_below_what_is_sold_and_held(shop: Shop) -> None:
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 4)], payment=CARD)
    place_leases.grant(shop.store, shop.station, "Day ticket", 3, station="X")
    _refused(shop, lambda: products.update_product(shop.store, shop.manager, "Day ticket", {"quota": 6}),
             SalesStateError, "Day ticket has 4 sold and 3 held by stations' leases and waitlist offers; "
                              "its quota cannot go below 7. Nothing was changed.")


def test_who_may_do_what(shop: Shop) -> None:
    organization.add_member(shop.store, shop.owner, "m2@example.org", Role.MEMBER)
    member = resolve_actor(shop.store, "m2@example.org")
    order = sales.sell(shop.store, shop.station, lines=[("Day ticket", 1)], payment=CARD)
    _refused(shop, lambda: sales.sell(shop.store, member, lines=[("Day ticket", 1)], payment=CARD),
             BoxOfficeError, "may not sell tickets")
    _refused(shop, lambda: refunds.refund(shop.store, shop.station, order.reference, reason="x"),
             BoxOfficeError, "may not refund or void a sale")
    _refused(shop, lambda: add_product(shop.store, shop.station, "Mine"), BoxOfficeError,
             "may not set up products, prices and quotas")
