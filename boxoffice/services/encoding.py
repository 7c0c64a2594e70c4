"""The encoding session, without the hardware: batches, and each band's pending -> active.

The hardware layer drives a tag through: ``plan_band`` (reserve a pending
row and get the bytes to write and the password to set), write + read back +
protect, then ``activate_band``. A band is never active without having gone
through ``activate_band``, and a crash at any point leaves either nothing or
a pending row that the next ``plan_band`` of the same UID resumes with the
same band id and the same bytes.

Each call is one transaction with its outbox entry; the server replays the
entries through the same rules (``boxoffice.sync.appliers``), which is where
"one band per UID per event" is decided between stations.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime
from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import (
    BandStatus,
    BatchStatus,
    EncodeOutcome,
)
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    NEW,
    BandId,
    BatchId,
    CategoryId,
    EventId,
    New,
    Ref,
)
from boxoffice.domain.validation import shown_uid, station_time_problem, uid_form, validate_payload_hex
from boxoffice.errors import (
    AlreadyEncodedError,
    BandStateError,
    BatchClosedError,
    NotFoundError,
    PayloadError,
    ValidationError,
)
from boxoffice.schemas.wristband import BatchView, WristbandView
from boxoffice.services import band_numbers, keys, outbox, refs, wristbands
from boxoffice.services.actor import Actor
from boxoffice.services.assignments import _check_limits
from boxoffice.services.series import check_editable, ensure_editable
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    EncodeBatch,
    EncodeLogEntry,
    Event,
    EventSeries,
    Member,
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
# NTAG21x have 7-byte UIDs, MIFARE Classic 4; anything else is a typing error.
_UID = re.compile(r"^[0-9A-F]{8}([0-9A-F]{6})?$")


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


@dataclass(frozen=True)
class ManifestLine:
    uid: str
    band_id: uuid.UUID | None
    label: str | None
    status: str | None
    outcome: str | None
    message: str
    at: datetime | None


@dataclass(frozen=True)
class Manifest:
    """What a batch produced, for the box office's records and the band printer."""

    batch_id: uuid.UUID
    event: str
    category: str
    series: list[str]
    operator: str | None
    station: str | None
    status: str
    requested: int | None
    started_at: datetime
    finished_at: datetime | None
    encoded: int
    counts: dict[str, int]
    lines: list[ManifestLine] = field(default_factory=list)
    # Whose clock the times are (in UTC): the encoding station's, which the server keeps when it
    # replays the station's batch, not the time the sync reached the server.
    clock: str = "station time"

    CSV_COLUMNS = ("batch_id", "event", "category", "operator", "station", "uid", "band_id", "label",
                   "status", "outcome", "message", "at")

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.CSV_COLUMNS)
        for line in self.lines:
            writer.writerow([
                self.batch_id, self.event, self.category, self.operator or "", self.station or "",
                line.uid, line.band_id or "", line.label or "", line.status or "", line.outcome or "",
                line.message, line.at.isoformat() if line.at else "",
            ])
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str, indent=2, ensure_ascii=False)


def label_of(category: str, number: int | None) -> str:
    return f"{category} #{number:04d}" if number else category


def check_uid(uid: str) -> str:
    """The one spelling of a UID (upper-case hex), or a ValidationError saying what is wrong."""
    uid = uid_form(uid)
    if not _UID.match(uid):
        said = shown_uid(uid) or "(empty)"
        raise ValidationError.single("uid", f"{said} is not a tag UID (8 or 14 hex digits).")
    return uid


def _batch_view(batch: EncodeBatch) -> BatchView:
    return BatchView(
        id=batch.id, event_id=batch.event_id, category_id=batch.category_id,
        series_ids=[uuid.UUID(s) for s in batch.series_ids], operator_id=batch.operator_id,
        station=batch.station, requested=batch.requested, status=batch.status,
        started_at=batch.started_at, finished_at=batch.finished_at, encoded=batch.encoded,
        counts=dict(batch.counts or {}),
    )


def _band_dict(band: Wristband) -> dict[str, Any]:
    """What a ``wristband.plan`` entry carries: enough for the server to keep the same row."""
    return {
        "id": band.id, "event_id": band.event_id, "category_id": band.category_id, "uid": band.uid,
        "number": band.number, "station": band.station, "batch_id": band.batch_id,
        "ticket_id": band.ticket_id, "payload": band.payload, "tag_secret_id": band.tag_secret_id,
        "replaces_id": band.replaces_id,
    }


# -- batches ------------------------------------------------------------------------------------


