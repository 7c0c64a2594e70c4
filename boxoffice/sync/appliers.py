"""How the server replays each kind of outbox entry: through the same use case, with the station's ids.

Going through the use case (not copying rows) means the server applies its
own rules to what a station did offline: a stale edit, an illegal
transition, a UID another station registered first are refused with the
reason, instead of overwriting someone else's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from boxoffice.domain.enums import GateKind, RecurrenceKind, ReentryPolicy, Role, SeriesStatus
from boxoffice.domain.recurrence import RecurrenceRule
from boxoffice.errors import ValidationError
from boxoffice.schemas.checkin import CheckinView
from boxoffice.services import (
    assignments,
    band_status,
    checkins,
    encoding,
    event_admin,
    events,
    keys,
    organization,
    recurring,
    series,
    series_delete,
    ticket_import,
    tickets,
    wristbands,
)
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Organization
from boxoffice.sync.contracts import NewId, NotARef, Ref, references, resolve
from boxoffice.sync.wire import PushEntry

_NEW = NewId()
# Typed references: the table each names (``boxoffice.sync.contracts``).
EventId = Annotated[uuid.UUID, Ref("events")]
SeriesId = Annotated[uuid.UUID, Ref("event_series")]
GateId = Annotated[uuid.UUID, Ref("gates")]
CategoryId = Annotated[uuid.UUID, Ref("categories")]
TicketId = Annotated[uuid.UUID, Ref("tickets")]
BandId = Annotated[uuid.UUID, Ref("wristbands")]
MemberId = Annotated[uuid.UUID, Ref("members")]
BatchId = Annotated[uuid.UUID, Ref("encode_batches")]
TagSecretId = Annotated[uuid.UUID, Ref("tag_secrets")]
New = Annotated[uuid.UUID, _NEW]

Applier = Callable[[Store, Actor, PushEntry], None]
APPLIERS: dict[str, Applier] = {}


class Payload(BaseModel):
    # Stations send what their use case recorded; extra fields are views' extras.
    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class Contract:
    """One kind of change: its payload model and what its ``entity_id`` is."""

    kind: str
    payload: type[Payload] | None
    entity: Ref | NewId | NotARef


CONTRACTS: dict[str, Contract] = {}


def applier(kind: str, payload: type[Payload] | None, entity: Ref | NewId | NotARef
            ) -> Callable[[Applier], Applier]:
    """Register how ``kind`` is replayed; every id it names is resolved in the pusher's organization first."""
    contract = Contract(kind, payload, entity)

    def register(fn: Applier) -> Applier:
        def run(store: Store, actor: Actor, entry: PushEntry) -> None:
            named = [(entity.table, entry.entity_id)] if isinstance(entity, Ref) else []
            if payload is not None:
                named += list(references(parse(payload, entry)))
            resolve(store, actor, named)
            fn(store, actor, entry)

        CONTRACTS[kind] = contract
        APPLIERS[kind] = run
        return fn

    return register


P = TypeVar("P", bound=Payload)


def parse(model: type[P], entry: PushEntry) -> P:
    return model.model_validate(entry.payload)


class _OrgCreate(Payload):
    id: Annotated[uuid.UUID, NotARef("only the pusher's own organization is accepted")]


@applier("organization.create", _OrgCreate, _NEW)
def _organization_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    data = parse(_OrgCreate, entry)
    with store.read() as session:
        if data.id == actor.organization_id and session.get(Organization, data.id) is not None:
            return
    raise ValidationError.single(
        "organization", "Organizations are created on the central server, not at a station."
    )


class _MemberCreate(Payload):
    id: New
    email: str
    role: Role
    display_name: str | None = None


@applier("member.create", _MemberCreate, _NEW)
def _member_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_MemberCreate, entry)
    organization.add_member(store, actor, d.email, d.role, d.display_name, member_id=d.id)


class _MemberRef(Payload):
    id: MemberId


class _MemberRole(_MemberRef):
    role: Role


def _member_email(store: Store, actor: Actor, member_id: uuid.UUID) -> str:
    """The e-mail of a member of the pusher's organization; another organization's id is unknown here."""
    from boxoffice.errors import NotFoundError
    from boxoffice.store.models import Member

    with store.read() as session:
        member = session.get(Member, member_id)
        if member is None or member.organization_id != actor.organization_id:
            raise NotFoundError("member", member_id)
        return member.email


@applier("member.role", _MemberRole, NotARef("the member is named in the payload"))
def _member_role(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_MemberRole, entry)
    organization.set_role(store, actor, _member_email(store, actor, d.id), d.role)


@applier("member.remove", _MemberRef, NotARef("the member is named in the payload"))
def _member_remove(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_MemberRef, entry)
    organization.remove_member(store, actor, _member_email(store, actor, d.id))


