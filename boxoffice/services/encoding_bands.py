"""One band through an encoding batch, without the hardware: pending, then active.

The hardware layer drives a tag through: ``plan_band`` (reserve a pending
row and get the bytes to write and the password to set), write + read back +
protect, then ``activate_band``. A band is never active without having gone
through ``activate_band``, and a crash at any point leaves either nothing or
a pending row that the next ``plan_band`` of the same UID resumes with the
same band id and the same bytes.

Each call is one transaction with its outbox entry; the server replays the
entries through the same rules (``reserve_band``, ``activate_band``, from
``boxoffice.sync.appliers``), which is where "one band per UID per event" is
decided between stations. The batch these calls run in (open, outcome log,
close) is ``boxoffice.services.encoding_batches``; this module is what
happens to one wristband in it, and admitting a band to a series
(``admit_band``), which replacing a band uses too.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime
from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus, EncodeOutcome
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import NEW, BandId, BatchId, Ref
from boxoffice.domain.validation import validate_payload_hex
from boxoffice.errors import (
    AlreadyEncodedError,
    BandStateError,
    NotFoundError,
    PayloadError,
    ValidationError,
)
from boxoffice.schemas.wristband import WristbandView
from boxoffice.services import band_numbers, keys, outbox, refs, wristbands
from boxoffice.services.actor import Actor
from boxoffice.services.assignments import check_limits
from boxoffice.services.encoding_batches import (
    BatchRow,
    expire_loaded,
    log_outcome,
    open_batch_row,
    tap_time,
    update_batch,
)
from boxoffice.services.series import check_editable
from boxoffice.services.wristbands import BAND_ID_BY_UID, check_uid, label_of
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Event,
    EventSeries,
    SeriesCategoryLimit,
    SeriesWristbandAssignment,
    Ticket,
    Wristband,
)
from boxoffice.store.models.series import assignment_id
from boxoffice.store.types import utcnow
from boxoffice.words import a_or_an

log = logging.getLogger(__name__)

RECORD_TYPE = pl.RECORD_TYPE


@dataclass(frozen=True)
class TagPlan:
    """What to write on one tag, and how to protect it."""

    band_id: uuid.UUID
    uid: str                # upper-case hex
    label: str              # "VIP #0042"
    record_type: str        # the NDEF type, e.g. "urn:nfc:ext:bxo.app:b"
    record_payload: bytes   # signed payload to write
    password: bytes         # 4-byte PWD
    pack: bytes             # 2-byte PACK
    resumed: bool           # a pending row of this UID existed (a crash or a pulled band before)


def _band_dict(band: Wristband) -> dict[str, Any]:
    """What a ``wristband.plan`` entry carries: enough for the server to keep the same row."""
    return {
        "id": band.id, "event_id": band.event_id, "category_id": band.category_id, "uid": band.uid,
        "number": band.number, "station": band.station, "batch_id": band.batch_id,
        "ticket_id": band.ticket_id, "payload": band.payload, "tag_secret_id": band.tag_secret_id,
        "replaces_id": band.replaces_id,
    }


_LIMITED_SERIES = select(SeriesCategoryLimit.series_id).where(
    SeriesCategoryLimit.series_id.in_(bindparam("series_ids", expanding=True)),
    SeriesCategoryLimit.category_id == bindparam("category_id"),
)
_INSERT_ASSIGNMENT = insert(cast(Table, SeriesWristbandAssignment.__table__))
_BANDS = cast(Table, Wristband.__table__)
_INSERT_BAND = insert(_BANDS)
_BAND_VIEW = select(*(_BANDS.c[name] for name in WristbandView.model_fields)).where(
    _BANDS.c.id == bindparam("band_id"))
_ACTIVATE = (
    update(_BANDS).where(_BANDS.c.id == bindparam("band_id"))
    .values(status=BandStatus.ACTIVE, encoded_at=bindparam("at"), encoded_by=bindparam("by"))
)
# Per series of a batch: still editable? limited for the band's category? the band's assignment?
_ADMISSIONS = (
    select(EventSeries.id, EventSeries.status, EventSeries.name, SeriesCategoryLimit.band_limit,
           SeriesWristbandAssignment.id, SeriesWristbandAssignment.active)
    .outerjoin(SeriesCategoryLimit, and_(SeriesCategoryLimit.series_id == EventSeries.id,
                                         SeriesCategoryLimit.category_id == bindparam("category_id")))
    .outerjoin(SeriesWristbandAssignment,
               and_(SeriesWristbandAssignment.series_id == EventSeries.id,
                    SeriesWristbandAssignment.wristband_id == bindparam("band_id")))
    .where(EventSeries.id.in_(bindparam("series_ids", expanding=True)))
)


def _local_time(ev: Event, at: datetime | None) -> str | None:
    """A time in a sentence: in the event's zone, which it names ("2026-07-03 18:40 Europe/Amsterdam")."""
    return f"{at.astimezone(ZoneInfo(ev.timezone)):%Y-%m-%d %H:%M} {ev.timezone}" if at else None


