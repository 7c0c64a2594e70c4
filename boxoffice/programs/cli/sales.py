"""``boxoffice products list|add|edit`` and ``boxoffice sell``: the door sales from the command line.

Amounts are typed as people say them ("25.00", "25"), and kept in minor
units (cents); times are read in the event's time zone, as elsewhere.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import click

from boxoffice.domain.enums import PaymentKind
from boxoffice.domain.money import format_money, parse_money
from boxoffice.errors import ValidationError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.programs.cli.timeparse import parse_local
from boxoffice.schemas.sales import OrderView, ProductView
from boxoffice.services import products as svc
from boxoffice.services import refs, sales


def _money(minor: int | None, currency: str) -> str:
    return "-" if minor is None else format_money(minor, currency)


def _product_line(p: ProductView) -> str:
    figures = f"  {p.sold}/{p.quota} sold, {p.held} held, {p.free} free" if p.quota is not None else ""
    return (f"{p.name}  ({p.category})  {_money(p.price_minor, p.currency)}  "
            f"{p.sales_opens_at:%Y-%m-%d %H:%M}–{p.sales_closes_at:%Y-%m-%d %H:%M} UTC{figures}")


def _zone(app: App, event_ref: str) -> ZoneInfo:
    with app.store.read() as session:
        return ZoneInfo(refs.event(session, app.actor, event_ref).timezone)


@click.group()
def products() -> None:
    """What the box office sells: products, prices, sales windows and quotas."""


@products.command("list")
@click.option("--event", "event_ref", default=None, help="Event name or id (default: every event).")
@pass_app
def list_products(app: App, event_ref: str | None) -> None:
    """Products with their figures (sold, held by stations and offers, free)."""
    found = svc.list_products(app.store, app.actor, event_ref)
    app.emit(found, "\n".join(_product_line(p) for p in found) if found else "No products yet.")


@products.command("add")
@click.option("--event", "event_ref", required=True, help="Event name or id.")
@click.option("--name", required=True)
@click.option("--category", "category_ref", required=True, help="The category its bands get (e.g. GA).")
@click.option("--series", "series_refs", multiple=True, required=True, help="A series it admits to (repeat).")
@click.option("--price", required=True, help="Price, like 25.00.")
@click.option("--currency", required=True, help="ISO 4217, like EUR.")
@click.option("--opens", required=True, help="Sales open (event's local time: 2026-07-03 10:00).")
@click.option("--closes", required=True, help="Sales close.")
@click.option("--quota", type=int, required=True, help="How many places are for sale.")
@pass_app
def add_product(app: App, event_ref: str, name: str, category_ref: str, series_refs: tuple[str, ...],
                price: str, currency: str, opens: str, closes: str, quota: int) -> None:
    """Add a product."""
    tz = _zone(app, event_ref)
    made = svc.create_product(app.store, app.actor, event_ref, name, category_ref, list(series_refs),
                              price_minor=parse_money("price", price), currency=currency,
                              sales_opens_at=parse_local("sales_opens_at", opens, tz),
                              sales_closes_at=parse_local("sales_closes_at", closes, tz), quota=quota)
    app.emit(made, f"Added {_product_line(made)}")


@products.command("edit")
@click.argument("product_ref")
@click.option("--event", "event_ref", default=None, help="Event name or id, when the name is not enough.")
@click.option("--name", default=None)
@click.option("--price", default=None, help="Price, like 25.00.")
@click.option("--currency", default=None)
@click.option("--opens", default=None)
@click.option("--closes", default=None)
@click.option("--quota", type=int, default=None, help="Never below what is sold and held.")
@click.option("--series", "series_refs", multiple=True, help="The series it admits to (replaces them).")
@pass_app
def edit_product(app: App, product_ref: str, event_ref: str | None, name: str | None, price: str | None,
                 currency: str | None, opens: str | None, closes: str | None, quota: int | None,
                 series_refs: tuple[str, ...]) -> None:
    """Change a product; only the options given."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if price is not None:
        changes["price_minor"] = parse_money("price", price)
    if currency is not None:
        changes["currency"] = currency
    if quota is not None:
        changes["quota"] = quota
    if series_refs:
        changes["series"] = list(series_refs)
    if opens is not None or closes is not None:
        current = svc.get_product(app.store, app.actor, product_ref, event_ref)
        tz = _zone(app, str(current.event_id))
        if opens is not None:
            changes["sales_opens_at"] = parse_local("sales_opens_at", opens, tz)
        if closes is not None:
            changes["sales_closes_at"] = parse_local("sales_closes_at", closes, tz)
    if not changes:
        raise ValidationError.single("product", "Say what to change (see --help).")
    changed = svc.update_product(app.store, app.actor, product_ref, changes, event_ref=event_ref)
    app.emit(changed, f"Changed {_product_line(changed)}")


def _order_text(order: OrderView) -> str:
    lines = [f"Order {order.reference}: {len(order.tickets)} ticket{'s' if len(order.tickets) != 1 else ''}, "
             f"{_money(order.total_minor, order.currency)} ({order.payment.value})"]
    if order.change_minor is not None:
        lines.append(f"Change due: {_money(order.change_minor, order.currency)}")
    lines += [f"  {t.code}  {t.product}  {_money(t.price_minor, order.currency)}" for t in order.tickets]
    return "\n".join(lines)


def _line(text: str) -> tuple[str, int]:
    name, sep, qty = text.rpartition("=")
    if not sep:
        return text, 1
    try:
        return name, int(qty)
    except ValueError:
        raise ValidationError.single("quantity", f"{qty!r} is not a quantity; write PRODUCT=2.") from None


@click.command("sell")
@click.argument("lines", nargs=-1, required=True)
@click.option("--event", "event_ref", default=None, help="Event name or id, when product names repeat.")
@click.option("--cash", "tendered", default=None, help="Cash handed over, like 50.00.")
@click.option("--card", "card_reference", default=None, help="The card terminal's reference.")
@click.option("--comp", "comp_reason", default=None, help="Complimentary: the reason.")
@click.option("--holder", default=None, help="The holder's name.")
@click.option("--email", default=None, help="The holder's e-mail.")
@click.option("--station", default=None, help="This counter's name (default: the login's station).")
@pass_app
def sell(app: App, lines: tuple[str, ...], event_ref: str | None, tendered: str | None,
         card_reference: str | None, comp_reason: str | None, holder: str | None, email: str | None,
         station: str | None) -> None:
    """Sell tickets: LINES are PRODUCT or PRODUCT=QUANTITY; pay with one of --cash, --card, --comp."""
    given = (("cash", tendered), ("card", card_reference), ("comp", comp_reason))
    chosen = [k for k, v in given if v is not None]
    if len(chosen) != 1:
        raise ValidationError.single("payment", "Say how it is paid: one of --cash AMOUNT, --card REFERENCE "
                                                "or --comp REASON.")
    if tendered is not None:
        payment = sales.Payment.cash(parse_money("tendered", tendered))
    elif card_reference is not None:
        payment = sales.Payment.card(card_reference)
    else:
        payment = sales.Payment(kind=PaymentKind.COMPLIMENTARY, reason=comp_reason)
    if station is None and app.store.mode == "station":
        from boxoffice.sync.state import ServerLogin

        station = ServerLogin.load(app.store).station
    order = sales.sell(app.store, app.actor, lines=[_line(text) for text in lines], payment=payment,
                       holder=sales.Holder(name=holder, email=email), station=station, event_ref=event_ref)
    app.emit(order, _order_text(order))
