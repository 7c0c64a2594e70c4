from __future__ import annotations

import click

from boxoffice.domain.enums import GateKind
from boxoffice.programs.cli.app import App, pass_app
from boxoffice.programs.cli.timeparse import parse_date
from boxoffice.services import events

event_option = click.option("--event", "event_ref", required=True, help="Event name or id.")


@click.group()
def event() -> None:
    """Events."""


@event.command("create")
@click.argument("name")
@click.option("--timezone", required=True, help="IANA time zone, e.g. Europe/Amsterdam.")
@click.option("--venue")
@click.option("--starts-on", help="First day, e.g. 2026-07-03.")
@click.option("--ends-on", help="Last day.")
@pass_app
def event_create(
    app: App, name: str, timezone: str, venue: str | None, starts_on: str | None, ends_on: str | None
) -> None:
    """Create an event."""
    view = events.create_event(
        app.store, app.actor, name, timezone, venue,
        parse_date("starts_on", starts_on) if starts_on else None,
        parse_date("ends_on", ends_on) if ends_on else None,
    )
    app.emit(view, f"Created event {view.name} ({view.id}) in {view.timezone}.")


@event.command("list")
@pass_app
def event_list(app: App) -> None:
    """List your organization's events."""
    rows = events.list_events(app.store, app.actor)
    lines = [
        # !s first: a date's own format spec is strftime's, so "{day:<10}" printed "<10".
        f"{e.name:<32} {e.timezone:<20} {e.starts_on or ''!s:<10} {e.ends_on or ''!s:<10} {e.id}"
        for e in rows
    ]
    app.emit(rows, "\n".join(lines) if lines else "No events yet.")


@click.group()
def gate() -> None:
    """Gates of an event."""


@gate.command("add")
@event_option
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in GateKind]), default="both",
              show_default=True)
@click.option("--category", "categories", multiple=True,
              help="Open only to this category (repeat for several); default: all.")
@pass_app
def gate_add(app: App, event_ref: str, name: str, kind: str, categories: tuple[str, ...]) -> None:
    """Add a gate to an event."""
    view = events.add_gate(app.store, app.actor, event_ref, name, GateKind(kind), list(categories))
    only = f", only for {', '.join(view.categories)}" if view.categories else ""
    app.emit(view, f"Added {view.kind.value} gate {view.name}{only}.")


@gate.command("list")
@event_option
@pass_app
def gate_list(app: App, event_ref: str) -> None:
    """List the gates of an event."""
    rows = events.list_gates(app.store, app.actor, event_ref)
    lines = [f"{g.name:<24} {g.kind.value:<6} {', '.join(g.categories) or 'all'}" for g in rows]
    app.emit(rows, "\n".join(lines) if lines else "No gates yet.")


@click.group()
def category() -> None:
    """Wristband categories of an event (GA, VIP, Staff...)."""


@category.command("add")
@event_option
@click.argument("name")
@click.option("--color", help="Colour like #1E90FF.")
@pass_app
def category_add(app: App, event_ref: str, name: str, color: str | None) -> None:
    """Add a category to an event."""
    view = events.add_category(app.store, app.actor, event_ref, name, color)
    app.emit(view, f"Added category {view.name}.")


@category.command("list")
@event_option
@pass_app
def category_list(app: App, event_ref: str) -> None:
    """List the categories of an event."""
    rows = events.list_categories(app.store, app.actor, event_ref)
    app.emit(rows, "\n".join(f"{c.name:<24} {c.color or ''}" for c in rows) or "No categories yet.")
