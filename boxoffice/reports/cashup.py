"""The cash-up: per station and operator, what was sold, refunded and given away, and the drawer's count.

From ``services.cashup.cash_up`` (which decides whose sales the caller sees). The drawer table
compares the cash the drawer should hold, per currency, with what a person counted: typed in
(``parse_counted``: "EUR=123.45"), it shows the difference and whether the drawer is over or short;
left out, the PDF leaves a line to write the count on. Amounts are :class:`Money` cells, printed
"EUR 12.50" in the PDF and written bare, with their currency, in the CSV.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from boxoffice.domain.money import Money, format_money, parse_money
from boxoffice.domain.validation import validate_currency
from boxoffice.errors import ValidationError
from boxoffice.reports.model import BLANK, Blank, Cell, Facts, Report, Table
from boxoffice.reports.timefmt import local
from boxoffice.schemas.sales import CashUpView
from boxoffice.store.models import Event, Order, Product
from boxoffice.store.types import utcnow

Row = list[Cell]


def parse_counted(texts: Iterable[str]) -> dict[str, int]:
    """ "EUR=123.45" (one per currency) as {"EUR": 12345}; a sentence for anything else."""
    counted: dict[str, int] = {}
    for text in texts:
        code, sep, amount = text.partition("=")
        if not sep or not amount.strip():
            raise ValidationError.single("counted", f"{text!r} is not a counted amount; write it like "
                                                    "EUR=123.45.")
        currency = validate_currency(code)
        if currency in counted:
            raise ValidationError.single("counted", f"The count in {currency} is given twice; give it once.")
        counted[currency] = parse_money("counted", amount)
    return counted


def currencies(session: Session, ev: Event) -> set[str]:
    """The currencies the event sells in (its products' prices)."""
    return set(session.scalars(select(Product.currency).where(Product.event_id == ev.id).distinct()))


def check_counted(counted: Mapping[str, int], known: set[str], ev: Event) -> None:
    unknown = sorted(set(counted) - known)
    if unknown:
        sold_in = ", ".join(sorted(known)) or "no currency yet"
        raise ValidationError.single("counted", f"{ev.name} sells nothing in {unknown[0]} (it sells in "
                                                f"{sold_in}); count the drawer in those.")


def count(cell: Cell) -> int:
    """A count cell as an int (0 for a blank or a label)."""
    return cell if isinstance(cell, int) else 0


def _who(station: str | None, operator: str | None) -> tuple[str, str]:
    return station or "–", operator or "–"


def _totals(rows: list[Row], amount_col: int, count_col: int | None, width: int) -> list[Row]:
    """One total row per currency: the tickets and the amount."""
    tickets: dict[str, int] = defaultdict(int)
    amounts: dict[str, int] = defaultdict(int)
    for row in rows:
        money = row[amount_col]
        assert isinstance(money, Money)
        amounts[money.currency] += money.minor
        if count_col is not None:
            tickets[money.currency] += count(row[count_col])
    out: list[Row] = []
    for currency in sorted(amounts):
        total: Row = [""] * width
        total[0] = "Total" if len(amounts) == 1 else f"Total {currency}"
        if count_col is not None:
            total[count_col] = tickets[currency]
        total[amount_col] = Money(currency, amounts[currency])
        out.append(total)
    return out


def _drawer(view: CashUpView, counted: Mapping[str, int], known: set[str]) -> Table:
    expected: dict[str, int] = defaultdict(int)
    for group in view.groups:
        for currency, minor in group.expected_cash.items():
            expected[currency] += minor
    rows: list[Row] = []
    for currency in sorted(set(expected) | set(counted)):
        want = expected.get(currency, 0)
        if currency in counted:
            got = counted[currency]
            diff = got - want
            verdict = ("exact" if diff == 0 else
                       f"OVER by {format_money(diff, currency)}" if diff > 0 else
                       f"SHORT by {format_money(-diff, currency)}")
            rows.append([currency, Money(currency, want), Money(currency, got), Money(currency, diff),
                         verdict])
        else:
            rows.append([currency, Money(currency, want), BLANK, BLANK, BLANK])
    if not rows:  # nothing taken in cash: still a line to write a count on
        for currency in sorted(known) or ["EUR"]:
            rows.append([currency, Money(currency, 0), BLANK, BLANK, BLANK])
    several = len(view.groups) > 1
    note = ("Expected: cash tendered, less change given, less cash refunded. Difference: counted less "
            "expected; over means more cash in the drawer than the sales account for.")
    if several:
        note += (" The count is compared with the total of every station and operator below: for one "
                 "drawer, make the cash-up for that station alone.")
    if any(isinstance(r[2], Blank) for r in rows):
        note += " Write the counted amount on the line, and the difference counted less expected."
    return Table("drawer", "The drawer: expected and counted cash",
                 ["Currency", "Expected", "Counted", "Difference", "Over or short"], rows,
                 numeric=frozenset({1, 2, 3}), money=frozenset({1, 2, 3}), note=note)


def build(session: Session, ev: Event, view: CashUpView, *, counted: Mapping[str, int] | None = None,
          station: str | None = None) -> Report:
    counted = dict(counted or {})
    known = currencies(session, ev)
    check_counted(counted, known, ev)
    tz = ZoneInfo(ev.timezone)
    sales: list[Row] = []
    refunds: list[Row] = []
    comps: list[Row] = []
    expected: list[Row] = []
    for g in view.groups:
        who = _who(g.station, g.operator)
        sales += [[*who, s.product, s.payment.value, s.tickets, Money(s.currency, s.amount_minor)]
                  for s in g.sales]
        refunds += [[*who, r.payment.value, r.tickets, Money(r.currency, r.amount_minor)] for r in g.refunds]
        comps += [[*who, c.reference, c.tickets, c.reason] for c in g.complimentary]
        expected += [[*who, Money(c, m)] for c, m in sorted(g.expected_cash.items())]
    sales_table = Table("sales", "Sales by station, operator, product and payment",
                        ["Station", "Operator", "Product", "Payment", "Tickets", "Amount"],
                        sales + (_totals(sales, 5, 4, 6) if sales else []), numeric=frozenset({4, 5}),
                        has_total=bool(sales), total_rows=len(_totals(sales, 5, 4, 6)) or 1,
                        note="" if sales else "Nothing was sold in this range.")
    refund_table = Table("refunds", "Refunds", ["Station", "Operator", "Payment", "Tickets", "Amount"],
                         refunds + (_totals(refunds, 4, 3, 5) if refunds else []), numeric=frozenset({3, 4}),
                         has_total=bool(refunds), total_rows=len(_totals(refunds, 4, 3, 5)) or 1,
                         note="A refund counts against the station and operator that made it, in the range "
                              "it was made." if refunds else "Nothing was refunded in this range.")
    comp_total = sum(count(r[3]) for r in comps)
    comp_table = Table("complimentary", "Complimentary tickets",
                       ["Station", "Operator", "Order", "Tickets", "Reason"],
                       comps + ([["Total", "", "", comp_total, ""]] if comps else []), numeric=frozenset({3}),
                       has_total=bool(comps),
                       note="" if comps else "No complimentary ticket was given in this range.")
    expected_table = Table("expected", "Expected cash per station and operator",
                           ["Station", "Operator", "Expected cash"],
                           expected + (_totals(expected, 2, None, 3) if expected else []),
                           numeric=frozenset({2}), has_total=bool(expected),
                           total_rows=len(_totals(expected, 2, None, 3)) or 1,
                           note="" if expected else "No cash changed hands in this range.")
    span = f"{local(view.start, tz)} to {local(view.end, tz)}"
    whose = ("your own sales and refunds only" if view.own_only else
             f"station {station}" if station else "every station and operator")
    facts = Facts("Cash-up", [
        ("Event", ev.name),
        ("From", local(view.start, tz)),
        ("To", local(view.end, tz)),
        ("Covers", whose),
        ("Counted by", "_" * 30),
        ("Checked by", "_" * 30),
    ])
    scope = f"{ev.name} · {station + ' · ' if station else ''}{span}"
    report = Report("cashup", f"Cash-up: {ev.name}", scope, ev.timezone, utcnow())
    report.blocks.extend([facts, _drawer(view, counted, known), expected_table, sales_table, refund_table,
                          comp_table])
    return report


def default_range(session: Session, ev: Event, start: datetime | None,
                  end: datetime | None) -> tuple[datetime, datetime]:
    """The range asked for; a missing start is the event's first sale (or an hour before the end), a
    missing end now: what the desktop, which asks for no range, reports."""
    end = end or utcnow()
    if start is None:
        first = session.scalar(select(func.min(Order.sold_at)).where(Order.event_id == ev.id))
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        start = first if first is not None and first < end else end - timedelta(hours=1)
    return start, end
