"""The waitlist of a sold-out product: who is next, and an offer that holds a place for them.

Staff add a person (a name and a contact) when a product is sold out; one
entry per person and product, by a unique key on the normalized contact
(``domain.validation.contact_key``). When places free up (a refund, a raised
quota, a lease's places coming back) the next waiting people, in the order
they were added, each get an **offer**: the place is held for them on the
product's counters (``held``, like a lease the server holds) until they buy
it (``sales.accept_offer``) or ``OFFER_DURATION`` passes; an expired offer
gives its place to the next person. ``to_call`` is the list staff work
from: the open offers, soonest to expire first.

Offers expire lazily: whoever looks (``to_call``, a new offer, a sale that
finds no room) first expires what is due, in its own transaction; every
step is a conditional UPDATE on the entry's status, so two staff members
never offer one place twice or serve one person twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from boxoffice.domain.enums import WaitlistStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.validation import (
    MAX_CONTACT,
    OFFER_DURATION,
    contact_key,
    validate_email,
    validate_name,
)
from boxoffice.errors import DuplicateError, NotFoundError, SalesStateError, ValidationError
from boxoffice.schemas.sales import WaitlistEntryView
from boxoffice.services import quotas, refs
from boxoffice.services.actor import Actor
from boxoffice.services.product_lookup import find, require_authority
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Event, Order, Product, WaitlistEntry
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

_W = WaitlistEntry


def validate_contact(value: str) -> str:
    """An e-mail address or a phone number (six digits at least): how staff reach the person."""
    text = (value or "").strip()
    if "@" in text:
        return validate_email("contact", text)
    if len(text) > MAX_CONTACT or sum(ch.isdigit() for ch in text) < 6 or not text.isprintable():
        raise ValidationError.single("contact", f"A contact is an e-mail address or a phone number; "
                                                f"{value!r} is neither.")
    return text


def view(session: Session, entry: WaitlistEntry) -> WaitlistEntryView:
    reference = (session.scalar(select(Order.reference).where(Order.id == entry.order_id))
                 if entry.order_id else None)
    return WaitlistEntryView(
        id=entry.id, product_id=entry.product_id, product=session.get_one(Product, entry.product_id).name,
        name=entry.name, contact=entry.contact, status=entry.status, added_at=entry.added_at,
        offered_at=entry.offered_at, offer_expires_at=entry.offer_expires_at, order_reference=reference)


def _make_offer(session: Session, entry_id: uuid.UUID, product_id: uuid.UUID, now: datetime) -> bool:
    """Hold a place and offer it to a waiting entry; False (nothing held) if no place or not waiting."""
    if not quotas.hold(session, product_id, 1):
        return False
    offered = session.execute(
        update(_W).where(_W.id == entry_id, _W.status == WaitlistStatus.WAITING)
        .values(status=WaitlistStatus.OFFERED, offered_at=now, offer_expires_at=now + OFFER_DURATION)
        .returning(_W.id)
    ).first()
    if offered is None:
        quotas.release(session, product_id, 1)
        return False
    return True


def offer_freed(session: Session, product_id: uuid.UUID, now: datetime | None = None) -> int:
    """Offer free places to the next waiting people of a product, in order; how many offers were made.

    Called in the transaction that freed the places, so a freed place goes
    to the waitlist before a walk-up sale can take it.
    """
    now = now or utcnow()
    made = 0
    skipped: set[uuid.UUID] = set()
    while True:
        query = select(_W.id).where(_W.product_id == product_id, _W.status == WaitlistStatus.WAITING)
        if skipped:
            query = query.where(_W.id.not_in(skipped))
        entry_id = session.scalar(query.order_by(_W.added_at, _W.id).limit(1))
        if entry_id is None:
            break
        if not _make_offer(session, entry_id, product_id, now):
            if session.scalar(select(_W.status).where(_W.id == entry_id)) is WaitlistStatus.WAITING:
                break  # no free place
            skipped.add(entry_id)  # offered by someone else meanwhile
            continue
        made += 1
        log.info("waitlist: a place of product %s offered to entry %s", product_id, entry_id)
    return made


def expire_offers(session: Session, product_id: uuid.UUID, now: datetime | None = None) -> int:
    """End the offers of a product that ran out; their places go back (and on to the next person)."""
    now = now or utcnow()
    expired = 0
    due = select(_W.id).where(_W.product_id == product_id, _W.status == WaitlistStatus.OFFERED,
                              _W.offer_expires_at <= now).limit(1)
    if session.scalar(due) is None:
        return 0
    quotas.lock(session, product_id)  # the counter before the entries: the one lock order (``quotas``)
    for entry_id in session.scalars(select(_W.id).where(
            _W.product_id == product_id, _W.status == WaitlistStatus.OFFERED,
            _W.offer_expires_at <= now)).all():
        if session.execute(update(_W).where(_W.id == entry_id, _W.status == WaitlistStatus.OFFERED)
                           .values(status=WaitlistStatus.EXPIRED).returning(_W.id)).first() is not None:
            quotas.release(session, product_id, 1)
            expired += 1
    if expired:
        log.info("waitlist: %d offers of product %s expired", expired, product_id)
        offer_freed(session, product_id, now)
    return expired


def add(store: Store, actor: Actor, product_ref: str, name: str, contact: str, *,
        event_ref: str | None = None) -> WaitlistEntryView:
    """Put a person on a sold-out product's waitlist (once per person and product)."""
    actor.require(Action.SELL)
    require_authority(store)
    name = validate_name("name", name)
    contact = validate_contact(contact)
    with store.write() as session:
        product = find(session, actor, product_ref, event_ref)
        quota, sold, held = quotas.counters(session, product.id)
        free = quota - sold - held
        if free > 0:
            raise SalesStateError(f"{product.name} is not sold out ({free:,} left): sell a ticket instead.")
        entry = WaitlistEntry(id=new_id(), product_id=product.id, name=name, contact=contact,
                              contact_key=contact_key(contact))
        try:
            with session.begin_nested():
                session.add(entry)
                session.flush()
        except IntegrityError:
            raise DuplicateError("waitlist entry", "contact", contact, f"for {product.name}") from None
        log.info("waitlist: %s added for %s by %s", name, product.name, actor.email)
        return view(session, entry)


