"""Sales per product and hour, for managers: how fast each product books, from ``services.cashup``.

One row per hour of the event's clock from the first sale to the last in the range (hours with
no sale included, so the rate reads evenly; only the hours with sales when that would run past two
weeks), one column per product, a bar chart of the same figures, and each product's totals.
Tickets are counted when sold; a later refund does not take them out of their hour.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from boxoffice.domain.enums import PaymentKind
from boxoffice.domain.money import Money
from boxoffice.reports.cashup import count
from boxoffice.reports.model import BarChart, Cell, Facts, Report, Table
from boxoffice.reports.timefmt import local
from boxoffice.schemas.sales import CashUpView
from boxoffice.store.models import Event
from boxoffice.store.types import utcnow

MAX_EVEN_HOURS = 14 * 24


def _hours(found: list[datetime]) -> list[datetime]:
    if not found:
        return []
    first, last = min(found), max(found)
    if (last - first) / timedelta(hours=1) >= MAX_EVEN_HOURS:
        return sorted(set(found))
    hours = []
    at = first
    while at <= last:
        hours.append(at)
        at += timedelta(hours=1)
    return hours


def build(ev: Event, view: CashUpView) -> Report:
    tz = ZoneInfo(ev.timezone)
    per: dict[tuple[datetime, str], int] = defaultdict(int)
    for h in view.hourly:
        per[(h.hour, h.product)] += h.tickets
    products = sorted({p for _, p in per})
    hours = _hours([h for h, _ in per])
    rows: list[list[Cell]] = []
    for hour in hours:
        counts = [per.get((hour, p), 0) for p in products]
        rows.append([local(hour, tz), *counts, sum(counts)])
    totals = [sum(per.get((h, p), 0) for h in hours) for p in products]
    if rows:
        rows.append(["Total", *totals, sum(totals)])
    hourly = Table("hourly", "Tickets sold per hour and product", ["Hour", *products, "Total"], rows,
                   numeric=frozenset(range(1, len(products) + 2)), has_total=bool(rows),
                   note="" if rows else "Nothing was sold in this range.")
    chart = BarChart("Tickets sold per hour", [local(h, tz, "%m-%d %H:00") for h in hours],
                     [(p, [per.get((h, p), 0) for h in hours]) for p in products],
                     x_title=f"Hour ({ev.timezone})", y_title="Tickets sold",
                     empty="Nothing was sold in this range, so there is nothing to chart.")
    sold: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for g in view.groups:
        for s in g.sales:
            figures = sold[(s.product, s.currency)]
            figures[0] += s.tickets
            figures[1] += s.tickets if s.payment is PaymentKind.COMPLIMENTARY else 0
            figures[2] += s.amount_minor
    product_rows: list[list[Cell]] = [[p, f[0], f[1], Money(c, f[2])] for (p, c), f in sorted(sold.items())]
    product_table = Table("products", "Per product", ["Product", "Tickets sold", "Of which complimentary",
                                                      "Amount taken"], product_rows,
                          numeric=frozenset({1, 2, 3}),
                          note="Amounts before refunds." if product_rows else
                          "Nothing was sold in this range.")
    busiest = max(rows[:-1], key=lambda r: count(r[-1])) if rows else None
    facts = Facts("Sales", [
        ("Event", ev.name),
        ("From", local(view.start, tz)),
        ("To", local(view.end, tz)),
        ("Tickets sold", f"{sum(totals):,}"),
        ("Busiest hour", f"{busiest[0]} ({count(busiest[-1]):,} tickets)" if busiest else "–"),
    ])
    report = Report("sales", f"Sales per product and hour: {ev.name}",
                    f"{ev.name} · {local(view.start, tz)} to {local(view.end, tz)}", ev.timezone, utcnow())
    report.blocks.extend([facts, chart, hourly, product_table])
    return report
