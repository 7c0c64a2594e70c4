"""Editing and deleting events and their gates and categories.

A delete is refused while something still depends on the row (a series
using a gate, bands carrying a category): removing it would silently change
what those mean, or what a gate lets through. Child rows that go with a
deleted row are deleted explicitly, so the change log carries each deletion
to the stations; a database cascade would be invisible to it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import GateKind
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    Ref,
)
from boxoffice.domain.validation import MAX_GATE_CATEGORIES, MAX_NAME_LENGTH, validate_name, validate_timezone
from boxoffice.errors import DuplicateError, InUseError, ValidationError
from boxoffice.schemas.event import CategoryView, EventView, GateView
from boxoffice.schemas.fields import Color, Name, TimezoneName, Venue
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.services.events import COLOR, gate_view, validate_venue
from boxoffice.store.base import Base
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventSeries,
    Gate,
    GateCategory,
    SeriesCategoryLimit,
    SeriesGate,
    Ticket,
    Wristband,
)

log = logging.getLogger(__name__)

def _count(session: Session, model: type[Base], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _in_use(what: str, users: list[tuple[int, str]], advice: str) -> None:
    found = [f"{n:,} {label}" for n, label in users if n]
    if found:
        raise InUseError(f"{what} is still used by {' and '.join(found)}; {advice}")


# -- events -------------------------------------------------------------------


def update_event(store: Store, actor: Actor, event_ref: str, changes: dict[str, Any]) -> EventView:
    """Rename, move or re-date an event; the time zone only while it has no series.

    A series' times are stored in UTC but were typed in the event's zone;
    changing the zone under them would move every gate opening.
    """
    actor.require(Action.MANAGE_EVENTS)
    EventChangedFields.check(changes)
    name = validate_name("event name", changes["name"]) if "name" in changes else None
    timezone = validate_timezone(changes["timezone"]).key if "timezone" in changes else None
    changes = outbox.as_stored(changes, name=name, timezone=timezone,
                               venue=validate_venue(changes.get("venue")))
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        if name is not None and name != ev.name:
            clash = session.scalar(select(Event.id).where(
                Event.organization_id == actor.organization_id, refs.same_name(Event.name, name)))
            if clash is not None and clash != ev.id:
                raise DuplicateError("event", "name", name)
        if timezone is not None and timezone != ev.timezone:
            _in_use(f"The time zone of {ev.name}", [
                (_count(session, EventSeries, EventSeries.event_id == ev.id), "series")
            ], "their times were set in it. Change the series' times instead.")
        starts_on: date | None = changes.get("starts_on", ev.starts_on)
        ends_on: date | None = changes.get("ends_on", ev.ends_on)
        if starts_on and ends_on and ends_on < starts_on:
            raise ValidationError.single("ends_on", "The event must end on or after the day it starts.")
        ev.name = name or ev.name
        ev.timezone = timezone or ev.timezone
        if "venue" in changes:
            ev.venue = changes["venue"]
        ev.starts_on, ev.ends_on = starts_on, ends_on
        session.flush()
        view = EventView.model_validate(ev)
        outbox.record(session, actor, "event.update", ev.id, {"changes": changes})
        return view


def delete_event(store: Store, actor: Actor, event_ref: str) -> None:
    """Delete an event set up by mistake: only while it has no series and no bands."""
    actor.require(Action.MANAGE_EVENTS)
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        _in_use(ev.name, [
            (_count(session, EventSeries, EventSeries.event_id == ev.id), "series"),
            (_count(session, Wristband, Wristband.event_id == ev.id), "wristbands"),
        ], "delete those first.")
        gate_ids = select(Gate.id).where(Gate.event_id == ev.id).scalar_subquery()
        for model, where in (
            (Ticket, Ticket.event_id == ev.id),
            (GateCategory, GateCategory.gate_id.in_(gate_ids)),
            (Gate, Gate.event_id == ev.id),
            (Category, Category.event_id == ev.id),
        ):
            session.execute(delete(model).where(where))
        session.delete(ev)
        session.flush()
        outbox.record(session, actor, "event.delete", ev.id, {"name": ev.name})
        log.info("event %s deleted by %s", ev.name, actor.email)


# -- gates ----------------------------------------------------------------------


def get_gate(store: Store, actor: Actor, gate_id: uuid.UUID) -> GateView:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        gate, _ = refs.by_id(session, actor, Gate, "gate", gate_id)
        return gate_view(session, gate)


def update_gate(store: Store, actor: Actor, gate_id: uuid.UUID, changes: dict[str, Any]) -> GateView:
    """Rename a gate, change its kind, or set the categories it is limited to (empty: all)."""
    actor.require(Action.MANAGE_GATES)
    GateEdit.check(changes)
    name = validate_name("gate name", changes["name"]) if "name" in changes else None
    changes = outbox.as_stored(changes, name=name)
    kind = GateKind(changes["kind"]) if "kind" in changes else None
    with store.write() as session:
        gate, ev = refs.by_id(session, actor, Gate, "gate", gate_id)
        if name is not None and name != gate.name:
            clash = session.scalar(select(Gate.id).where(
                Gate.event_id == ev.id, refs.same_name(Gate.name, name)))
            if clash is not None and clash != gate.id:
                raise DuplicateError("gate", "name", name, f"in {ev.name}")
        category_ids: list[uuid.UUID] | None = None
        if "categories" in changes:
            cats = [refs.category(session, actor, ev, str(c)) for c in changes["categories"]]
            category_ids = list(dict.fromkeys(c.id for c in cats))
        gate.name = name or gate.name
        gate.kind = kind or gate.kind
        if category_ids is not None:
            current = set(session.scalars(
                select(GateCategory.category_id).where(GateCategory.gate_id == gate.id)))
            for cat_id in current - set(category_ids):
                session.delete(session.get_one(GateCategory, (gate.id, cat_id)))
            for cat_id in category_ids:
                if cat_id not in current:
                    session.add(GateCategory(gate_id=gate.id, category_id=cat_id))
        session.flush()
        view = gate_view(session, gate)
        payload: dict[str, Any] = {k: v for k, v in changes.items() if k != "categories"}
        if category_ids is not None:
            payload["category_ids"] = category_ids
        outbox.record(session, actor, "gate.update", gate.id, {"changes": payload})
        return view


def delete_gate(store: Store, actor: Actor, gate_id: uuid.UUID) -> None:
    """Delete a gate no series uses and nobody was ever scanned at."""
    actor.require(Action.MANAGE_GATES)
    with store.write() as session:
        gate, ev = refs.by_id(session, actor, Gate, "gate", gate_id)
        _in_use(f"The gate {gate.name}", [
            (_count(session, SeriesGate, SeriesGate.gate_id == gate.id), "series"),
            (_count(session, Checkin, Checkin.gate_id == gate.id), "check-ins"),
        ], "take it off those series first; a gate with check-ins stays for the history.")
        for row in session.scalars(select(GateCategory).where(GateCategory.gate_id == gate.id)):
            session.delete(row)
        session.flush()
        session.delete(gate)
        session.flush()
        outbox.record(session, actor, "gate.delete", gate.id, {"name": gate.name, "event_id": ev.id})
        log.info("gate %s of %s deleted by %s", gate.name, ev.name, actor.email)


# -- categories -----------------------------------------------------------------


def get_category(store: Store, actor: Actor, category_id: uuid.UUID) -> CategoryView:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        cat, _ = refs.by_id(session, actor, Category, "category", category_id)
        return CategoryView.model_validate(cat)


def update_category(store: Store, actor: Actor, category_id: uuid.UUID,
                    changes: dict[str, Any]) -> CategoryView:
    """Rename a category or change its colour (``None`` removes the colour)."""
    actor.require(Action.MANAGE_CATEGORIES)
    CategoryChangedFields.check(changes)
    name = validate_name("category name", changes["name"]) if "name" in changes else None
    color = changes.get("color")
    if color is not None and not COLOR.match(color):
        raise ValidationError.single("color", f"{color!r} is not a colour like #1E90FF.")
    color = color.upper() if color else None
    changes = outbox.as_stored(changes, name=name, color=color)
    with store.write() as session:
        cat, ev = refs.by_id(session, actor, Category, "category", category_id)
        if name is not None and name != cat.name:
            clash = session.scalar(select(Category.id).where(
                Category.event_id == ev.id, refs.same_name(Category.name, name)))
            if clash is not None and clash != cat.id:
                raise DuplicateError("category", "name", name, f"in {ev.name}")
        cat.name = name or cat.name
        if "color" in changes:
            cat.color = color
        session.flush()
        view = CategoryView.model_validate(cat)
        outbox.record(session, actor, "category.update", cat.id, {"changes": changes})
        return view


def delete_category(store: Store, actor: Actor, category_id: uuid.UUID) -> None:
    """Delete a category nothing uses.

    A gate limited to it counts as a use: removing the category would leave
    a VIP-only gate open to everyone once it was its last category.
    """
    actor.require(Action.MANAGE_CATEGORIES)
    with store.write() as session:
        cat, ev = refs.by_id(session, actor, Category, "category", category_id)
        _in_use(f"The category {cat.name}", [
            (_count(session, Wristband, Wristband.category_id == cat.id), "wristbands"),
            (_count(session, Ticket, Ticket.category_id == cat.id), "tickets"),
            (_count(session, SeriesCategoryLimit, SeriesCategoryLimit.category_id == cat.id),
             "series limits"),
            (_count(session, GateCategory, GateCategory.category_id == cat.id), "gates"),
        ], "move or remove those first.")
        session.delete(cat)
        session.flush()
        outbox.record(session, actor, "category.delete", cat.id, {"name": cat.name, "event_id": ev.id})
        log.info("category %s of %s deleted by %s", cat.name, ev.name, actor.email)


# -- what this module's changes carry to the server (its outbox contracts) --------

class EventChangedFields(outbox.Edit):
    """An edit of an event: the pushed ``event.update`` and the API's PATCH body."""

    clearable: ClassVar[frozenset[str]] = frozenset({"venue", "starts_on", "ends_on"})

    name: Name | None = None
    timezone: TimezoneName | None = None
    venue: Venue | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class EventUpdateChange(outbox.Payload):
    changes: EventChangedFields


