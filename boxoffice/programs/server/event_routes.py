"""Routes of events, gates, categories and tickets beyond creating them, and a gate's scannables."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from boxoffice.programs.server import bodies
from boxoffice.programs.server import requests as rq
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.schemas.event import CategoryView, EventView, GateView, TicketView
from boxoffice.schemas.pages import ScannablesPage, TicketPage
from boxoffice.services import event_admin, events, paging, scannables, tickets

router = APIRouter(prefix="/api", responses=rq.ERROR_RESPONSES)

After = Annotated[str | None, Query(max_length=300,
                                    description="The previous page's next_after, for the next page.")]


@router.get("/events/{event_id}", tags=["events"])
def get_event(event_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> EventView:
    return events.get_event(store, actor, str(event_id))


@router.patch("/events/{event_id}", tags=["events"])
def update_event(event_id: uuid.UUID, body: bodies.EventUpdate, store: StoreDep,
                 actor: ActorDep) -> EventView:
    """Name, venue and dates; the time zone only while the event has no series."""
    return event_admin.update_event(store, actor, str(event_id), body.model_dump(exclude_unset=True))


@router.delete("/events/{event_id}", tags=["events"], status_code=204)
def delete_event(event_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> None:
    """Only an event without series and without wristbands."""
    event_admin.delete_event(store, actor, str(event_id))


@router.get("/gates/{gate_id}", tags=["events"])
def get_gate(gate_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> GateView:
    return event_admin.get_gate(store, actor, gate_id)


@router.patch("/gates/{gate_id}", tags=["events"])
def update_gate(gate_id: uuid.UUID, body: bodies.GateUpdate, store: StoreDep, actor: ActorDep) -> GateView:
    return event_admin.update_gate(store, actor, gate_id, body.model_dump(exclude_unset=True))


@router.delete("/gates/{gate_id}", tags=["events"], status_code=204)
def delete_gate(gate_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> None:
    """Refused while a series uses the gate or check-ins were made at it."""
    event_admin.delete_gate(store, actor, gate_id)


@router.get("/gates/{gate_id}/scannables", tags=["gates"])
def gate_scannables(
    gate_id: uuid.UUID, series_id: uuid.UUID, store: StoreDep, actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=scannables.MAX_LIMIT)] = 1000, after: After = None,
) -> ScannablesPage:
    """The bands this gate may admit to the series, for deciding offline, with the series' rules."""
    return scannables.gate_scannables(store, actor, gate_id, str(series_id), limit=limit, after=after)


@router.get("/categories/{category_id}", tags=["events"])
def get_category(category_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> CategoryView:
    return event_admin.get_category(store, actor, category_id)


@router.patch("/categories/{category_id}", tags=["events"])
def update_category(category_id: uuid.UUID, body: bodies.CategoryUpdate, store: StoreDep,
                    actor: ActorDep) -> CategoryView:
    return event_admin.update_category(store, actor, category_id, body.model_dump(exclude_unset=True))


@router.delete("/categories/{category_id}", tags=["events"], status_code=204)
def delete_category(category_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> None:
    """Refused while bands, tickets, series limits or gates use the category."""
    event_admin.delete_category(store, actor, category_id)


@router.get("/events/{event_id}/tickets", tags=["tickets"])
def list_tickets(
    event_id: uuid.UUID, store: StoreDep, actor: ActorDep,
    code: Annotated[str | None, Query(max_length=64, description="Part of the code, any case.")] = None,
    category_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=paging.MAX_LIMIT)] = paging.DEFAULT_LIMIT,
    after: After = None,
) -> TicketPage:
    return tickets.list_tickets(store, actor, str(event_id), code=code,
                                category_ref=str(category_id) if category_id else None,
                                limit=limit, after=after)


@router.post("/events/{event_id}/tickets", tags=["tickets"], status_code=201)
def create_ticket(event_id: uuid.UUID, body: bodies.TicketCreate, store: StoreDep,
                  actor: ActorDep) -> TicketView:
    return tickets.create_ticket(store, actor, str(event_id), body.code, str(body.category_id),
                                 body.holder_name, body.holder_email)


@router.get("/tickets/{ticket_id}", tags=["tickets"])
def get_ticket(ticket_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> TicketView:
    return tickets.get_ticket(store, actor, ticket_id)


@router.patch("/tickets/{ticket_id}", tags=["tickets"])
def update_ticket(ticket_id: uuid.UUID, body: bodies.TicketUpdate, store: StoreDep,
                  actor: ActorDep) -> TicketView:
    return tickets.update_ticket(store, actor, ticket_id, body.model_dump(exclude_unset=True))


@router.delete("/tickets/{ticket_id}", tags=["tickets"], status_code=204)
def delete_ticket(ticket_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> None:
    """A ticket linked to a band is voided instead (PATCH voided=true)."""
    tickets.delete_ticket(store, actor, ticket_id)