def already_encoded(session: Session, ev: Event, band: Wristband) -> AlreadyEncodedError:
    cat = session.get_one(Category, band.category_id)
    return AlreadyEncodedError(band.uid, label_of(cat.name, band.number),
                               _local_time(ev, band.encoded_at or band.created_at), band.station,
                               band.status.value)


def _ticket(session: Session, ev: Event, cat: Category, ref: str, band_id: uuid.UUID | None) -> Ticket:
    ident = refs.as_uuid(ref)
    query = select(Ticket).where(Ticket.event_id == ev.id)
    query = query.where(Ticket.id == ident) if ident is not None else query.where(Ticket.code == ref.strip())
    ticket = session.scalar(query)
    if ticket is None:
        raise NotFoundError("ticket", f"{ref} in {ev.name}")
    if ticket.voided_at is not None:
        raise ValidationError.single("ticket", f"Ticket {ticket.code} has been voided.")
    if ticket.category_id != cat.id:
        other = session.get_one(Category, ticket.category_id)
        raise ValidationError.single(
            "ticket",
            f"Ticket {ticket.code} is for {other.name}, not {cat.name}; "
            f"encode it in {a_or_an(other.name)} batch.",
        )
    holder = session.scalar(
        select(Wristband).where(
            Wristband.ticket_id == ticket.id,
            Wristband.status.in_([BandStatus.ACTIVE, BandStatus.PENDING]),
            Wristband.id != (band_id or uuid.UUID(int=0)),
        )
    )
    if holder is not None:
        held = session.get_one(Category, holder.category_id)
        raise ValidationError.single(
            "ticket", f"Ticket {ticket.code} is already on band {label_of(held.name, holder.number)} "
            f"(UID {holder.uid})."
        )
    return ticket


def _check_series_limits(session: Session, series_ids: list[uuid.UUID], category_id: uuid.UUID) -> None:
    """``check_limits`` for one more band of ``category_id`` in each series (one query: none limited)."""
    if not series_ids:
        return
    limited = set(session.connection().scalars(_LIMITED_SERIES, {"series_ids": series_ids,
                                                                 "category_id": category_id}))
    for sid in series_ids:
        if sid in limited:
            check_limits(session, session.get_one(EventSeries, sid), Counter({category_id: 1}))