def start_batch(store: Store, actor: Actor, *, event_ref: str, category_ref: str,
                series_refs: list[str], requested: int | None, station: str | None) -> BatchView:
    """Open a batch: which category is encoded, and which series its bands are admitted to.

    Makes this station's signing key for the event and the organization's tag
    secret if they do not exist yet, so the first tap does not pay for it.
    """
    return start_batch_as(store, actor, event_ref=event_ref, category_ref=category_ref,
                          series_refs=series_refs, requested=requested, station=station)


def start_batch_as(store: Store, actor: Actor, *, event_ref: str, category_ref: str,
                   series_refs: list[str], requested: int | None, station: str | None,
                   batch_id: uuid.UUID | None = None, make_keys: bool = True,
                   started_at: datetime | None = None) -> BatchView:
    """``start_batch`` with the batch's id given (the server replaying a station's batch).

    ``started_at`` is the station's clock, kept as ``activate_band`` keeps ``encoded_at``.
    """
    actor.require(Action.ENCODE_BANDS)
    started = _tap_time("started_at", "batch's start time", started_at)
    if requested is not None and requested < 1:
        raise ValidationError.single("requested", "A batch is for at least one band.")
    with store.write() as session:
        ev = refs.event(session, actor, event_ref)
        cat = refs.category(session, actor, ev, category_ref)
        chosen: list[EventSeries] = []
        for ref in series_refs:
            s = refs.series(session, actor, ref, ev)
            ensure_editable(s)
            if s not in chosen:
                chosen.append(s)
        if batch_id is not None and session.get(EncodeBatch, batch_id) is not None:
            return _batch_view(session.get_one(EncodeBatch, batch_id))
        batch = EncodeBatch(
            id=batch_id or new_id(), event_id=ev.id, category_id=cat.id,
            series_ids=[str(s.id) for s in chosen], operator_id=actor.member_id, station=station,
            requested=requested, status=BatchStatus.OPEN, started_at=started, encoded=0, counts={},
        )
        session.add(batch)
        session.flush()
        if make_keys:
            keys.signing_key(session, actor, ev, station)
            keys.tag_secret(session, actor)
        outbox.record(session, actor, "encode_batch.start", batch.id, {
            "id": batch.id, "event_id": ev.id, "category_id": cat.id, "series_ids": batch.series_ids,
            "requested": requested, "station": station, "started_at": started,
        })
        log.info("batch %s: %s %s for %s at %s", batch.id, ev.name, cat.name,
                 ", ".join(s.name for s in chosen) or "no series", station)
        return _batch_view(batch)


def _open_batch(session: Session, actor: Actor, batch_id: uuid.UUID) -> EncodeBatch:
    batch = _batch(session, actor, batch_id)
    if batch.status is not BatchStatus.OPEN:
        raise BatchClosedError(f"This batch is {batch.status.value}; start a new one to encode more bands.")
    return batch


def _batch(session: Session, actor: Actor, batch_id: uuid.UUID) -> EncodeBatch:
    batch = session.get(EncodeBatch, batch_id)
    if batch is None:
        raise NotFoundError("encoding batch", batch_id)
    ev = session.get_one(Event, batch.event_id)
    if ev.organization_id != actor.organization_id:
        raise NotFoundError("encoding batch", batch_id)
    return batch


@dataclass(frozen=True)
class _BatchRow:
    """What the per-band calls need of a batch, read in one statement (no ORM objects)."""

    id: uuid.UUID
    status: BatchStatus
    event_id: uuid.UUID
    category_id: uuid.UUID
    category_name: str
    series_ids: list[str]
    station: str | None
    counts: dict[str, Any]

    @property
    def series_uuids(self) -> list[uuid.UUID]:
        return [uuid.UUID(s) for s in self.series_ids]


_BATCH_ROW = (
    select(EncodeBatch.status, EncodeBatch.event_id, EncodeBatch.category_id, Category.name,
           EncodeBatch.series_ids, EncodeBatch.station, EncodeBatch.counts)
    .join(Event, Event.id == EncodeBatch.event_id)
    .join(Category, Category.id == EncodeBatch.category_id)
    .where(EncodeBatch.id == bindparam("batch_id"), Event.organization_id == bindparam("organization_id"))
)
_BAND_ID_BY_UID = select(Wristband.id).where(Wristband.event_id == bindparam("event_id"),
                                             Wristband.uid == bindparam("uid"))
