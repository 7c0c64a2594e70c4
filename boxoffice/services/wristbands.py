"""Registering a band: the row a finished encoding leaves behind.

The encoder (tag writing, read-back, protection) comes on top of this; what
is here is the part every station and the server must agree on: one UID per
event, and a person-facing number per category. Also the shapes of a band
every other module uses: what a tag UID looks like (``UID_PATTERN``,
``check_uid``) and how a band is named to a person (``label_of``).
"""

from __future__ import annotations

import logging
import re
import uuid

from sqlalchemy import bindparam, select

from boxoffice.domain.enums import BandStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    NEW,
    CategoryId,
    EventId,
    New,
)
from boxoffice.domain.validation import shown_uid, uid_form
from boxoffice.errors import UidTakenError, ValidationError
from boxoffice.schemas.wristband import WristbandView
from boxoffice.services import band_numbers, outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Wristband
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

# NTAG21x have 7-byte UIDs, MIFARE Classic 4; anything else is a typing error.
UID_PATTERN = re.compile(r"^[0-9A-F]{8}([0-9A-F]{6})?$")

# The band of a UID in an event (its id), read without loading it.
BAND_ID_BY_UID = select(Wristband.id).where(Wristband.event_id == bindparam("event_id"),
                                            Wristband.uid == bindparam("uid"))


def label_of(category: str, number: int | None) -> str:
    return f"{category} #{number:04d}" if number else category


def check_uid(uid: str) -> str:
    """The one spelling of a UID (upper-case hex), or a ValidationError saying what is wrong."""
    uid = uid_form(uid)
    if not UID_PATTERN.match(uid):
        said = shown_uid(uid) or "(empty)"
        raise ValidationError.single("uid", f"{said} is not a tag UID (8 or 14 hex digits).")
    return uid


def register_band(
    store: Store,
    actor: Actor,
    event_ref: str,
    category_ref: str,
    uid: str,
    *,
    number: int | None = None,
    station: str | None = None,
    band_id: uuid.UUID | None = None,
) -> WristbandView:
    actor.require(Action.ENCODE_BANDS)
    uid = refs.normalize_uid(uid)
    if not UID_PATTERN.match(uid):
        raise ValidationError.single("uid", f"{uid or '(empty)'} is not a tag UID (8 or 14 hex digits).")
    if number is not None and number < 1:
        raise ValidationError.single("number", "A band number starts at 1.")
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        cat = refs.category(session, actor, ev, category_ref)
        holder = session.scalar(
            select(Wristband).where(Wristband.event_id == ev.id, Wristband.uid == uid)
        )
        if holder is not None:
            holder_cat = session.get_one(Category, holder.category_id)
            raise UidTakenError(uid, ev.name, label_of(holder_cat.name, holder.number), holder.station)
        band_id = band_id or new_id()
        if store.mode == "server":
            number = band_numbers.settle(session, actor, event_id=ev.id, category_id=cat.id, band_id=band_id,
                                         current=None, pushed=number)
        elif number is None:
            number = band_numbers.next_number(session, store.mode, ev.id, cat.id)
        now = utcnow()
        band = Wristband(
            id=band_id, event_id=ev.id, category_id=cat.id, uid=uid,
            status=BandStatus.ACTIVE, number=number, station=station,
            encoded_by=actor.member_id, encoded_at=now,
        )
        session.add(band)
        session.flush()
        view = WristbandView.model_validate(band)
        outbox.record(session, actor, "wristband.register", band.id, view.model_dump())
        log.info("band %s registered as %s #%s at %s", uid, cat.name, number, station)
        return view


# -- what this module's changes carry to the server (its outbox contracts) --------

class BandRegisterChange(outbox.Payload):
    id: New
    event_id: EventId
    category_id: CategoryId
    uid: str
    number: int | None = None
    station: str | None = None


outbox.declare("wristband.register", BandRegisterChange, NEW)