def plan_band(store: Store, actor: Actor, *, batch_id: uuid.UUID, uid: str,
              ticket_ref: str | None = None) -> TagPlan:
    """Reserve a pending band for the tapped tag and say what to write on it.

    A pending row of the same UID (this station crashed, or the band was
    pulled off the reader, or another station got that far) is resumed: same
    band id, same bytes. An active, void or lost band of the UID in the event
    is refused with ``AlreadyEncodedError`` and nothing is written.
    """
    actor.require(Action.ENCODE_BANDS)
    uid = check_uid(uid)
    with store.write() as session:
        batch = open_batch_row(session, actor, batch_id)
        # Core reads (no autoflush, no ORM result): nothing of this call is pending before its writes.
        conn = session.connection()
        found = conn.scalar(BAND_ID_BY_UID, {"event_id": batch.event_id, "uid": uid})
        band = session.get(Wristband, found) if found is not None else None
        if band is not None and band.status is not BandStatus.PENDING:
            raise already_encoded(session, session.get_one(Event, batch.event_id), band)
        ticket = None
        if ticket_ref:
            ticket = _ticket(session, session.get_one(Event, batch.event_id),
                             session.get_one(Category, batch.category_id), ticket_ref,
                             band.id if band else None)
        # Refuse before the tag is written, not after: a full category would
        # otherwise leave a written tag that can never be activated.
        _check_series_limits(session, batch.series_uuids, batch.category_id)
        resumed = band is not None
        changed = False
        new = band is None
        if band is None:
            # Not added to the session: inserted once complete, one INSERT, no UPDATEs after it.
            band = Wristband(id=new_id(), event_id=batch.event_id, category_id=batch.category_id, uid=uid,
                             status=BandStatus.PENDING,
                             number=band_numbers.next_number(session, store.mode, batch.event_id,
                                                             batch.category_id),
                             station=batch.station, encoded_by=actor.member_id)
            changed = True
        elif band.category_id != batch.category_id:
            # A pending band of another category: nothing trusts it yet, so it
            # is re-planned in place for this batch (same id, new number and bytes).
            band.category_id, band.number, band.payload = (
                batch.category_id, band_numbers.next_number(session, store.mode, batch.event_id,
                                                             batch.category_id), None)
            changed = True
        if band.batch_id != batch.id:
            # Resumed in another batch (after a restart, or at another station): finished there.
            band.batch_id, band.station, changed = batch.id, batch.station, True
        if ticket is not None and band.ticket_id != ticket.id:
            band.ticket_id, changed = ticket.id, True
        if band.payload is None:
            current = keys.current_signing_key(session, batch.event_id)
            if current is None:  # the first band of the event at this station: made (and queued) here
                key_row, private = keys.signing_key(session, actor, session.get_one(Event, batch.event_id),
                                                    batch.station)
                current = key_row.key_id, private
            key_id, private = current
            fields = pl.BandPayload(pl.VERSION, band.id, batch.event_id, batch.category_id,
                                    bytes.fromhex(key_id))
            band.payload = pl.sign_payload(fields, bytes.fromhex(uid), private).hex()
            changed = True
        secret: bytes | None = None
        if band.tag_secret_id is None:
            oldest = keys.current_tag_secret(session, actor)
            if oldest is None:
                made = keys.tag_secret(session, actor)
                oldest = made.id, bytes.fromhex(made.secret)
            band.tag_secret_id, secret = oldest
            changed = True
        else:
            secret = keys.secret_bytes(session, actor, band.tag_secret_id)
        pwd, pack = pl.tag_password(secret, bytes.fromhex(uid))
        if new:  # a plain INSERT (no flush), through the session so a server's change log sees it
            session.execute(_INSERT_BAND, {**_band_dict(band), "status": band.status,
                                           "encoded_by": band.encoded_by})
        if changed:
            outbox.record(session, actor, "wristband.plan", band.id, _band_dict(band))
        label = (label_of(batch.category_name, band.number) if band.number
                 else f"{batch.category_name} (number at next sync)")
        log.info("planned %s for %s%s", label, uid, " (resumed)" if resumed else "")
        assert band.payload is not None
        return TagPlan(band_id=band.id, uid=uid, label=label, record_type=RECORD_TYPE,
                       record_payload=bytes.fromhex(band.payload), password=pwd, pack=pack,
                       resumed=resumed)


