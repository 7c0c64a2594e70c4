"""A band's life after encoding: void it, report it lost, replace it with another.

The gates need no extra rule for any of this: ``domain.access`` denies a
void or lost band (``band_void`` / ``band_lost``) before it looks at
assignments, so changing the status is what stops the old band, everywhere
the row reaches. A replacement takes over the old band's series and ticket
in the same transaction, so there is no moment where neither band gets in
and no moment where both do.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import BandStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    EventId,
    NotARef,
)
from boxoffice.errors import (
    AmbiguousError,
    BandStateError,
    NotFoundError,
    ReplacementError,
    ValidationError,
)
from boxoffice.schemas.wristband import WristbandView
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.services.encoding_bands import admit_band
from boxoffice.services.wristbands import check_uid, label_of
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Event, EventSeries, SeriesWristbandAssignment, Wristband
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


def find_band(session: Session, actor: Actor, uid: str, event_ref: str | None) -> tuple[Event, Wristband]:
    """The band of ``uid`` in the event, or in whichever of the organization's events has it.

    Bands are reused between events, so without an event a UID may name
    several bands; then the person is asked to say which event.
    """
    uid = check_uid(uid)
    if event_ref is not None:
        ev = refs.event(session, actor, event_ref)
        return ev, refs.wristband(session, ev, uid)
    rows = session.execute(
        select(Event, Wristband)
        .join(Wristband, Wristband.event_id == Event.id)
        .where(Event.organization_id == actor.organization_id, Wristband.uid == uid)
    ).all()
    if not rows:
        raise NotFoundError("wristband with UID", uid)
    if len(rows) > 1:
        raise AmbiguousError("wristband with UID", uid, [f"{ev.name}" for ev, _ in rows])
    return rows[0][0], rows[0][1]


def _label(session: Session, band: Wristband) -> str:
    return label_of(session.get_one(Category, band.category_id).name, band.number)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError.single(
            "reason", "Say why (for example: torn, left at home, found on the floor)."
        )
    if len(reason) > 500:
        raise ValidationError.single("reason", "Keep the reason under 500 characters.")
    return reason


def _ensure_finished(band: Wristband, doing: str) -> None:
    if band.status is BandStatus.PENDING:
        raise BandStateError(
            f"Band {band.uid} is pending: its encoding never finished, so there is nothing to {doing}. "
            "Tap it at the encoder again to finish it."
        )


def void_band(store: Store, actor: Actor, uid: str, *, reason: str,
              event_ref: str | None = None) -> WristbandView:
    """Cancel a band for good (damaged, misused); gates deny it as ``band_void`` from now on."""
    return _set_status(store, actor, uid, BandStatus.VOID, reason=reason, event_ref=event_ref)


def mark_lost(store: Store, actor: Actor, uid: str, *, reason: str,
              event_ref: str | None = None) -> WristbandView:
    """Report a band lost; gates deny it as ``band_lost``, and it can be replaced."""
    return _set_status(store, actor, uid, BandStatus.LOST, reason=reason, event_ref=event_ref)


def _set_status(store: Store, actor: Actor, uid: str, status: BandStatus, *, reason: str,
                event_ref: str | None) -> WristbandView:
    actor.require(Action.VOID_BANDS)
    reason = _reason(reason)
    with store.write() as session:
        ev, band = find_band(session, actor, uid, event_ref)
        word = "void" if status is BandStatus.VOID else "mark as lost"
        _ensure_finished(band, word)
        if band.status is status:
            raise BandStateError(f"Band {band.uid} ({_label(session, band)}) is already {status.value}.")
        if band.status is BandStatus.VOID:
            raise BandStateError(
                f"Band {band.uid} ({_label(session, band)}) is void; a void band stays void."
            )
        now = utcnow()
        band.status = status
        band.void_reason = reason
        if status is BandStatus.VOID:
            band.voided_at = now
        else:
            band.lost_at = now
        session.flush()
        outbox.record(session, actor, f"wristband.{status.value}", band.id,
                      {"event_id": ev.id, "uid": band.uid, "reason": reason})
        log.info("band %s in %s is now %s: %s", band.uid, ev.name, status.value, reason)
        return WristbandView.model_validate(band)


def replace_band(store: Store, actor: Actor, old_uid: str, new_uid: str, *,
                 event_ref: str | None = None, reason: str | None = None) -> WristbandView:
    """The band ``new_uid`` takes over ``old_uid``'s series and ticket; the old one is denied from now on.

    The new band must already be encoded (through plan/activate) for the
    same event and category, and not be a replacement already. An old band
    that is still active is voided on the way ("replaced by ..."); a lost or
    void one keeps its status. Returns the new band.
    """
    actor.require(Action.VOID_BANDS)
    with store.write() as session:
        ev, old = find_band(session, actor, old_uid, event_ref)
        new_uid = check_uid(new_uid)
        if new_uid == old.uid:
            raise ReplacementError("A band cannot replace itself; tap the new band.")
        _ensure_finished(old, "replace")
        new = session.scalar(select(Wristband).where(Wristband.event_id == ev.id, Wristband.uid == new_uid))
        if new is None:
            elsewhere = session.execute(
                select(Event.name).join(Wristband, Wristband.event_id == Event.id)
                .where(Event.organization_id == actor.organization_id, Wristband.uid == new_uid)
            ).scalars().first()
            if elsewhere is not None:
                raise ReplacementError(
                    f"Band {new_uid} is a band of {elsewhere}, not of {ev.name}; "
                    f"encode a band for {ev.name} to replace {old.uid}."
                )
            raise NotFoundError("wristband with UID", f"{new_uid} in {ev.name} (encode it first)")
        successor = session.scalar(select(Wristband).where(Wristband.replaces_id == old.id))
        if successor is not None:
            raise ReplacementError(
                f"Band {old.uid} ({_label(session, old)}) was already replaced by {successor.uid} "
                f"({_label(session, successor)})."
            )
        if new.status is not BandStatus.ACTIVE:
            raise ReplacementError(
                f"Band {new.uid} is {new.status.value}; only an active band can replace another."
            )
        if new.replaces_id is not None:
            raise ReplacementError(f"Band {new.uid} already replaces another band.")
        if new.category_id != old.category_id:
            raise ReplacementError(
                f"Band {new.uid} is {_label(session, new)} but {old.uid} is {_label(session, old)}; "
                "a replacement must be of the same category."
            )
        now = utcnow()
        if old.status is BandStatus.ACTIVE:
            old.status = BandStatus.VOID
            old.voided_at = now
            old.void_reason = reason or f"replaced by {new.uid}"
        elif reason and not old.void_reason:
            old.void_reason = reason
        moved = _move_assignments(session, actor, old, new)
        if old.ticket_id is not None:
            new.ticket_id = old.ticket_id
        new.replaces_id = old.id
        session.flush()
        outbox.record(session, actor, "wristband.replace", new.id,
                      {"event_id": ev.id, "old_uid": old.uid, "new_uid": new.uid, "reason": reason})
        log.info("band %s replaces %s in %s (%d series)", new.uid, old.uid, ev.name, moved)
        return WristbandView.model_validate(new)


def _move_assignments(session: Session, actor: Actor, old: Wristband, new: Wristband) -> int:
    rows = session.scalars(select(SeriesWristbandAssignment).where(
        SeriesWristbandAssignment.wristband_id == old.id, SeriesWristbandAssignment.active.is_(True)
    )).all()
    now = utcnow()
    for row in rows:
        # Freed first, so the new band takes the old one's place within the category limit.
        row.active, row.removed_at = False, now
    session.flush()
    for row in rows:
        admit_band(session, actor, session.get_one(EventSeries, row.series_id), new)
    return len(rows)


# -- what this module's changes carry to the server (its outbox contracts) --------

class BandStatusChange(outbox.Payload):
    event_id: EventId
    uid: str
    reason: str


class BandReplaceChange(outbox.Payload):
    event_id: EventId
    old_uid: str
    new_uid: str
    reason: str | None = None


_BY_UID = NotARef("the band is named by its UID in the event")
outbox.declare("wristband.void", BandStatusChange, _BY_UID)
outbox.declare("wristband.lost", BandStatusChange, _BY_UID)
outbox.declare("wristband.replace", BandReplaceChange,
               NotARef("the bands are named by their UIDs in the event"))
