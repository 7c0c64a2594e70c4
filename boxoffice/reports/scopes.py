"""What a report can be about: the organization's events and their series, for pickers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from boxoffice.domain.permissions import Action
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Event, EventSeries


@dataclass(frozen=True)
class EventScope:
    id: uuid.UUID
    name: str
    timezone: str
    series: list[tuple[uuid.UUID, str]] = field(default_factory=list)


def report_scopes(store: Store, actor: Actor) -> list[EventScope]:
    """Every event of the actor's organization by name, each with its series in start order."""
    actor.require(Action.VIEW_SERIES)
    with store.read() as session:
        events = {
            ev_id: EventScope(ev_id, name, tz)
            for ev_id, name, tz in session.execute(
                select(Event.id, Event.name, Event.timezone)
                .where(Event.organization_id == actor.organization_id).order_by(Event.name)
            )
        }
        for sid, ev_id, name in session.execute(
            select(EventSeries.id, EventSeries.event_id, EventSeries.name)
            .where(EventSeries.organization_id == actor.organization_id)
            .order_by(EventSeries.starts_at, EventSeries.name)
        ):
            if ev_id in events:
                events[ev_id].series.append((sid, name))
    return list(events.values())