class _EventCreate(Payload):
    id: New
    name: str
    timezone: str
    venue: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@applier("event.create", _EventCreate, _NEW)
def _event_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_EventCreate, entry)
    events.create_event(store, actor, d.name, d.timezone, d.venue, d.starts_on, d.ends_on,
                        event_id=d.id)


class _GateCreate(Payload):
    id: New
    event_id: EventId
    name: str
    kind: GateKind
    category_ids: Annotated[list[uuid.UUID], Ref("categories")] = []


@applier("gate.create", _GateCreate, _NEW)
def _gate_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_GateCreate, entry)
    events.add_gate(store, actor, str(d.event_id), d.name, d.kind,
                    [str(c) for c in d.category_ids], gate_id=d.id)


class _CategoryCreate(Payload):
    id: New
    event_id: EventId
    name: str
    color: str | None = None


@applier("category.create", _CategoryCreate, _NEW)
def _category_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_CategoryCreate, entry)
    events.add_category(store, actor, str(d.event_id), d.name, d.color, category_id=d.id)


class _SeriesCreate(Payload):
    id: New
    event_id: EventId
    name: str
    description: str | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    checkin_opens_at: AwareDatetime
    checkin_closes_at: AwareDatetime
    capacity: int
    reentry_policy: ReentryPolicy
    gate_ids: Annotated[list[uuid.UUID], Ref("gates")] = []


@applier("series.create", _SeriesCreate, _NEW)
def _series_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_SeriesCreate, entry)
    series.create_series(
        store, actor, str(d.event_id), d.name, d.starts_at, d.ends_at, d.capacity,
        checkin_opens_at=d.checkin_opens_at, checkin_closes_at=d.checkin_closes_at,
        reentry_policy=d.reentry_policy, description=d.description,
        gates=[str(g) for g in d.gate_ids], series_id=d.id,
    )


class _SeriesChanges(Payload):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    checkin_opens_at: AwareDatetime | None = None
    checkin_closes_at: AwareDatetime | None = None
    capacity: int | None = None
    reentry_policy: ReentryPolicy | None = None


class _SeriesUpdate(Payload):
    expected_version: int
    changes: _SeriesChanges


@applier("series.update", _SeriesUpdate, Ref("event_series"))
def _series_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_SeriesUpdate, entry)
    changes: dict[str, Any] = d.changes.model_dump(exclude_unset=True)
    series.update_series(store, actor, str(entry.entity_id), d.expected_version, changes)


class _Transition(Payload):
    to: SeriesStatus
    reason: str
    transition_id: Annotated[uuid.UUID | None, _NEW] = None


@applier("series.transition", _Transition, Ref("event_series"))
def _series_transition(store: Store, actor: Actor, entry: PushEntry) -> None:
    # No version check: the lifecycle table already refuses a move another
    # station made first (activating an active series), and an edit of the
    # times elsewhere does not make a cancellation wrong.
    d = parse(_Transition, entry)
    series.transition_series(store, actor, str(entry.entity_id), d.to, d.reason,
                             transition_id=d.transition_id)


class _Gates(Payload):
    gate_ids: Annotated[list[uuid.UUID], Ref("gates")]


@applier("series.assign_gates", _Gates, Ref("event_series"))
def _series_assign_gates(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Gates, entry)
    series.assign_gates(store, actor, str(entry.entity_id), [str(g) for g in d.gate_ids])


@applier("series.remove_gates", _Gates, Ref("event_series"))
def _series_remove_gates(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Gates, entry)
    series.assign_gates(store, actor, str(entry.entity_id), [str(g) for g in d.gate_ids],
                        remove=True)


class _Limit(Payload):
    category_id: CategoryId
    limit: int | None


@applier("series.set_limit", _Limit, Ref("event_series"))
def _series_set_limit(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Limit, entry)
    series.set_category_limit(store, actor, str(entry.entity_id), str(d.category_id), d.limit)


class _Bands(Payload):
    uids: list[str]


@applier("series.assign_bands", _Bands, Ref("event_series"))
def _series_assign_bands(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Bands, entry)
    assignments.assign_bands(store, actor, str(entry.entity_id), uids=d.uids)


@applier("series.remove_bands", _Bands, Ref("event_series"))
def _series_remove_bands(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Bands, entry)
    assignments.remove_bands(store, actor, str(entry.entity_id), d.uids)


class _Rule(Payload):
    kind: RecurrenceKind
    count: int
    interval: int = 1
    weekdays: list[int] = []


class _Child(Payload):
    id: New


class _Recurring(Payload):
    rule: _Rule
    name_pattern: str
    children: list[_Child]


