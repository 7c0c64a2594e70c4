"""The box office's lookup: everything about one band on one card, found by UID or ticket code.

Also the check of a payload read off a band: the gate's own band rules
(``domain.access.check_band``: unknown, status, signature against the event's
keys for this UID and this band's record), so the box office and a gate give
the same reason and sentence for the same band and payload.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from boxoffice.domain import payload as pl
from boxoffice.domain.access import MESSAGES, BandRecord, check_band
from boxoffice.domain.enums import BandStatus, CheckinResult, Direction, Reason, SeriesStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.validation import uid_form
from boxoffice.errors import NotFoundError, ValidationError
from boxoffice.schemas.base import View
from boxoffice.services import band_signature, keys, refs
from boxoffice.services.actor import Actor
from boxoffice.services.band_status import find_band
from boxoffice.services.wristbands import UID_PATTERN, label_of
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventSeries,
    Gate,
    SeriesWristbandAssignment,
    Ticket,
    Wristband,
)

log = logging.getLogger(__name__)

DEFAULT_CHECKINS = 10


class SeriesLine(View):
    series_id: uuid.UUID
    name: str
    status: SeriesStatus
    assigned_at: datetime


class TicketLine(View):
    id: uuid.UUID
    code: str
    holder_name: str | None
    holder_email: str | None
    voided: bool


class CheckinLine(View):
    at: datetime
    gate: str
    series: str
    direction: Direction
    result: CheckinResult
    reason: Reason
    message: str


class BandCard(View):
    band_id: uuid.UUID
    uid: str
    event_id: uuid.UUID
    event: str
    category: str
    label: str
    status: BandStatus
    status_reason: str | None
    encoded_at: datetime | None
    station: str | None
    voided_at: datetime | None
    lost_at: datetime | None
    replaces_uid: str | None
    replaced_by_uid: str | None
    series: list[SeriesLine]
    ticket: TicketLine | None
    checkins: list[CheckinLine]


class BandVerification(View):
    """Whether the data read off a band is genuine, and what the database says about that band.

    ``reason`` and ``message`` are the gate's for this band and payload (``ok`` and a sentence
    saying it is genuine when it is); the ids are what the tag says.
    """

    valid: bool
    reason: Reason
    message: str
    detail: str | None = None  # what exactly is wrong with the data, for a bad_signature
    event: str | None = None  # the name of the band's event, when the UID is ours
    band_id: uuid.UUID | None = None
    event_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    key_id: str | None = None
    status: BandStatus | None = None


def band_card(store: Store, actor: Actor, ref: str, *, event_ref: str | None = None,
              checkins: int = DEFAULT_CHECKINS) -> BandCard:
    """The card of the band a UID or a ticket code names; the newest ``checkins`` taps on it."""
    actor.require(Action.VIEW_BANDS)
    ref = ref.strip()
    if not ref:
        raise ValidationError.single("ref", "Give a band's UID or a ticket code.")
    with store.read() as session:
        band = _by_uid(session, actor, ref, event_ref)
        if band is None:
            band = _by_ticket(session, actor, ref, event_ref)
        return _card(session, actor, band, checkins)


def _by_uid(session: Session, actor: Actor, ref: str, event_ref: str | None) -> Wristband | None:
    if not UID_PATTERN.match(uid_form(ref)):
        return None
    try:
        return find_band(session, actor, ref, event_ref)[1]
    except NotFoundError:
        return None  # a ticket code that looks like hex


def _by_ticket(session: Session, actor: Actor, code: str, event_ref: str | None) -> Wristband:
    query = (select(Ticket, Event).join(Event, Event.id == Ticket.event_id)
             .where(Event.organization_id == actor.organization_id,
                    # Codes are typed off printed tickets: case is not something to get right.
                    or_(Ticket.code == code, func.lower(Ticket.code) == code.lower())))
    if event_ref is not None:
        query = query.where(Event.id == refs.event(session, actor, event_ref).id)
    found = session.execute(query).all()
    if not found:
        raise NotFoundError("wristband or ticket", code)
    if len(found) > 1:
        from boxoffice.errors import AmbiguousError

        raise AmbiguousError("ticket", code, [ev.name for _, ev in found])
    ticket, ev = found[0]
    bands = session.scalars(
        select(Wristband).where(Wristband.ticket_id == ticket.id).order_by(Wristband.created_at.desc())
    ).all()
    if not bands:
        who = f" ({ticket.holder_name})" if ticket.holder_name else ""
        raise NotFoundError("wristband for ticket", f"{code}{who} in {ev.name}; it has no band yet")
    # The band in use, if there is one, else the newest.
    active = [b for b in bands if b.status is BandStatus.ACTIVE]
    return active[0] if active else bands[0]


def _card(session: Session, actor: Actor, band: Wristband, limit: int) -> BandCard:
    ev = session.get_one(Event, band.event_id)
    cat = session.get_one(Category, band.category_id)
    series = [
        SeriesLine(series_id=s.id, name=s.name, status=s.status, assigned_at=a.assigned_at)
        for a, s in session.execute(
            select(SeriesWristbandAssignment, EventSeries)
            .join(EventSeries, EventSeries.id == SeriesWristbandAssignment.series_id)
            .where(SeriesWristbandAssignment.wristband_id == band.id,
                   SeriesWristbandAssignment.active.is_(True))
            .order_by(EventSeries.starts_at)
        ).all()
    ]
    ticket = session.get(Ticket, band.ticket_id) if band.ticket_id else None
    taps = [
        CheckinLine(at=c.occurred_at, gate=g.name, series=s.name, direction=c.direction, result=c.result,
                    reason=c.reason, message=MESSAGES[c.reason])
        for c, g, s in session.execute(
            select(Checkin, Gate, EventSeries)
            .join(Gate, Gate.id == Checkin.gate_id)
            .join(EventSeries, EventSeries.id == Checkin.series_id)
            .where(Checkin.wristband_id == band.id)
            .order_by(Checkin.occurred_at.desc())
            .limit(max(0, limit))
        ).all()
    ]
    replaces = session.get(Wristband, band.replaces_id) if band.replaces_id else None
    successor = session.scalar(select(Wristband).where(Wristband.replaces_id == band.id))
    return BandCard(
        band_id=band.id, uid=band.uid, event_id=ev.id, event=ev.name, category=cat.name,
        label=label_of(cat.name, band.number), status=band.status, status_reason=band.void_reason,
        encoded_at=band.encoded_at, station=band.station, voided_at=band.voided_at, lost_at=band.lost_at,
        replaces_uid=replaces.uid if replaces else None,
        replaced_by_uid=successor.uid if successor else None,
        series=series,
        ticket=TicketLine(id=ticket.id, code=ticket.code, holder_name=ticket.holder_name,
                          holder_email=ticket.holder_email, voided=ticket.voided_at is not None)
        if ticket else None,
        checkins=taps,
    )


def verify_band(store: Store, actor: Actor, uid: str, payload_bytes: bytes) -> BandVerification:
    """Is ``payload_bytes`` (read off the tag with UID ``uid``) a genuine band of ours? The gate's band
    rules (:func:`boxoffice.domain.access.check_band`), for the band of the organization with this UID.

    A payload of the wrong shape is refused with a ValidationError, as the gate refuses it (422);
    any other bad band is answered, never raised, with the reason a gate gives.
    """
    actor.require(Action.VIEW_BANDS)
    uid_hex = refs.normalize_uid(uid)
    if not UID_PATTERN.match(uid_hex):
        raise ValidationError.single("uid", f"{uid_hex or '(empty)'} is not a tag UID (8 or 14 hex digits).")
    fields = band_signature.check_shape(payload_bytes)
    with store.read() as session:
        band = _band_of_tag(session, actor, uid_hex, fields.event_id)
        public = {} if band is None else {
            k: pl.public_key_from_raw(v) for k, v in keys.event_public_keys(session, band.event_id).items()
        }
        record = None if band is None else BandRecord(band.id, band.event_id, band.category_id, band.status)
        # The lookup serves every event of the organization: the band is checked for its own.
        check = check_band(record, fields.event_id if band is None else band.event_id, bytes.fromhex(uid_hex),
                           payload_bytes, public)
        return BandVerification(
            valid=check.genuine, reason=check.reason, message=check.message, detail=check.detail,
            event=None if band is None else session.get_one(Event, band.event_id).name,
            band_id=fields.band_id, event_id=fields.event_id, category_id=fields.category_id,
            key_id=fields.key_id.hex(), status=None if band is None else band.status,
        )


def _band_of_tag(session: Session, actor: Actor, uid: str, event_id: uuid.UUID) -> Wristband | None:
    """The organization's band with this UID: the one in the event the tag names, else the newest."""
    bands = session.scalars(
        select(Wristband).join(Event, Event.id == Wristband.event_id)
        .where(Event.organization_id == actor.organization_id, Wristband.uid == uid)
        .order_by(Wristband.created_at.desc())
    ).all()
    named = [b for b in bands if b.event_id == event_id]
    return next(iter(named or bands), None)
