"""Events and their gates and categories: the fixtures a series is built from."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import GateKind
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    NEW,
    EventId,
    New,
    Ref,
)
from boxoffice.domain.validation import MAX_VENUE, validate_name, validate_optional_text, validate_timezone
from boxoffice.errors import DuplicateError, ValidationError
from boxoffice.schemas.event import CategoryView, EventView, GateView
from boxoffice.schemas.fields import Color, Name, TimezoneName, Venue
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Event, Gate, GateCategory

COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def create_event(
    store: Store,
    actor: Actor,
    name: str,
    timezone: str,
    venue: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    *,
    event_id: uuid.UUID | None = None,
) -> EventView:
    actor.require(Action.MANAGE_EVENTS)
    name = validate_name("event name", name)
    timezone = validate_timezone(timezone).key
    venue = validate_venue(venue)
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError.single("ends_on", "The event must end on or after the day it starts.")
    with store.write() as session:
        clash = session.scalar(
            select(Event).where(
                Event.organization_id == actor.organization_id,
                refs.same_name(Event.name, name),
            )
        )
        if clash is not None:
            raise DuplicateError("event", "name", name)
        ev = Event(
            id=event_id or new_id(),
            organization_id=actor.organization_id,
            name=name,
            timezone=timezone,
            venue=venue,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        session.add(ev)
        session.flush()
        view = EventView.model_validate(ev)
        outbox.record(session, actor, "event.create", ev.id, view.model_dump())
        return view


def validate_venue(venue: str | None) -> str | None:
    """A venue as typed, stripped; blank is none."""
    return validate_optional_text("venue", "venue", venue, MAX_VENUE)


def get_event(store: Store, actor: Actor, event_ref: str) -> EventView:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        return EventView.model_validate(refs.event(session, actor, event_ref))


def list_events(store: Store, actor: Actor) -> list[EventView]:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        rows = session.scalars(
            select(Event)
            .where(Event.organization_id == actor.organization_id)
            .order_by(Event.starts_on, Event.name)
        ).all()
        return [EventView.model_validate(e) for e in rows]


def gate_view(session: Session, gate: Gate) -> GateView:
    names = session.scalars(
        select(Category.name)
        .join(GateCategory, GateCategory.category_id == Category.id)
        .where(GateCategory.gate_id == gate.id)
        .order_by(Category.name)
    ).all()
    return GateView(
        id=gate.id, event_id=gate.event_id, name=gate.name, kind=gate.kind, categories=list(names)
    )


def add_gate(
    store: Store,
    actor: Actor,
    event_ref: str,
    name: str,
    kind: GateKind,
    categories: list[str] | None = None,
    *,
    gate_id: uuid.UUID | None = None,
) -> GateView:
    """A gate, optionally open only to some categories (a VIP entrance)."""
    actor.require(Action.MANAGE_GATES)
    name = validate_name("gate name", name)
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        if session.scalar(
            select(Gate).where(Gate.event_id == ev.id, refs.same_name(Gate.name, name))
        ):
            raise DuplicateError("gate", "name", name, f"in {ev.name}")
        cats = [refs.category(session, actor, ev, c) for c in categories or []]
        gate = Gate(id=gate_id or new_id(), event_id=ev.id, name=name, kind=kind)
        session.add(gate)
        session.flush()
        for cat in {c.id: c for c in cats}.values():
            session.add(GateCategory(gate_id=gate.id, category_id=cat.id))
        session.flush()
        view = gate_view(session, gate)
        outbox.record(
            session, actor, "gate.create", gate.id,
            {**view.model_dump(), "category_ids": [c.id for c in cats]},
        )
        return view


def list_gates(store: Store, actor: Actor, event_ref: str) -> list[GateView]:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        ev = refs.event(session, actor, event_ref)
        gates = session.scalars(select(Gate).where(Gate.event_id == ev.id).order_by(Gate.name))
        return [gate_view(session, g) for g in gates]


def add_category(
    store: Store, actor: Actor, event_ref: str, name: str, color: str | None = None,
    *, category_id: uuid.UUID | None = None,
) -> CategoryView:
    actor.require(Action.MANAGE_CATEGORIES)
    name = validate_name("category name", name)
    if color is not None and not COLOR.match(color):
        raise ValidationError.single("color", f"{color!r} is not a colour like #1E90FF.")
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        if session.scalar(
            select(Category).where(
                Category.event_id == ev.id, refs.same_name(Category.name, name)
            )
        ):
            raise DuplicateError("category", "name", name, f"in {ev.name}")
        cat = Category(id=category_id or new_id(), event_id=ev.id, name=name,
                       color=color.upper() if color else None)
        session.add(cat)
        session.flush()
        view = CategoryView.model_validate(cat)
        outbox.record(session, actor, "category.create", cat.id, view.model_dump())
        return view


def list_categories(store: Store, actor: Actor, event_ref: str) -> list[CategoryView]:
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        ev = refs.event(session, actor, event_ref)
        rows = session.scalars(
            select(Category).where(Category.event_id == ev.id).order_by(Category.name)
        )
        return [CategoryView.model_validate(c) for c in rows]


# -- what this module's changes carry to the server (its outbox contracts) --------

class EventFields(outbox.Payload):
    """What a person states about a new event: the pushed ``event.create`` and the API's POST body."""

    name: Name
    timezone: TimezoneName
    venue: Venue | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class EventCreateChange(EventFields):
    id: New


class GateFields(outbox.Payload):
    """What a new gate and an edit of one both state directly; its categories are ids when pushed
    and ids or names through the API."""

    name: Name
    kind: GateKind = GateKind.BOTH


class GateCreateChange(GateFields):
    id: New
    event_id: EventId
    category_ids: Annotated[list[uuid.UUID], Ref("categories")] = []


class CategoryFields(outbox.Payload):
    """A new category: the pushed ``category.create`` and the API's POST body."""

    name: Name
    color: Color | None = None


class CategoryCreateChange(CategoryFields):
    id: New
    event_id: EventId


outbox.declare("event.create", EventCreateChange, NEW)
outbox.declare("gate.create", GateCreateChange, NEW)
outbox.declare("category.create", CategoryCreateChange, NEW)