@applier("series.generate_recurring", _Recurring, Ref("event_series"))
def _series_generate_recurring(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Recurring, entry)
    rule = RecurrenceRule(kind=d.rule.kind, count=d.rule.count, interval=d.rule.interval,
                          weekdays=frozenset(d.rule.weekdays))
    recurring.generate_recurring(store, actor, str(entry.entity_id), rule, d.name_pattern,
                                 child_ids=[c.id for c in d.children])


class _CheckinRecord(Payload):
    """What ``import_checkin`` reads of a station's tap (its ``CheckinView``)."""

    id: New
    series_id: SeriesId
    gate_id: GateId
    wristband_id: Annotated[uuid.UUID | None, NotARef("the server finds the band by the tapped UID")] = None


@applier("checkin.record", _CheckinRecord, _NEW)
def _checkin_record(store: Store, actor: Actor, entry: PushEntry) -> None:
    checkins.import_checkin(store, actor, CheckinView.model_validate(entry.payload))


class _Band(Payload):
    id: New
    event_id: EventId
    category_id: CategoryId
    uid: str
    number: int | None = None
    station: str | None = None


@applier("wristband.register", _Band, _NEW)
def _wristband_register(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Band, entry)
    wristbands.register_band(store, actor, str(d.event_id), str(d.category_id), d.uid,
                             number=d.number, station=d.station, band_id=d.id)


class _EventKey(Payload):
    id: New
    event_id: EventId
    key_id: str
    public_key: str
    station: str | None = None


@applier("event_key.create", _EventKey, _NEW)
def _event_key_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_EventKey, entry)
    keys.add_public_key(store, actor, key_row_id=d.id, event_ref=str(d.event_id), key_id=d.key_id,
                        public_key=d.public_key, station=d.station)


class _TagSecret(Payload):
    id: New
    secret: str


@applier("tag_secret.create", _TagSecret, _NEW)
def _tag_secret_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_TagSecret, entry)
    keys.add_tag_secret(store, actor, secret_id=d.id, secret=d.secret)


class _BatchStart(Payload):
    id: New
    event_id: EventId
    category_id: CategoryId
    series_ids: Annotated[list[uuid.UUID], Ref("event_series")] = []
    requested: int | None = None
    station: str | None = None
    started_at: AwareDatetime | None = None  # the station's clock; older stations do not send it


@applier("encode_batch.start", _BatchStart, _NEW)
def _encode_batch_start(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_BatchStart, entry)
    encoding.start_batch_as(store, actor, event_ref=str(d.event_id), category_ref=str(d.category_id),
                            series_refs=[str(s) for s in d.series_ids], requested=d.requested,
                            station=d.station, batch_id=d.id, make_keys=False, started_at=d.started_at)


class _BandPlan(Payload):
    id: New
    event_id: EventId
    category_id: CategoryId
    uid: str
    number: int | None = None
    station: str | None = None
    batch_id: Annotated[uuid.UUID | None, Ref("encode_batches")] = None
    ticket_id: Annotated[uuid.UUID | None, Ref("tickets")] = None
    payload: str | None = None
    tag_secret_id: Annotated[uuid.UUID | None, Ref("tag_secrets")] = None


@applier("wristband.plan", _BandPlan, _NEW)
def _wristband_plan(store: Store, actor: Actor, entry: PushEntry) -> None:
    encoding.reserve_band(store, actor, parse(_BandPlan, entry).model_dump())


class _BandActivate(Payload):
    batch_id: BatchId
    band_id: BandId
    # When the tag was tapped, by the station's clock; older stations do not send it.
    encoded_at: AwareDatetime | None = None


@applier("wristband.activate", _BandActivate, Ref("wristbands"))
def _wristband_activate(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_BandActivate, entry)
    encoding.activate_band(store, actor, batch_id=d.batch_id, band_id=d.band_id, encoded_at=d.encoded_at)


class _Outcome(Payload):
    uid: str
    outcome: str
    message: str = ""
    at: AwareDatetime | None = None  # the station's clock, as for an activation


@applier("encode_batch.outcome", _Outcome, Ref("encode_batches"))
def _encode_batch_outcome(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Outcome, entry)
    encoding.record_outcome(store, actor, batch_id=entry.entity_id, uid=d.uid, outcome=d.outcome,
                            message=d.message, at=d.at)


class _BatchFinish(Payload):
    status: str
    finished_at: AwareDatetime | None = None  # the station's clock


@applier("encode_batch.finish", _BatchFinish, Ref("encode_batches"))
def _encode_batch_finish(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_BatchFinish, entry)
    encoding.finish_batch(store, actor, entry.entity_id, status=d.status, finished_at=d.finished_at)


class _BandStatusChange(Payload):
    event_id: EventId
    uid: str
    reason: str