class GateNaming(outbox.Edit):
    """What an edit of a gate changes directly, however its categories are named."""

    name: Name | None = None
    kind: GateKind | None = None


class GateEdit(GateNaming):
    """An edit of a gate as the use case takes it, and the API's PATCH body: categories by id or name,
    an empty list opening the gate to every category."""

    categories: Annotated[list[Annotated[str, Field(max_length=MAX_NAME_LENGTH)]] | None,
                          Field(max_length=MAX_GATE_CATEGORIES)] = None


class GateChangedFields(GateNaming):
    """The pushed ``gate.update``: the categories by id, as the station resolved them."""

    category_ids: Annotated[list[uuid.UUID] | None, Ref("categories")] = None


class GateUpdateChange(outbox.Payload):
    changes: GateChangedFields


class CategoryChangedFields(outbox.Edit):
    """An edit of a category: the pushed ``category.update`` and the API's PATCH body."""

    clearable: ClassVar[frozenset[str]] = frozenset({"color"})

    name: Name | None = None
    color: Color | None = None


class CategoryUpdateChange(outbox.Payload):
    changes: CategoryChangedFields


outbox.declare("event.update", EventUpdateChange, Ref("events"))
outbox.declare("event.delete", None, Ref("events"))
outbox.declare("gate.update", GateUpdateChange, Ref("gates"))
outbox.declare("gate.delete", None, Ref("gates"))
outbox.declare("category.update", CategoryUpdateChange, Ref("categories"))
outbox.declare("category.delete", None, Ref("categories"))
