"""``boxoffice numbers list|reserve``: the band numbers this station may print while offline.

The sync keeps a block of every category ahead by itself; ``reserve`` is for
the night before a day without network, when a station will encode more
than a block (see ``boxoffice.services.band_numbers``).
"""

from __future__ import annotations

import click

from boxoffice.domain.validation import MAX_NUMBER_BLOCK, NUMBER_BLOCK
from boxoffice.errors import ValidationError
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.services import band_numbers, refs
from boxoffice.store.models import Event
from boxoffice.sync import client as sync_client


def _ranges(ranges: list[tuple[int, int]]) -> str:
    return ", ".join(f"#{a:04d}" if a == b else f"#{a:04d}-#{b:04d}" for a, b in ranges)


@click.group()
def numbers() -> None:
    """Band numbers this station holds for encoding offline."""


@numbers.command("list")
@pass_app
def list_numbers(app: App) -> None:
    """What this station may still print, per category."""
    if app.store.mode != "station":
        app.emit([], "This station is not logged in to a server: it numbers its bands itself.")
        return
    held = band_numbers.held(app.store)
    with app.store.read() as session:
        names = {h.event_id: session.get_one(Event, h.event_id).name for h in held}
    lines = [f"{names[h.event_id]}  {h.category}: {h.free:,} left ({_ranges(h.ranges)})" for h in held]
    app.emit([h.model_dump(mode="json") | {"event": names[h.event_id]} for h in held],
             "\n".join(lines) if lines else
             "No band numbers held: encoding numbers its bands at the next sync. "
             "Reserve some with: boxoffice numbers reserve --event EVENT --category CATEGORY")


@numbers.command("reserve")
@click.option("--event", "event_ref", required=True, help="Event name or id.")
@click.option("--category", "category_ref", required=True, help="Category name or id (e.g. GA).")
@click.option("--count", type=int, default=None,
              help=f"How many numbers (1 to {MAX_NUMBER_BLOCK:,}; default: one block).")
@pass_app
def reserve(app: App, event_ref: str, category_ref: str, count: int | None) -> None:
    """Reserve numbers of a category on the server, for this station to print offline."""
    size = NUMBER_BLOCK if count is None else count
    problem = band_numbers.block_size_problem(size)
    if problem is not None:
        raise ValidationError([problem])
    with app.store.read() as session:
        ev = refs.event(session, app.actor, event_ref)
        cat = refs.category(session, app.actor, ev, category_ref)
        event_id, event_name, category_id, category_name = ev.id, ev.name, cat.id, cat.name
    if app.store.mode != "station":
        raise ValidationError.single(
            "station", "This station is not logged in to a server: it numbers its bands itself, "
            "so there is nothing to reserve.")
    with sync_client.SyncClient.from_store(app.store) as client:
        block = client.reserve_block(event_id, category_id, size)
    app.emit(block, f"Reserved {category_name} #{block.first:04d}-#{block.last:04d} of {event_name} "
                    "for this station.")