@applier("wristband.void", _BandStatusChange, NotARef("the band is named by its UID in the event"))
def _wristband_void(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_BandStatusChange, entry)
    band_status.void_band(store, actor, d.uid, reason=d.reason, event_ref=str(d.event_id))


@applier("wristband.lost", _BandStatusChange, NotARef("the band is named by its UID in the event"))
def _wristband_lost(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_BandStatusChange, entry)
    band_status.mark_lost(store, actor, d.uid, reason=d.reason, event_ref=str(d.event_id))


class _Replace(Payload):
    event_id: EventId
    old_uid: str
    new_uid: str
    reason: str | None = None


@applier("wristband.replace", _Replace, NotARef("the bands are named by their UIDs in the event"))
def _wristband_replace(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_Replace, entry)
    band_status.replace_band(store, actor, d.old_uid, d.new_uid, event_ref=str(d.event_id), reason=d.reason)


class _ImportedRow(Payload):
    """The ids of one imported ticket (``ticket_import.ImportedTicket``), as the contract declares them."""

    id: New
    category_id: CategoryId


class _TicketImportIds(Payload):
    tickets: list[_ImportedRow]


class _TicketImport(Payload):
    tickets: list[ticket_import.ImportedTicket]


@applier("tickets.import", _TicketImportIds, Ref("events"))
def _tickets_import(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_TicketImport, entry)
    ticket_import.add_imported(store, actor, str(entry.entity_id), d.tickets)
class _SeriesDelete(Payload):
    expected_version: int


@applier("series.delete", _SeriesDelete, Ref("event_series"))
def _series_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    # With the version: a series someone edited since the station saw it is
    # not deleted behind their back.
    d = parse(_SeriesDelete, entry)
    series_delete.delete_series(store, actor, str(entry.entity_id), d.expected_version)


# Edits carry only the fields the person changed; ``exclude_unset`` keeps a
# field sent as null (cleared) apart from one not sent at all (left alone).


class _EventChanges(Payload):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    timezone: str | None = None
    venue: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class _EventUpdate(Payload):
    changes: _EventChanges


@applier("event.update", _EventUpdate, Ref("events"))
def _event_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_EventUpdate, entry)
    event_admin.update_event(store, actor, str(entry.entity_id), d.changes.model_dump(exclude_unset=True))


@applier("event.delete", None, Ref("events"))
def _event_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    event_admin.delete_event(store, actor, str(entry.entity_id))


class _GateChanges(Payload):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    kind: GateKind | None = None
    category_ids: Annotated[list[uuid.UUID] | None, Ref("categories")] = None


class _GateUpdate(Payload):
    changes: _GateChanges


@applier("gate.update", _GateUpdate, Ref("gates"))
def _gate_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    changes: dict[str, Any] = parse(_GateUpdate, entry).changes.model_dump(exclude_unset=True)
    if "category_ids" in changes:
        ids = changes.pop("category_ids")
        changes["categories"] = [str(c) for c in ids] if ids is not None else None
    event_admin.update_gate(store, actor, entry.entity_id, changes)


@applier("gate.delete", None, Ref("gates"))
def _gate_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    event_admin.delete_gate(store, actor, entry.entity_id)


class _CategoryChanges(Payload):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    color: str | None = None


class _CategoryUpdate(Payload):
    changes: _CategoryChanges


@applier("category.update", _CategoryUpdate, Ref("categories"))
def _category_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_CategoryUpdate, entry)
    event_admin.update_category(store, actor, entry.entity_id, d.changes.model_dump(exclude_unset=True))


@applier("category.delete", None, Ref("categories"))
def _category_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    event_admin.delete_category(store, actor, entry.entity_id)


class _TicketCreate(Payload):
    id: New
    event_id: EventId
    category_id: CategoryId
    code: str
    holder_name: str | None = None
    holder_email: str | None = None


@applier("ticket.create", _TicketCreate, _NEW)
def _ticket_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_TicketCreate, entry)
    tickets.create_ticket(store, actor, str(d.event_id), d.code, str(d.category_id), d.holder_name,
                          d.holder_email, ticket_id=d.id)


class _TicketChanges(Payload):
    model_config = ConfigDict(extra="forbid")

    code: str | None = None
    category_id: Annotated[uuid.UUID | None, Ref("categories")] = None
    holder_name: str | None = None
    holder_email: str | None = None
    voided: bool | None = None


class _TicketUpdate(Payload):
    changes: _TicketChanges


@applier("ticket.update", _TicketUpdate, Ref("tickets"))
def _ticket_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_TicketUpdate, entry)
    tickets.update_ticket(store, actor, entry.entity_id, d.changes.model_dump(exclude_unset=True))


@applier("ticket.delete", None, Ref("tickets"))
def _ticket_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    tickets.delete_ticket(store, actor, entry.entity_id)
