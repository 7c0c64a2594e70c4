"""Refunds (the band denied at the gate afterwards), the waitlist's offers, and the cash-up's figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from boxoffice.domain.enums import Direction, PaymentKind, WaitlistStatus
from boxoffice.domain.validation import OFFER_DURATION
from boxoffice.errors import DuplicateError
from boxoffice.services import (
    cashup,
    checkins,
    encoding_bands,
    encoding_batches,
    products,
    refunds,
    sales,
    waitlist,
)
from boxoffice.store.types import utcnow
from tests.helpers.sales import PRICE, Shop, counters, recount_ok

CARD = sales.Payment.card("T-1")


def _encode(shop: Shop, uid: str, ticket_code: str) -> None:
    batch = encoding_batches.start_batch(shop.store, shop.owner, event_ref="Gate Fest", category_ref="GA",
                                         series_refs=["Today"], requested=None, station="Box 1").id
    plan = encoding_bands.plan_band(shop.store, shop.owner, batch_id=batch, uid=uid, ticket_ref=ticket_code)
    encoding_bands.activate_band(shop.store, shop.owner, batch_id=batch, band_id=plan.band_id)


def _tap(shop: Shop, uid: str, direction: Direction = Direction.IN) -> str:
    return checkins.record_tap(shop.store, shop.owner, "Today", "Main" if direction is Direction.IN else "Exit",
                               uid, direction).reason.value


def test_a_refunded_tickets_band_is_denied_at_the_gate(shop: Shop) -> None:
    order = sales.sell(shop.store, shop.station, lines=[("Day ticket", 2)], payment=sales.Payment.cash(5_000))
    kept, refunded = order.tickets
    _encode(shop, "04AA000000000A", kept.code)
    _encode(shop, "04AA000000000B", refunded.code)
    assert _tap(shop, "04AA000000000B") == "ok"
    assert _tap(shop, "04AA000000000B", Direction.OUT) == "exit_ok"
    refund = refunds.refund(shop.store, shop.manager, order.reference, reason="could not come",
                            ticket_codes=[refunded.code.lower()], station="Box 1")
    assert refund.amount_minor == PRICE and refund.payment is PaymentKind.CASH
    assert refund.ticket_codes == [refunded.code]
    assert _tap(shop, "04AA000000000B") == "band_void"
    assert _tap(shop, "04AA000000000A") == "ok"
    assert counters(shop.store, shop.product.id) == (10, 1, 0)
    after = sales.get_order(shop.store, shop.manager, order.reference)
    assert [t.refunded for t in after.tickets] == [False, True]
    recount_ok(shop.store)


def test_freed_places_are_offered_in_order_and_an_offer_expires_to_the_next(shop: Shop) -> None:
    full = sales.sell(shop.store, shop.station, lines=[("Day ticket", 10)], payment=CARD)
    ana = waitlist.add(shop.store, shop.station, "Day ticket", "Ana", "+31 6-1234 5678")
    bo = waitlist.add(shop.store, shop.station, "Day ticket", "Bo", "bo@example.org")
    assert waitlist.to_call(shop.store, shop.station) == []
    refunds.refund(shop.store, shop.manager, full.reference, reason="one less", ticket_codes=[full.tickets[0].code])
    [offer] = waitlist.to_call(shop.store, shop.station)
    assert offer.id == ana.id and offer.status is WaitlistStatus.OFFERED
    assert offer.offer_expires_at is not None and offer.offered_at is not None
    assert offer.offer_expires_at - offer.offered_at == OFFER_DURATION
    assert counters(shop.store, shop.product.id) == (10, 9, 1)  # the offer holds the freed place
    recount_ok(shop.store)
    # Ana does not answer: her offer ends and Bo gets the place.
    with shop.store.write() as session:
        waitlist.expire_offers(session, shop.product.id, utcnow() + OFFER_DURATION + timedelta(seconds=1))
    [offer] = waitlist.to_call(shop.store, shop.station)
    assert offer.id == bo.id
    order = sales.accept_offer(shop.store, shop.station, bo.id, payment=CARD)
    assert order.holder_name == "Bo" and len(order.tickets) == 1
    assert counters(shop.store, shop.product.id) == (10, 10, 0)
    assert [e.status for e in waitlist.entries(shop.store, shop.station, "Day ticket")] == [
        WaitlistStatus.EXPIRED, WaitlistStatus.SERVED]
    recount_ok(shop.store)


def test_a_raised_quota_is_offered_to_the_waitlist_first(shop: Shop) -> None:
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 10)], payment=CARD)
    waitlist.add(shop.store, shop.station, "Day ticket", "Ana", "ana@example.org")
    view = products.update_product(shop.store, shop.manager, "Day ticket", {"quota": 12})
    assert (view.quota, view.sold, view.held, view.free) == (12, 10, 1, 1)
    assert [e.name for e in waitlist.to_call(shop.store, shop.station)] == ["Ana"]


def test_one_entry_per_person_and_product(shop: Shop) -> None:
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 10)], payment=CARD)
    waitlist.add(shop.store, shop.station, "Day ticket", "Ana", "+31 6 1234 5678")
    with pytest.raises(DuplicateError, match="already exists for Day ticket"):
        waitlist.add(shop.store, shop.station, "Day ticket", "Ana again", "+31612345678")


def test_the_cash_up_per_station_and_operator(shop: Shop) -> None:
    start = utcnow() - timedelta(minutes=1)
    cash = sales.sell(shop.store, shop.station, lines=[("Day ticket", 2)], payment=sales.Payment.cash(6_000),
                      station="Box 1")
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 1)], payment=CARD, station="Box 1")
    sales.sell(shop.store, shop.manager, lines=[("Day ticket", 3)], payment=sales.Payment.complimentary("press"),
               station="Box 2")
    refunds.refund(shop.store, shop.manager, cash.reference, reason="wrong day", ticket_codes=[cash.tickets[0].code],
                   station="Box 2")
    report = cashup.cash_up(shop.store, shop.manager, start=start, end=utcnow() + timedelta(minutes=1))
    groups = {(g.station, g.operator): g for g in report.groups}
    box1 = groups[("Box 1", "station@example.org")]
    assert {(s.payment, s.tickets, s.amount_minor) for s in box1.sales} == {
        (PaymentKind.CASH, 2, 2 * PRICE), (PaymentKind.CARD, 1, PRICE)}
    assert box1.expected_cash == {"EUR": 2 * PRICE}  # 60.00 tendered, 10.00 change
    box2 = groups[("Box 2", "manager@example.org")]
    assert [(c.tickets, c.reason) for c in box2.complimentary] == [(3, "press")]
    assert [(r.payment, r.tickets, r.amount_minor) for r in box2.refunds] == [(PaymentKind.CASH, 1, PRICE)]
    assert box2.expected_cash == {"EUR": -PRICE}  # the cash it handed back
    assert sum(h.tickets for h in report.hourly) == 6