def reserve_band(store: Store, actor: Actor, data: dict[str, Any]) -> None:
    """Keep a station's pending band as the station planned it (the server's ``wristband.plan``).

    Here the server decides UID uniqueness: a UID that is another band of the
    event is refused with who has it; a payload that does not verify against
    the event's keys is refused too, so no unsigned band reaches the gates.
    """
    actor.require(Action.ENCODE_BANDS)
    band_id = uuid.UUID(str(data["id"]))
    uid = check_uid(str(data["uid"]))
    payload_hex = data.get("payload")
    record = validate_payload_hex(str(payload_hex)) if payload_hex else None
    with store.write() as session:
        ev = refs.event(session, actor, str(data["event_id"]))
        cat = refs.category(session, actor, ev, str(data["category_id"]))
        if record is not None:
            try:
                fields = pl.verify_payload(
                    record, bytes.fromhex(uid),
                    {k: pl.public_key_from_raw(v) for k, v in keys.event_public_keys(session, ev.id).items()},
                )
            except PayloadError as exc:
                raise type(exc)(f"Band {uid} was refused: {exc.message}") from None
            if (fields.band_id, fields.event_id, fields.category_id) != (band_id, ev.id, cat.id):
                raise ValidationError.single("payload", f"Band {uid}'s signed data names another band.")
        band = session.scalar(select(Wristband).where(Wristband.event_id == ev.id, Wristband.uid == uid))
        if band is not None and band.id != band_id:
            raise already_encoded(session, ev, band)
        if band is not None and band.status is not BandStatus.PENDING:
            return  # an older plan of a band that has since moved on
        if band is None:
            if session.get(Wristband, band_id) is not None:
                raise ValidationError.single("id", f"Band {band_id} already exists with another UID.")
            band = Wristband(id=band_id, event_id=ev.id, uid=uid, status=BandStatus.PENDING,
                             category_id=cat.id)
            session.add(band)
        ticket_id = data.get("ticket_id")
        pushed = data.get("number")
        band.number = band_numbers.settle(
            session, actor, event_id=ev.id, category_id=cat.id, band_id=band_id,
            current=band.number if band.category_id == cat.id else None,
            pushed=int(pushed) if pushed is not None else None)
        band.category_id = cat.id
        band.station = data.get("station")
        band.batch_id = uuid.UUID(str(data["batch_id"])) if data.get("batch_id") else None
        band.ticket_id = uuid.UUID(str(ticket_id)) if ticket_id else None
        band.payload = payload_hex
        band.tag_secret_id = uuid.UUID(str(data["tag_secret_id"])) if data.get("tag_secret_id") else None
        band.encoded_by = actor.member_id
        session.flush()


def activate_band(store: Store, actor: Actor, *, batch_id: uuid.UUID, band_id: uuid.UUID,
                  ok_message: str | None = None, encoded_at: datetime | None = None) -> WristbandView:
    """pending -> active, and admitted to the batch's series, in one transaction.

    Called once the tag was written, read back and verified. A category
    limit that is reached refuses the activation and leaves the band pending.

    ``encoded_at`` is when the tag was tapped, by the station's clock: the
    server replaying a station's activation keeps it (the sync may come
    hours later), and the outbox entry carries it. Without it (a tap here
    and now, or an older station that does not send it) the time is now.
    A time in the future beyond ``MAX_CLOCK_SKEW`` or before the year 2000
    is refused: the station's clock is wrong.

    With ``ok_message`` the tap's ``ok`` outcome is recorded in the same
    transaction, exactly as ``record_outcome`` would (same log line, same
    ``encode_batch.outcome`` outbox entry after the ``wristband.activate``
    one): the encoder's third transaction per band, saved. A refused
    activation records nothing; the caller records its failure itself.
    """
    actor.require(Action.ENCODE_BANDS)
    now = tap_time("encoded_at", "encoding time", encoded_at)
    with store.write() as session:
        batch = open_batch_row(session, actor, batch_id)
        # Read and written with plain statements (the ORM's flush was most of this call's cost);
        # the writes go through the session, where a server's change log sees them.
        conn = session.connection()
        found = conn.execute(_BAND_VIEW, {"band_id": band_id}).first()
        if found is None or found.event_id != batch.event_id:
            raise NotFoundError("wristband", band_id)
        band = dict(found._mapping)
        if found.status is not BandStatus.PENDING:
            raise BandStateError(
                f"Band {found.uid} is {found.status.value}; only a pending band can be activated."
            )
        if found.batch_id != batch.id:
            raise BandStateError(
                f"Band {found.uid} was planned in another batch; tap it again to plan it here."
            )
        # Every check (series still editable, category limits) before the first write.
        admit = _admissions(session, batch, band_id, found.category_id)
        counts = None
        if ok_message is not None:
            counts = dict(batch.counts or {})
            counts[EncodeOutcome.OK.value] = int(counts.get(EncodeOutcome.OK.value, 0)) + 1
        update_batch(session, batch.id, encoded=1, counts=counts)
        session.execute(_ACTIVATE, {"band_id": band_id, "at": now, "by": actor.member_id})
        expire_loaded(session, Wristband, band_id)
        band.update(status=BandStatus.ACTIVE, encoded_at=now)
        added = [sid for sid, row_id in admit if row_id is None]
        if added:
            session.execute(_INSERT_ASSIGNMENT, [
                {"id": assignment_id(sid, band_id), "series_id": sid, "wristband_id": band_id, "active": True,
                 "assigned_at": now, "assigned_by": actor.member_id, "removed_at": None} for sid in added])
        for _, row_id in admit:
            if row_id is not None:  # an inactive assignment comes back (an ORM change, logged by the flush)
                row = session.get_one(SeriesWristbandAssignment, row_id)
                row.active, row.removed_at = True, None
                row.assigned_at, row.assigned_by = now, actor.member_id
        outbox.record(session, actor, "wristband.activate", band_id,
                      {"batch_id": batch.id, "band_id": band_id, "encoded_at": now})
        if ok_message is not None:
            log_outcome(session, actor, batch.id, found.uid, band_id, EncodeOutcome.OK, ok_message, now)
        log.info("activated band %s (%s)", found.uid, band_id)
        return WristbandView.model_validate(band)


