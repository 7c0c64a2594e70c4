"""``boxoffice refund REF`` and ``boxoffice waitlist add|list|offer``: after the sale, from the command line.

Amounts are printed with ``domain.money.format_money``; ``--json`` prints the services' views.
"""

from __future__ import annotations

import uuid

import click

from boxoffice.domain.money import format_money
from boxoffice.errors import ValidationError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.schemas.sales import RefundView, WaitlistEntryView
from boxoffice.services import refunds, waitlist


def _refund_text(done: RefundView) -> str:
    n = len(done.ticket_codes)
    return (f"Refunded {n} ticket{'s' if n != 1 else ''} of order {done.reference}: "
            f"{format_money(done.amount_minor, done.currency)} back ({done.payment.value}).\n"
            + "\n".join(f"  {code}" for code in done.ticket_codes))


@click.command("refund")
@click.argument("reference")
@click.option("--ticket", "ticket_codes", multiple=True,
              help="Refund only this ticket (its code, like 7KQ2MX-1; repeat). Default: every ticket left.")
@click.option("--reason", required=True, help="Why (kept with the refund).")
@click.option("--station", default=None, help="This counter's name (default: the login's station).")
@pass_app
def refund(app: App, reference: str, ticket_codes: tuple[str, ...], reason: str, station: str | None) -> None:
    """Refund an order's tickets (all of them, or those named): money back, places freed, bands voided."""
    if station is None and app.store.mode == "station":
        from boxoffice.sync.state import ServerLogin

        station = ServerLogin.load(app.store).station
    done = refunds.refund(app.store, app.actor, reference, reason=reason,
                          ticket_codes=list(ticket_codes) or None, station=station)
    app.emit(done, _refund_text(done))


def _entry_line(e: WaitlistEntryView) -> str:
    state = e.status.value
    if e.offer_expires_at is not None and state == "offered":
        state += f" until {e.offer_expires_at:%Y-%m-%d %H:%M} UTC"
    if e.order_reference:
        state += f" (order {e.order_reference})"
    return f"{e.id}  {e.product}  {e.name}  {e.contact}  {state}"


@click.group("waitlist")
def waitlist_group() -> None:
    """The waitlist of sold-out products: add a person, see who to call, offer a place."""


@waitlist_group.command("add")
@click.argument("product_ref")
@click.option("--name", required=True, help="The person's name.")
@click.option("--contact", required=True, help="Their e-mail address or phone number.")
@click.option("--event", "event_ref", default=None, help="Event name or id, when product names repeat.")
@pass_app
def add(app: App, product_ref: str, name: str, contact: str, event_ref: str | None) -> None:
    """Put a person on a sold-out product's waitlist."""
    entry = waitlist.add(app.store, app.actor, product_ref, name, contact, event_ref=event_ref)
    app.emit(entry, f"Added to the waitlist: {_entry_line(entry)}")


@waitlist_group.command("list")
@click.argument("product_ref", required=False)
@click.option("--event", "event_ref", default=None, help="Event name or id.")
@pass_app
def list_entries(app: App, product_ref: str | None, event_ref: str | None) -> None:
    """With PRODUCT: its whole waitlist, in order. Without: who to call now (the open offers)."""
    if product_ref is not None:
        found = waitlist.entries(app.store, app.actor, product_ref, event_ref=event_ref)
        empty = "Nobody is on this waitlist."
    else:
        found = waitlist.to_call(app.store, app.actor, event_ref=event_ref)
        empty = "Nobody to call: no place is on offer."
    app.emit(found, "\n".join(_entry_line(e) for e in found) if found else empty)


@waitlist_group.command("offer")
@click.argument("entry_id")
@pass_app
def offer(app: App, entry_id: str) -> None:
    """Offer a place to this person now (ENTRY_ID from ``waitlist list``)."""
    try:
        wanted = uuid.UUID(entry_id.strip())
    except ValueError:
        raise ValidationError.single("entry", f"{entry_id!r} is not a waitlist entry's id; "
                                              "boxoffice waitlist list PRODUCT shows them.") from None
    entry = waitlist.offer(app.store, app.actor, wanted)
    app.emit(entry, f"Offered: {_entry_line(entry)}")