_LIMITED_SERIES = select(SeriesCategoryLimit.series_id).where(
    SeriesCategoryLimit.series_id.in_(bindparam("series_ids", expanding=True)),
    SeriesCategoryLimit.category_id == bindparam("category_id"),
)
_BATCHES = cast(Table, EncodeBatch.__table__)
_INSERT_LOG = insert(cast(Table, EncodeLogEntry.__table__))
_INSERT_ASSIGNMENT = insert(cast(Table, SeriesWristbandAssignment.__table__))
_BANDS = cast(Table, Wristband.__table__)
_INSERT_BAND = insert(_BANDS)
_BAND_VIEW = select(*(_BANDS.c[name] for name in WristbandView.model_fields)).where(
    _BANDS.c.id == bindparam("band_id"))
_ACTIVATE = (
    update(_BANDS).where(_BANDS.c.id == bindparam("band_id"))
    .values(status=BandStatus.ACTIVE, encoded_at=bindparam("at"), encoded_by=bindparam("by"))
)
_ADD_ENCODED = (
    update(_BATCHES).where(_BATCHES.c.id == bindparam("batch_id"))
    .values(encoded=_BATCHES.c.encoded + bindparam("add"))
)
_SET_COUNTS = (
    update(_BATCHES).where(_BATCHES.c.id == bindparam("batch_id"))
    .values(encoded=_BATCHES.c.encoded + bindparam("add"), counts=bindparam("counts"))
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


def _batch_row(session: Session, actor: Actor, batch_id: uuid.UUID) -> _BatchRow:
    """``_batch`` without loading it: the batch of the actor's organization, or NotFoundError."""
    params = {"batch_id": batch_id, "organization_id": actor.organization_id}
    row = session.connection().execute(_BATCH_ROW, params).first()
    if row is None:
        raise NotFoundError("encoding batch", batch_id)
    return _BatchRow(batch_id, *row)


def _open_row(session: Session, actor: Actor, batch_id: uuid.UUID) -> _BatchRow:
    batch = _batch_row(session, actor, batch_id)
    if batch.status is not BatchStatus.OPEN:
        raise BatchClosedError(f"This batch is {batch.status.value}; start a new one to encode more bands.")
    return batch


def finish_batch(store: Store, actor: Actor, batch_id: uuid.UUID, *, status: str,
                 finished_at: datetime | None = None) -> BatchView:
    """Close a batch as ``completed`` or ``cancelled``; its pending bands stay pending (resumable).

    ``finished_at``: the station's clock, when the server replays a station's batch.
    """
    actor.require(Action.ENCODE_BANDS)
    finished = _tap_time("finished_at", "batch's end time", finished_at)
    if status not in (BatchStatus.COMPLETED.value, BatchStatus.CANCELLED.value):
        raise ValidationError.single("status", f"A batch ends completed or cancelled, not {status}.")
    with store.write() as session:
        batch = _open_batch(session, actor, batch_id)
        batch.status = BatchStatus(status)
        batch.finished_at = finished
        session.flush()
        outbox.record(session, actor, "encode_batch.finish", batch.id,
                      {"status": status, "finished_at": finished})
        log.info("batch %s %s: %d encoded", batch.id, status, batch.encoded)
        return _batch_view(batch)


# -- one band -----------------------------------------------------------------------------------


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
    """``_check_limits`` for one more band of ``category_id`` in each series (one query: none limited)."""
    if not series_ids:
        return
    limited = set(session.connection().scalars(_LIMITED_SERIES, {"series_ids": series_ids,
                                                                 "category_id": category_id}))
    for sid in series_ids:
        if sid in limited:
            _check_limits(session, session.get_one(EventSeries, sid), Counter({category_id: 1}))


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
        batch = _open_row(session, actor, batch_id)
        # Core reads (no autoflush, no ORM result): nothing of this call is pending before its writes.
        conn = session.connection()
        found = conn.scalar(_BAND_ID_BY_UID, {"event_id": batch.event_id, "uid": uid})
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
    now = _tap_time("encoded_at", "encoding time", encoded_at)
    with store.write() as session:
        batch = _open_row(session, actor, batch_id)
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
        _update_batch(session, batch.id, encoded=1, counts=counts)
        session.execute(_ACTIVATE, {"band_id": band_id, "at": now, "by": actor.member_id})
        _expire_loaded(session, Wristband, band_id)
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
            _log_outcome(session, actor, batch.id, found.uid, band_id, EncodeOutcome.OK, ok_message, now)
        log.info("activated band %s (%s)", found.uid, band_id)
        return WristbandView.model_validate(band)


def _tap_time(field: str, label: str, at: datetime | None) -> datetime:
    """When a tap happened: ``at`` as a station's clock gave it (checked against ours), else now."""
    now = utcnow()
    if at is None:
        return now
    if at.tzinfo is None:
        raise ValidationError.single(field, f"The {label} has no time zone; it cannot be placed in time.")
    problem = station_time_problem(field, label, at, now)
    if problem is not None:
        raise ValidationError([problem])
    return at.astimezone(now.tzinfo)


def _expire_loaded(session: Session, model: type[Any], ident: uuid.UUID) -> None:
    """A row changed with a plain statement: an object of it this session holds reads it again."""
    loaded = session.identity_map.get(identity_key(model, ident))
    if loaded is not None:
        session.expire(loaded)


def _admissions(session: Session, batch: _BatchRow, band_id: uuid.UUID,
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
            _check_limits(session, session.get_one(EventSeries, sid), Counter({category_id: 1}))
        todo.append((sid, row_id))
    return todo


def admit_band(session: Session, actor: Actor, series: EventSeries, band: Wristband) -> None:
    """Assign one band to a series, within its category limit; an inactive assignment comes back."""
    row = session.scalar(select(SeriesWristbandAssignment).where(
        SeriesWristbandAssignment.series_id == series.id, SeriesWristbandAssignment.wristband_id == band.id))
    if row is not None and row.active:
        return
    _check_limits(session, series, Counter({band.category_id: 1}))
    if row is None:
        session.add(SeriesWristbandAssignment(id=assignment_id(series.id, band.id), series_id=series.id,
                                              wristband_id=band.id, active=True,
                                              assigned_at=utcnow(), assigned_by=actor.member_id))
    else:
        row.active, row.removed_at, row.assigned_at, row.assigned_by = True, None, utcnow(), actor.member_id


def _update_batch(session: Session, batch_id: uuid.UUID, *, encoded: int = 0,
                  counts: dict[str, Any] | None = None) -> None:
    """Add ``encoded`` to the batch's count and set its ``counts``, in one UPDATE on the table.

    A batch object this session has loaded (the server replaying a batch's
    start in the same transaction) is expired, so it reads the new values.
    """
    if counts is None:
        session.execute(_ADD_ENCODED, {"batch_id": batch_id, "add": encoded})
    else:
        session.execute(_SET_COUNTS, {"batch_id": batch_id, "add": encoded, "counts": counts})
    _expire_loaded(session, EncodeBatch, batch_id)


def _log_outcome(session: Session, actor: Actor, batch_id: uuid.UUID, uid: str, band_id: uuid.UUID | None,
                 kind: EncodeOutcome, message: str, at: datetime) -> None:
    """The log line of one tap and its outbox entry (the batch's counts are the caller's)."""
    entry_id = new_id()
    session.execute(_INSERT_LOG, {"id": entry_id, "batch_id": batch_id, "uid": uid, "band_id": band_id,
                                  "outcome": kind, "message": message, "at": at})
    outbox.record(session, actor, "encode_batch.outcome", batch_id, {
        "id": entry_id, "uid": uid, "outcome": kind.value, "message": message, "at": at,
    })


def record_outcome(store: Store, actor: Actor, *, batch_id: uuid.UUID, uid: str, outcome: str,
                   message: str, at: datetime | None = None) -> None:
    """Log what became of one tap (ok, duplicate, foreign_tag, locked, write_failed, removed).

    The encoder records an ``ok`` through ``activate_band(ok_message=...)``;
    this is for the rest, and for the server replaying a station's entries,
    which keeps the tap's time ``at`` (the station's clock) as
    ``activate_band`` keeps ``encoded_at``.
    """
    actor.require(Action.ENCODE_BANDS)
    when = _tap_time("at", "time of the tap", at)
    try:
        kind = EncodeOutcome(outcome)
    except ValueError:
        allowed = ", ".join(o.value for o in EncodeOutcome)
        raise ValidationError.single(
            "outcome", f"{outcome} is not an outcome; use one of {allowed}."
        ) from None
    uid = refs.normalize_uid(uid)
    with store.write() as session:
        batch = _batch_row(session, actor, batch_id)
        band_id = session.connection().scalar(_BAND_ID_BY_UID, {"event_id": batch.event_id, "uid": uid})
        counts = dict(batch.counts or {})
        counts[kind.value] = int(counts.get(kind.value, 0)) + 1
        _update_batch(session, batch.id, counts=counts)
        _log_outcome(session, actor, batch.id, uid, band_id, kind, message, when)


def batch_manifest(store: Store, actor: Actor, batch_id: uuid.UUID) -> Manifest:
    """Every tag of the batch: its band, label, status and what happened to it, oldest first."""
    actor.require(Action.VIEW_BANDS)
    with store.read() as session:
        batch = _batch(session, actor, batch_id)
        ev = session.get_one(Event, batch.event_id)
        cat = session.get_one(Category, batch.category_id)
        names = {str(s.id): s.name for s in session.scalars(
            select(EventSeries).where(EventSeries.id.in_([uuid.UUID(s) for s in batch.series_ids])))}
        operator = session.get(Member, batch.operator_id) if batch.operator_id else None
        bands = {b.uid: b for b in session.scalars(select(Wristband).where(Wristband.batch_id == batch.id))}
        cat_names = dict(session.execute(
            select(Category.id, Category.name).where(Category.event_id == ev.id)).all())
        lines: list[ManifestLine] = []
        logged: set[str] = set()
        for entry in session.scalars(
            select(EncodeLogEntry).where(EncodeLogEntry.batch_id == batch.id).order_by(EncodeLogEntry.at)
        ):
            band = bands.get(entry.uid)
            logged.add(entry.uid)
            lines.append(ManifestLine(
                uid=entry.uid, band_id=band.id if band else entry.band_id,
                label=label_of(cat_names[band.category_id], band.number) if band else None,
                status=band.status.value if band else None, outcome=entry.outcome.value,
                message=entry.message, at=entry.at,
            ))
        for uid, band in sorted(bands.items(), key=lambda kv: kv[1].created_at):
            if uid not in logged:
                lines.append(ManifestLine(uid=uid, band_id=band.id,
                                          label=label_of(cat_names[band.category_id], band.number),
                                          status=band.status.value, outcome=None, message="",
                                          at=band.encoded_at or band.created_at))
        return Manifest(
            batch_id=batch.id, event=ev.name, category=cat.name,
            series=[names.get(s, s) for s in batch.series_ids],
            operator=operator.email if operator else None, station=batch.station,
            status=batch.status.value, requested=batch.requested, started_at=batch.started_at,
            finished_at=batch.finished_at, encoded=batch.encoded, counts=dict(batch.counts or {}),
            lines=lines,
        )


def password_for(store: Store, actor: Actor, uid: str) -> tuple[bytes, bytes]:
    """PWD/PACK of the newest band of this UID in the organization (the password it was protected with)."""
    candidates = passwords_for(store, actor, uid)
    if not candidates:
        raise NotFoundError("protected band with UID", uid)
    return candidates[0]


def passwords_for(store: Store, actor: Actor, uid: str) -> list[tuple[bytes, bytes]]:
    """Every PWD/PACK this UID may be protected with, most likely first.

    A band reused from an earlier event, or protected by a station that had
    made its own secret offline, may carry an older password than the
    current one; the encoder tries these in order.
    """
    actor.require(Action.ENCODE_BANDS)
    uid = check_uid(uid)
    with store.read() as session:
        secret_ids = session.scalars(
            select(Wristband.tag_secret_id)
            .join(Event, Event.id == Wristband.event_id)
            .where(Wristband.uid == uid, Event.organization_id == actor.organization_id,
                   Wristband.tag_secret_id.is_not(None))
            .order_by(Wristband.created_at.desc())
        ).all()
        out: list[tuple[bytes, bytes]] = []
        for sid in dict.fromkeys(s for s in secret_ids if s is not None):
            pair = pl.tag_password(keys.secret_bytes(session, actor, sid), bytes.fromhex(uid))
            if pair not in out:
                out.append(pair)
        return out


def public_keys(store: Store, actor: Actor, event_ref: str) -> dict[bytes, bytes]:
    """Key id -> raw public key of the event: what gates get to verify bands offline."""
    return keys.public_keys(store, actor, event_ref)


# -- what this module's changes carry to the server (its outbox contracts) --------

class BatchStartChange(outbox.Payload):
    id: New
    event_id: EventId
    category_id: CategoryId
    series_ids: Annotated[list[uuid.UUID], Ref("event_series")] = []
    requested: int | None = None
    station: str | None = None
    started_at: AwareDatetime | None = None  # the station's clock; older stations do not send it


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


class BatchOutcomeChange(outbox.Payload):
    uid: str
    outcome: str
    message: str = ""
    at: AwareDatetime | None = None  # the station's clock, as for an activation


class BatchFinishChange(outbox.Payload):
    status: str
    finished_at: AwareDatetime | None = None  # the station's clock


outbox.declare("encode_batch.start", BatchStartChange, NEW)
outbox.declare("wristband.plan", BandPlanChange, NEW)
outbox.declare("wristband.activate", BandActivateChange, Ref("wristbands"))
outbox.declare("encode_batch.outcome", BatchOutcomeChange, Ref("encode_batches"))
outbox.declare("encode_batch.finish", BatchFinishChange, Ref("encode_batches"))