def _admissions(session: Session, batch: BatchRow, band_id: uuid.UUID,
                category_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """The batch's series ``band`` is still to be admitted to, each with its inactive assignment (or None).

    ``admit_band``'s rules for all the batch's series in one query: each
    series must still be editable, an active assignment is left alone, and
    a category limit that is reached raises ``LimitExceededError``.
    """
    ids = batch.series_uuids
    if not ids:
        return []
    found = {row[0]: row for row in session.connection().execute(
        _ADMISSIONS, {"series_ids": ids, "category_id": category_id, "band_id": band_id})}
    todo: list[tuple[uuid.UUID, uuid.UUID | None]] = []
    for sid in ids:
        if sid not in found:
            raise NotFoundError("series", sid)
        _, status, name, limit, row_id, active = found[sid]
        check_editable(name, status)
        if row_id is not None and active:
            continue
        if limit is not None:
            check_limits(session, session.get_one(EventSeries, sid), Counter({category_id: 1}))
        todo.append((sid, row_id))
    return todo


def admit_band(session: Session, actor: Actor, series: EventSeries, band: Wristband) -> None:
    """Assign one band to a series, within its category limit; an inactive assignment comes back."""
    row = session.scalar(select(SeriesWristbandAssignment).where(
        SeriesWristbandAssignment.series_id == series.id, SeriesWristbandAssignment.wristband_id == band.id))
    if row is not None and row.active:
        return
    check_limits(session, series, Counter({band.category_id: 1}))
    if row is None:
        session.add(SeriesWristbandAssignment(id=assignment_id(series.id, band.id), series_id=series.id,
                                              wristband_id=band.id, active=True,
                                              assigned_at=utcnow(), assigned_by=actor.member_id))
    else:
        row.active, row.removed_at, row.assigned_at, row.assigned_by = True, None, utcnow(), actor.member_id


# -- what this module's changes carry to the server (its outbox contracts) --------

class BandPlanChange(wristbands.BandRegisterChange):
    """A pending band as a station planned it: a registration, with its batch, ticket and tag."""

    batch_id: Annotated[uuid.UUID | None, Ref("encode_batches")] = None
    ticket_id: Annotated[uuid.UUID | None, Ref("tickets")] = None
    payload: str | None = None
    tag_secret_id: Annotated[uuid.UUID | None, Ref("tag_secrets")] = None


class BandActivateChange(outbox.Payload):
    batch_id: BatchId
    band_id: BandId
    # When the tag was tapped, by the station's clock; older stations do not send it.
    encoded_at: AwareDatetime | None = None


outbox.declare("wristband.plan", BandPlanChange, NEW)
outbox.declare("wristband.activate", BandActivateChange, Ref("wristbands"))