def _entry(session: Session, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntry:
    entry = session.get(WaitlistEntry, entry_id)
    product = session.get(Product, entry.product_id) if entry is not None else None
    ev = session.get(Event, product.event_id) if product is not None else None
    if entry is None or ev is None or ev.organization_id != actor.organization_id:
        raise NotFoundError("waitlist entry", entry_id)
    return entry


def offer(store: Store, actor: Actor, entry_id: uuid.UUID) -> WaitlistEntryView:
    """Offer a place to this person now (out of turn); refused with a sentence if that cannot be."""
    actor.require(Action.SELL)
    require_authority(store)
    with store.write() as session:
        entry = _entry(session, actor, entry_id)
        now = utcnow()
        expire_offers(session, entry.product_id, now)
        session.refresh(entry)
        if entry.status is WaitlistStatus.SERVED:
            raise SalesStateError(f"{entry.name} has already been served; nothing was offered.")
        if entry.status is WaitlistStatus.OFFERED:
            raise SalesStateError(f"{entry.name} already has an offer, until "
                                  f"{entry.offer_expires_at:%H:%M} UTC; nothing more was offered.")
        if entry.status is WaitlistStatus.EXPIRED:
            raise SalesStateError(f"{entry.name}'s offer expired; add them to the waitlist again if they "
                                  "still want a place.")
        if not _make_offer(session, entry.id, entry.product_id, now):
            raise SalesStateError("No place is free to offer; one is offered as soon as one frees up.")
        session.refresh(entry)
        return view(session, entry)


def to_call(store: Store, actor: Actor, *, event_ref: str | None = None,
            product_ref: str | None = None) -> list[WaitlistEntryView]:
    """Who to call now: the open offers, soonest to expire first (expired ones passed on first)."""
    actor.require(Action.SELL)
    require_authority(store)
    with store.write() as session:
        if product_ref is not None:
            product_ids = [find(session, actor, product_ref, event_ref).id]
        else:
            query = select(Product.id).join(Event, Event.id == Product.event_id).where(
                Event.organization_id == actor.organization_id,
                Product.id.in_(select(_W.product_id).where(
                    _W.status.in_([WaitlistStatus.OFFERED, WaitlistStatus.WAITING]))))
            if event_ref is not None:
                query = query.where(Product.event_id == refs.event(session, actor, event_ref).id)
            product_ids = list(session.scalars(query))
        now = utcnow()
        for product_id in sorted(product_ids):
            expire_offers(session, product_id, now)
            offer_freed(session, product_id, now)
        entries = session.scalars(select(_W).where(_W.product_id.in_(product_ids),
                                                   _W.status == WaitlistStatus.OFFERED)
                                  .order_by(_W.offer_expires_at, _W.added_at)).all()
        return [view(session, e) for e in entries]


def entries(store: Store, actor: Actor, product_ref: str, *,
            event_ref: str | None = None) -> list[WaitlistEntryView]:
    """A product's whole waitlist, in order."""
    actor.require(Action.SELL)
    with store.read() as session:
        product = find(session, actor, product_ref, event_ref)
        rows = session.scalars(select(_W).where(_W.product_id == product.id)
                               .order_by(_W.added_at, _W.id)).all()
        return [view(session, e) for e in rows]
