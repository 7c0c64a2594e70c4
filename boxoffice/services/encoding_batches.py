"""An encoding batch's life: opened, each tap's outcome counted and logged, closed.

A batch says what a station is encoding (one category of one event, for
which series) and keeps the record of it: how many bands were encoded, and
what became of every tap. It is its own module because the server replays
these steps for every station's batch (``boxoffice.sync.appliers``) apart
from the bands in them, and because the per-band calls
(``boxoffice.services.encoding_bands``) build on the batch row, the tap time
and the outcome log kept here, not the other way round.

Each call is one transaction with its outbox entry.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, cast

from pydantic import AwareDatetime
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from boxoffice.domain.enums import BatchStatus, EncodeOutcome
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import NEW, CategoryId, EventId, New, Ref
from boxoffice.domain.validation import station_time_problem
from boxoffice.errors import BatchClosedError, NotFoundError, ValidationError
from boxoffice.schemas.wristband import BatchView
from boxoffice.services import keys, outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.services.series import ensure_editable
from boxoffice.services.wristbands import BAND_ID_BY_UID
from boxoffice.store.base import new_id
from boxoffice.store.database import Store
from boxoffice.store.models import Category, EncodeBatch, EncodeLogEntry, Event, EventSeries
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


def _batch_view(batch: EncodeBatch) -> BatchView:
    return BatchView(
        id=batch.id, event_id=batch.event_id, category_id=batch.category_id,
        series_ids=[uuid.UUID(s) for s in batch.series_ids], operator_id=batch.operator_id,
        station=batch.station, requested=batch.requested, status=batch.status,
        started_at=batch.started_at, finished_at=batch.finished_at, encoded=batch.encoded,
        counts=dict(batch.counts or {}),
    )


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
    started = tap_time("started_at", "batch's start time", started_at)
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
    batch = find_batch(session, actor, batch_id)
    if batch.status is not BatchStatus.OPEN:
        raise BatchClosedError(f"This batch is {batch.status.value}; start a new one to encode more bands.")
    return batch


def find_batch(session: Session, actor: Actor, batch_id: uuid.UUID) -> EncodeBatch:
    """The batch of the actor's organization (any status), or NotFoundError."""
    batch = session.get(EncodeBatch, batch_id)
    if batch is None:
        raise NotFoundError("encoding batch", batch_id)
    ev = session.get_one(Event, batch.event_id)
    if ev.organization_id != actor.organization_id:
        raise NotFoundError("encoding batch", batch_id)
    return batch


@dataclass(frozen=True)
class BatchRow:
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
_BATCHES = cast(Table, EncodeBatch.__table__)
_INSERT_LOG = insert(cast(Table, EncodeLogEntry.__table__))
_ADD_ENCODED = (
    update(_BATCHES).where(_BATCHES.c.id == bindparam("batch_id"))
    .values(encoded=_BATCHES.c.encoded + bindparam("add"))
)
_SET_COUNTS = (
    update(_BATCHES).where(_BATCHES.c.id == bindparam("batch_id"))
    .values(encoded=_BATCHES.c.encoded + bindparam("add"), counts=bindparam("counts"))
)


def _batch_row(session: Session, actor: Actor, batch_id: uuid.UUID) -> BatchRow:
    """``find_batch`` without loading it: the batch of the actor's organization, or NotFoundError."""
    params = {"batch_id": batch_id, "organization_id": actor.organization_id}
    row = session.connection().execute(_BATCH_ROW, params).first()
    if row is None:
        raise NotFoundError("encoding batch", batch_id)
    return BatchRow(batch_id, *row)


def open_batch_row(session: Session, actor: Actor, batch_id: uuid.UUID) -> BatchRow:
    """The batch a band is planned or activated in: still open, or BatchClosedError."""
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
    finished = tap_time("finished_at", "batch's end time", finished_at)
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


def tap_time(field: str, label: str, at: datetime | None) -> datetime:
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


def expire_loaded(session: Session, model: type[Any], ident: uuid.UUID) -> None:
    """A row changed with a plain statement: an object of it this session holds reads it again."""
    loaded = session.identity_map.get(identity_key(model, ident))
    if loaded is not None:
        session.expire(loaded)


def update_batch(session: Session, batch_id: uuid.UUID, *, encoded: int = 0,
                 counts: dict[str, Any] | None = None) -> None:
    """Add ``encoded`` to the batch's count and set its ``counts``, in one UPDATE on the table.

    A batch object this session has loaded (the server replaying a batch's
    start in the same transaction) is expired, so it reads the new values.
    """
    if counts is None:
        session.execute(_ADD_ENCODED, {"batch_id": batch_id, "add": encoded})
    else:
        session.execute(_SET_COUNTS, {"batch_id": batch_id, "add": encoded, "counts": counts})
    expire_loaded(session, EncodeBatch, batch_id)


def log_outcome(session: Session, actor: Actor, batch_id: uuid.UUID, uid: str, band_id: uuid.UUID | None,
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
    when = tap_time("at", "time of the tap", at)
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
        band_id = session.connection().scalar(BAND_ID_BY_UID, {"event_id": batch.event_id, "uid": uid})
        counts = dict(batch.counts or {})
        counts[kind.value] = int(counts.get(kind.value, 0)) + 1
        update_batch(session, batch.id, counts=counts)
        log_outcome(session, actor, batch.id, uid, band_id, kind, message, when)


# -- what this module's changes carry to the server (its outbox contracts) --------

class BatchStartChange(outbox.Payload):
    id: New
    event_id: EventId
    category_id: CategoryId
    series_ids: Annotated[list[uuid.UUID], Ref("event_series")] = []
    requested: int | None = None
    station: str | None = None
    started_at: AwareDatetime | None = None  # the station's clock; older stations do not send it


class BatchOutcomeChange(outbox.Payload):
    uid: str
    outcome: str
    message: str = ""
    at: AwareDatetime | None = None  # the station's clock, as for an activation


class BatchFinishChange(outbox.Payload):
    status: str
    finished_at: AwareDatetime | None = None  # the station's clock


outbox.declare("encode_batch.start", BatchStartChange, NEW)
outbox.declare("encode_batch.outcome", BatchOutcomeChange, Ref("encode_batches"))
outbox.declare("encode_batch.finish", BatchFinishChange, Ref("encode_batches"))
