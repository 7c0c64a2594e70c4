"""Finding rows by what a person types: an id, or a name.

Everything found is scoped to the actor's organization: another
organization's row answers "not found", exactly like a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from boxoffice.domain.validation import validate_uid
from boxoffice.errors import AmbiguousError, NotFoundError
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Event, EventSeries, Gate, Ticket, Wristband

T = TypeVar("T")
# The event-scoped, named things a person picks by name.
Named = TypeVar("Named", Gate, Category)


def same_name(column: InstrumentedAttribute[str], name: str) -> ColumnElement[bool]:
    """Names match ignoring case, and always when they are identical.

    SQLite's lower() folds only ASCII, so "Zoë" vs "ZOË" is caught only by
    the first test and an exact "Ørsted" only by the second.
    """
    name = name.strip()
    return or_(column == name, func.lower(column) == name.lower())


def as_uuid(ref: str | uuid.UUID) -> uuid.UUID | None:
    if isinstance(ref, uuid.UUID):
        return ref
    try:
        return uuid.UUID(ref.strip())
    except ValueError:
        return None


def event(session: Session, actor: Actor, ref: str | uuid.UUID) -> Event:
    ident = as_uuid(ref)
    if ident is not None:
        found = session.get(Event, ident)
        if found is None or found.organization_id != actor.organization_id:
            raise NotFoundError("event", ref)
        return found
    rows = session.scalars(
        select(Event).where(
            Event.organization_id == actor.organization_id,
            same_name(Event.name, str(ref)),
        )
    ).all()
    return _one(rows, "event", ref, lambda e: str(e.id))


def _in_event(
    session: Session, actor: Actor, model: type[Named], kind: str, ev: Event, ref: str | uuid.UUID
) -> Named:
    ident = as_uuid(ref)
    column = model.event_id
    if ident is not None:
        found = session.get(model, ident)
        if found is None or found.event_id != ev.id:
            raise NotFoundError(kind, f"{ref} in {ev.name}")
        return found
    rows = session.scalars(
        select(model).where(
            column == ev.id, same_name(model.name, str(ref))
        )
    ).all()
    if not rows:
        raise NotFoundError(kind, f"{ref!s} in {ev.name}")
    return rows[0]


def gate(session: Session, actor: Actor, ev: Event, ref: str | uuid.UUID) -> Gate:
    return _in_event(session, actor, Gate, "gate", ev, ref)


def category(session: Session, actor: Actor, ev: Event, ref: str | uuid.UUID) -> Category:
    return _in_event(session, actor, Category, "category", ev, ref)


Owned = TypeVar("Owned", Gate, Category, Ticket)


def by_id(session: Session, actor: Actor, model: type[Owned], kind: str,
          ident: uuid.UUID) -> tuple[Owned, Event]:
    """A gate, category or ticket by its own id, with its event; another organization's is not found."""
    found = session.get(model, ident)
    ev = session.get(Event, found.event_id) if found is not None else None
    if found is None or ev is None or ev.organization_id != actor.organization_id:
        raise NotFoundError(kind, ident)
    return found, ev


def series(
    session: Session, actor: Actor, ref: str | uuid.UUID, ev: Event | None = None
) -> EventSeries:
    """A series by id, or by name (within ``ev`` when given, else across the organization)."""
    ident = as_uuid(ref)
    if ident is not None:
        found = session.get(EventSeries, ident)
        if found is None or found.organization_id != actor.organization_id:
            raise NotFoundError("series", ref)
        if ev is not None and found.event_id != ev.id:
            raise NotFoundError("series", f"{ref} in {ev.name}")
        return found
    query = select(EventSeries).where(
        EventSeries.organization_id == actor.organization_id,
        same_name(EventSeries.name, str(ref)),
    )
    if ev is not None:
        query = query.where(EventSeries.event_id == ev.id)
    rows = session.scalars(query).all()
    return _one(rows, "series", ref, lambda s: str(s.id))


def wristband(session: Session, ev: Event, uid: str) -> Wristband:
    found = session.scalar(
        select(Wristband).where(Wristband.event_id == ev.id, Wristband.uid == normalize_uid(uid))
    )
    if found is None:
        raise NotFoundError("wristband with UID", f"{uid} in {ev.name}")
    return found


def normalize_uid(uid: str) -> str:
    """Readers print UIDs as ``04:A2:…``, ``04a2…`` or with spaces; store one form (or refuse it)."""
    return validate_uid(uid)


def _one(rows: Sequence[T], kind: str, ref: object, label: Callable[[T], str]) -> T:
    items = list(rows)
    if not items:
        raise NotFoundError(kind, ref)
    if len(items) > 1:
        raise AmbiguousError(kind, ref, [label(i) for i in items])
    return items[0]


def series_id(store: Store, actor: Actor, ref: str, event_ref: str | None = None) -> str:
    """Turn what a person typed into the series' id, using the event to disambiguate."""
    with store.read() as session:
        ev = event(session, actor, event_ref) if event_ref else None
        return str(series(session, actor, ref, ev).id)
