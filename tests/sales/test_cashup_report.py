"""The cash-up and sales reports: their figures equal a recount in SQL, the drawer's count, every role.

Sales, refunds and complimentary tickets go through the services; the PDF (read back with pypdf)
and the one-file CSV are compared with sums taken straight from the tables. On SQLite and
PostgreSQL (the ``shop`` fixture).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from boxoffice.domain.enums import PaymentKind, Role
from boxoffice.domain.money import format_money, plain_amount
from boxoffice.domain.permissions import sales_seen
from boxoffice.errors import PermissionDeniedError, ValidationError
from boxoffice.reports.build import build_report
from boxoffice.reports.cashup import parse_counted
from boxoffice.reports.csv_export import read_csv_file, write_csv_file
from boxoffice.reports.pdf import render_pdf
from boxoffice.services import refunds, sales
from boxoffice.store.models import Member, Order, Refund, SoldTicket
from boxoffice.store.types import utcnow
from tests.helpers.reports import pdf_text
from tests.helpers.sales import PRICE, Shop

EVENT = "Gate Fest"


def _trade(shop: Shop) -> None:
    """Two stations, two operators: cash with change, card, complimentary, and a cash refund."""
    cash = sales.sell(shop.store, shop.station, lines=[("Day ticket", 2)], payment=sales.Payment.cash(6_000),
                      station="Box 1")
    sales.sell(shop.store, shop.station, lines=[("Day ticket", 1)], payment=sales.Payment.card("T-1"),
               station="Box 1")
    sales.sell(shop.store, shop.manager, lines=[("Day ticket", 3)], payment=sales.Payment.complimentary("press"),
               station="Box 2")
    sales.sell(shop.store, shop.manager, lines=[("Day ticket", 1)], payment=sales.Payment.cash(PRICE),
               station="Box 2")
    refunds.refund(shop.store, shop.manager, cash.reference, reason="wrong day",
                   ticket_codes=[cash.tickets[0].code], station="Box 2")


def _recount(shop: Shop) -> tuple[dict[tuple[str, str, str], tuple[int, int]], dict[tuple[str, str], int],
                                  dict[tuple[str, str], int]]:
    """Straight from the tables: sales (station, operator, payment) -> (tickets, amount); cash
    refunds and expected cash per (station, operator)."""
    with shop.store.read() as session:
        email = {m: e for m, e in session.execute(select(Member.id, Member.email))}
        sold = {(st, email[op], pay.value): (n, int(amount)) for st, op, pay, n, amount in session.execute(
            select(Order.station, Order.operator_id, Order.payment, func.count(), func.sum(SoldTicket.price_minor))
            .join(SoldTicket, SoldTicket.order_id == Order.id)
            .group_by(Order.station, Order.operator_id, Order.payment))}
        back = {(st, email[op]): int(amount) for st, op, amount in session.execute(
            select(Refund.station, Refund.operator_id, func.sum(Refund.amount_minor))
            .where(Refund.payment == PaymentKind.CASH).group_by(Refund.station, Refund.operator_id))}
        taken: dict[tuple[str, str], int] = defaultdict(int)
        for st, op, tendered, change in session.execute(
                select(Order.station, Order.operator_id, Order.tendered_minor, Order.change_minor)
                .where(Order.payment == PaymentKind.CASH)):
            taken[(st, email[op])] += tendered - (change or 0)
    expected = {k: taken.get(k, 0) - back.get(k, 0) for k in set(taken) | set(back)}
    return sold, back, expected


def test_the_cash_up_pdf_and_csv_equal_a_recount(shop: Shop, tmp_path: Path) -> None:
    _trade(shop)
    report = build_report(shop.store, shop.manager, "cashup", event=EVENT, counted=parse_counted(["EUR=49.50"]))
    pdf, csv = tmp_path / "cashup.pdf", tmp_path / "cashup.csv"
    render_pdf(report, pdf)
    write_csv_file(report, csv)
    text, tables = pdf_text(pdf), read_csv_file(csv)
    sold, back, expected = _recount(shop)

    header, *rows = tables["Sales by station, operator, product and payment"]
    assert header == ["Station", "Operator", "Product", "Payment", "Tickets", "Amount", "Amount currency"]
    got = {(r[0], r[1], r[3]): (int(r[4]), r[5]) for r in rows if r[0] != "Total"}
    assert got == {k: (n, plain_amount(amount)) for k, (n, amount) in sold.items()}
    for (station, operator, payment), (n, amount) in sold.items():
        assert f"{station} {operator} Day ticket {payment} {n} {format_money(amount, 'EUR')}" in text

    _, *rows = tables["Refunds"]
    assert {(r[0], r[1]): r[4] for r in rows if r[0] != "Total"} == {k: plain_amount(v) for k, v in back.items()}

    _, *rows = tables["Expected cash per station and operator"]
    assert {(r[0], r[1]): r[2] for r in rows if r[0] != "Total"} == {
        k: plain_amount(v) for k, v in expected.items()}
    total = sum(expected.values())
    assert [r[2] for r in rows if r[0] == "Total"] == [plain_amount(total)]

    _, *rows = tables["Complimentary tickets"]
    assert [(r[0], r[3], r[4]) for r in rows if r[0] != "Total"] == [("Box 2", "3", "press")]

    # The drawer: 50.00 (Box 1: 60.00 less 10.00 change) + 25.00 (Box 2) - 25.00 refunded = 50.00; counted 49.50.
    assert total == 5_000
    _, drawer = tables["The drawer: expected and counted cash"]
    assert drawer == ["EUR", "50.00", "EUR", "49.50", "EUR", "-0.50", "EUR", "SHORT by EUR 0.50"]
    assert "EUR EUR 50.00 EUR 49.50 EUR -0.50 SHORT by EUR 0.50" in text


def test_without_a_count_the_drawer_has_lines_to_write_on(shop: Shop, tmp_path: Path) -> None:
    _trade(shop)
    report = build_report(shop.store, shop.manager, "cashup", event=EVENT, station="Box 1")
    render_pdf(report, tmp_path / "c.pdf")
    write_csv_file(report, tmp_path / "c.csv")
    text = pdf_text(tmp_path / "c.pdf")
    blank = "_" * 18
    assert f"EUR EUR 50.00 {blank} {blank} {blank}" in text
    assert "Write the counted amount on the line" in text
    _, drawer = read_csv_file(tmp_path / "c.csv")["The drawer: expected and counted cash"]
    assert drawer == ["EUR", "50.00", "EUR", "", "", "", "", ""]
    over = build_report(shop.store, shop.manager, "cashup", event=EVENT, station="Box 1",
                        counted={"EUR": 5_250})
    assert over.tables[0].rows[0][-1] == "OVER by EUR 2.50"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_sees_the_cash_up_it_may(shop: Shop, role: Role) -> None:
    _trade(shop)
    actor = shop.actor(role)
    seen = sales_seen(role)
    if seen is None:
        with pytest.raises(PermissionDeniedError, match=f"Your role \\({role.value}\\) may not"):
            build_report(shop.store, actor, "cashup", event=EVENT)
    else:
        report = build_report(shop.store, actor, "cashup", event=EVENT)
        operators = {r[1] for r in report.tables[2].rows if r[0] != "Total"}
        if seen == "all":
            assert operators == {"station@example.org", "manager@example.org"}
        else:
            assert role is Role.STATION and operators == {"station@example.org"}
            assert ("Covers", "your own sales and refunds only") in report.blocks[0].items  # type: ignore[union-attr]
    if seen == "all":
        hourly = build_report(shop.store, actor, "sales", event=EVENT).tables[0]
        assert hourly.rows[-1][-1] == 7  # every ticket sold, refunded or not
    else:
        with pytest.raises(PermissionDeniedError):
            build_report(shop.store, actor, "sales", event=EVENT)


def test_the_sales_report_per_hour_equals_a_recount(shop: Shop, tmp_path: Path) -> None:
    _trade(shop)
    report = build_report(shop.store, shop.manager, "sales", event=EVENT)
    render_pdf(report, tmp_path / "s.pdf")
    write_csv_file(report, tmp_path / "s.csv")
    with shop.store.read() as session:
        tickets = session.scalar(select(func.count()).select_from(SoldTicket))
    header, *rows = read_csv_file(tmp_path / "s.csv")["Tickets sold per hour and product"]
    assert header == ["Hour", "Day ticket", "Total"]
    assert rows[-1] == ["Total", str(tickets), str(tickets)]
    assert sum(int(r[2]) for r in rows[:-1]) == tickets
    assert f"Tickets sold {tickets}" in pdf_text(tmp_path / "s.pdf")


@pytest.mark.parametrize(("counted", "said"), [
    (["EUR=12,50"], "'12,50' is not an amount"),
    (["EUR=abc"], "'abc' is not an amount"),
    (["EUR=1.234"], "is not an amount in cents"),
    (["EUROS=10"], "A currency is three letters"),
    (["EUR"], "is not a counted amount; write it like EUR=123.45."),
    (["EUR=1", "eur=2"], "The count in EUR is given twice"),
])
def test_a_bad_count_is_a_sentence(counted: list[str], said: str) -> None:
    with pytest.raises(ValidationError, match=said):
        parse_counted(counted)


def test_a_count_in_a_currency_the_event_does_not_sell_in(shop: Shop) -> None:
    with pytest.raises(ValidationError, match="Gate Fest sells nothing in USD \\(it sells in EUR\\)"):
        build_report(shop.store, shop.manager, "cashup", event=EVENT, counted={"USD": 100})


def test_a_range_that_ends_before_it_starts(shop: Shop) -> None:
    now = utcnow()
    with pytest.raises(ValidationError, match="The end of the range must come after its start"):
        build_report(shop.store, shop.manager, "cashup", event=EVENT, start=now, end=now - timedelta(hours=1))
