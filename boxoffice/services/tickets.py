"""Tickets of an event: the ticketing system's codes, later linked to a band at the counter.

A code is unique per event, ignoring case: a code read out at a busy
counter and typed in lower case is the same ticket. (Importing tickets in
bulk from a CSV file is ``ticket_import``'s job; the rules here are the ones
it must keep too.)
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any, ClassVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    NEW,
    CategoryId,
    EventId,
    New,
    Ref,
)
from boxoffice.domain.validation import (
    validate_holder_email,
    validate_holder_name,
    validate_ticket_code,
)
from boxoffice.errors import DuplicateError, InUseError, ValidationError
from boxoffice.schemas.event import TicketView
from boxoffice.schemas.fields import Email, HolderName, TicketCode
from boxoffice.schemas.pages import TicketPage
from boxoffice.services import outbox, paging, refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Event, SeriesTicket, Ticket, Wristband
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_PAGE = "tickets"


def _ensure_unique(session: Session, ev: Event, code: str, own: uuid.UUID | None) -> None:
    clash = session.scalar(
        select(Ticket.id).where(Ticket.event_id == ev.id, refs.same_name(Ticket.code, code))
    )
    if clash is not None and clash != own:
        raise DuplicateError("ticket", "code", code, f"in {ev.name}")


def _view(ticket: Ticket, category: str) -> TicketView:
    return TicketView(
        id=ticket.id, event_id=ticket.event_id, category_id=ticket.category_id, category=category,
        code=ticket.code, holder_name=ticket.holder_name, holder_email=ticket.holder_email,
        voided_at=ticket.voided_at, created_at=ticket.created_at,
    )


def _with_category() -> Select[Ticket, str]:
    return select(Ticket, Category.name).join(Category, Category.id == Ticket.category_id)


def create_ticket(
    store: Store,
    actor: Actor,
    event_ref: str,
    code: str,
    category_ref: str,
    holder_name: str | None = None,
    holder_email: str | None = None,
    *,
    ticket_id: uuid.UUID | None = None,
) -> TicketView:
    actor.require(Action.MANAGE_TICKETS)
    code = validate_ticket_code(code)
    name, email = validate_holder_name(holder_name), validate_holder_email(holder_email)
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        cat = refs.category(session, actor, ev, category_ref)
        _ensure_unique(session, ev, code, None)
        ticket = Ticket(id=ticket_id or new_id(), event_id=ev.id, category_id=cat.id, code=code,
                        holder_name=name, holder_email=email)
        session.add(ticket)
        session.flush()
        view = _view(ticket, cat.name)
        outbox.record(session, actor, "ticket.create", ticket.id, view.model_dump())
        log.info("ticket %s added to %s by %s", code, ev.name, actor.email)
        return view


def get_ticket(store: Store, actor: Actor, ticket_id: uuid.UUID) -> TicketView:
    actor.require(Action.VIEW_TICKETS)
    with store.read() as session:
        ticket, _ = refs.by_id(session, actor, Ticket, "ticket", ticket_id)
        return _view(ticket, session.get_one(Category, ticket.category_id).name)


def list_tickets(
    store: Store,
    actor: Actor,
    event_ref: str,
    *,
    code: str | None = None,
    category_ref: str | None = None,
    limit: int = paging.DEFAULT_LIMIT,
    after: str | None = None,
) -> TicketPage:
    """Tickets of an event by code; ``code`` keeps those whose code contains it (any case)."""
    actor.require(Action.VIEW_TICKETS)
    paging.check_limit(limit)
    after_code = paging.decode(after, _PAGE, 1)[0] if after else None
    with store.read() as session:
        ev = refs.event(session, actor, event_ref)
        query = _with_category().where(Ticket.event_id == ev.id)
        if code and code.strip():
            if not code.isprintable():
                raise ValidationError.single("code", "A ticket code cannot hold control characters.")
            query = query.where(
                func.lower(Ticket.code).contains(code.strip().lower(), autoescape=True)
            )
        if category_ref is not None:
            query = query.where(Ticket.category_id == refs.category(session, actor, ev, category_ref).id)
        if after_code is not None:
            query = query.where(Ticket.code > after_code)
        rows = session.execute(query.order_by(Ticket.code).limit(limit + 1)).all()
        items = [_view(t, name) for t, name in rows[:limit]]
    more = len(rows) > limit
    return TicketPage(items=items, next_after=paging.encode(_PAGE, items[-1].code) if more else None)


def update_ticket(store: Store, actor: Actor, ticket_id: uuid.UUID, changes: dict[str, Any]) -> TicketView:
    """Correct a ticket: its code, category, holder, or void it (``voided``) and undo that."""
    actor.require(Action.MANAGE_TICKETS)
    TicketChangedFields.check(changes)
    code = validate_ticket_code(changes["code"]) if "code" in changes else None
    name = validate_holder_name(changes.get("holder_name"))
    email = validate_holder_email(changes.get("holder_email"))
    changes = outbox.as_stored(changes, code=code, holder_name=name, holder_email=email)
    with store.write() as session:
        ticket, ev = refs.by_id(session, actor, Ticket, "ticket", ticket_id)
        cat = (refs.category(session, actor, ev, str(changes["category_id"]))
               if "category_id" in changes else session.get_one(Category, ticket.category_id))
        if code is not None and code != ticket.code:
            _ensure_unique(session, ev, code, ticket.id)
            ticket.code = code
        ticket.category_id = cat.id
        if "holder_name" in changes:
            ticket.holder_name = name
        if "holder_email" in changes:
            ticket.holder_email = email
        if "voided" in changes and bool(changes["voided"]) != (ticket.voided_at is not None):
            ticket.voided_at = utcnow() if changes["voided"] else None
        session.flush()
        view = _view(ticket, cat.name)
        outbox.record(session, actor, "ticket.update", ticket.id,
                      {"changes": {**changes, **({"category_id": cat.id} if "category_id" in changes
                                                  else {})}})
        return view


def delete_ticket(store: Store, actor: Actor, ticket_id: uuid.UUID) -> None:
    """Delete a ticket entered by mistake; one linked to a band is voided instead."""
    actor.require(Action.MANAGE_TICKETS)
    with store.write() as session:
        ticket, ev = refs.by_id(session, actor, Ticket, "ticket", ticket_id)
        bands = session.scalar(
            select(func.count()).select_from(Wristband).where(Wristband.ticket_id == ticket.id)
        )
        if bands:
            raise InUseError(
                f"The ticket {ticket.code} is linked to {bands:,} wristband(s); void it instead."
            )
        for link in session.scalars(select(SeriesTicket).where(SeriesTicket.ticket_id == ticket.id)):
            session.delete(link)
        session.flush()
        session.delete(ticket)
        session.flush()
        outbox.record(session, actor, "ticket.delete", ticket.id, {"code": ticket.code, "event_id": ev.id})
        log.info("ticket %s of %s deleted by %s", ticket.code, ev.name, actor.email)


# -- what this module's changes carry to the server (its outbox contracts) --------

class TicketFields(outbox.Payload):
    """A new ticket: the pushed ``ticket.create`` and the API's POST body."""

    code: TicketCode
    category_id: CategoryId
    holder_name: HolderName | None = None
    holder_email: Email | None = None


class TicketCreateChange(TicketFields):
    id: New
    event_id: EventId


class TicketChangedFields(outbox.Edit):
    """An edit of a ticket: the pushed ``ticket.update`` and the API's PATCH body; ``voided`` voids it
    or undoes that."""

    clearable: ClassVar[frozenset[str]] = frozenset({"holder_name", "holder_email"})

    code: TicketCode | None = None
    category_id: Annotated[uuid.UUID | None, Ref("categories")] = None
    holder_name: HolderName | None = None
    holder_email: Email | None = None
    voided: bool | None = None


class TicketUpdateChange(outbox.Payload):
    changes: TicketChangedFields


outbox.declare("ticket.create", TicketCreateChange, NEW)
outbox.declare("ticket.update", TicketUpdateChange, Ref("tickets"))
outbox.declare("ticket.delete", None, Ref("tickets"))
