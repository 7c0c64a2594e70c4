"""How the server replays each kind of outbox entry: through the same use case, with the station's ids.

Going through the use case (not copying rows) means the server applies its
own rules to what a station did offline: a stale edit, an illegal
transition, a UID another station registered first are refused with the
reason, instead of overwriting someone else's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from boxoffice.domain.recurrence import RecurrenceRule
from boxoffice.errors import ValidationError
from boxoffice.schemas.checkin import CheckinView
from boxoffice.services import (
    assignments,
    band_status,
    checkins,
    encoding_bands,
    encoding_batches,
    event_admin,
    events,
    keys,
    organization,
    outbox,
    recurring,
    sales,
    series,
    series_delete,
    ticket_import,
    tickets,
    wristbands,
)
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Organization
from boxoffice.sync.contracts import Ref, references, resolve
from boxoffice.sync.wire import PushEntry

Applier = Callable[[Store, Actor, PushEntry], None]
APPLIERS: dict[str, Applier] = {}
#: The declared changes, as the services declare them next to their use cases.
CONTRACTS: Mapping[str, outbox.Change] = MappingProxyType(outbox.CHANGES)


def applier(kind: str) -> Callable[[Applier], Applier]:
    """Register how ``kind`` is replayed; every id its declaration names is resolved in the pusher's
    organization first (``sync.contracts``)."""
    contract = outbox.CHANGES[kind]  # KeyError at import: an applier for a change no use case declares
    entity, payload = contract.entity, contract.payload

    def register(fn: Applier) -> Applier:
        def run(store: Store, actor: Actor, entry: PushEntry) -> None:
            named = [(entity.table, entry.entity_id)] if isinstance(entity, Ref) else []
            if payload is not None:
                named += list(references(parse(payload, entry)))
            resolve(store, actor, named)
            fn(store, actor, entry)

        APPLIERS[kind] = run
        return fn

    return register


P = TypeVar("P", bound=outbox.Payload)


def parse(model: type[P], entry: PushEntry) -> P:
    return model.model_validate(entry.payload)


@applier("organization.create")
def _organization_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    data = parse(organization.OrganizationCreateChange, entry)
    with store.read() as session:
        if data.id == actor.organization_id and session.get(Organization, data.id) is not None:
            return
    raise ValidationError.single(
        "organization", "Organizations are created on the central server, not at a station."
    )


@applier("member.create")
def _member_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(organization.MemberCreateChange, entry)
    organization.add_member(store, actor, d.email, d.role, d.display_name, member_id=d.id)


def _member_email(store: Store, actor: Actor, member_id: uuid.UUID) -> str:
    """The e-mail of a member of the pusher's organization; another organization's id is unknown here."""
    from boxoffice.errors import NotFoundError
    from boxoffice.store.models import Member

    with store.read() as session:
        member = session.get(Member, member_id)
        if member is None or member.organization_id != actor.organization_id:
            raise NotFoundError("member", member_id)
        return member.email


@applier("member.role")
def _member_role(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(organization.MemberRoleChange, entry)
    organization.set_role(store, actor, _member_email(store, actor, d.id), d.role)


@applier("member.remove")
def _member_remove(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(organization.MemberRefChange, entry)
    organization.remove_member(store, actor, _member_email(store, actor, d.id))


@applier("event.create")
def _event_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(events.EventCreateChange, entry)
    events.create_event(store, actor, d.name, d.timezone, d.venue, d.starts_on, d.ends_on,
                        event_id=d.id)


@applier("gate.create")
def _gate_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(events.GateCreateChange, entry)
    events.add_gate(store, actor, str(d.event_id), d.name, d.kind,
                    [str(c) for c in d.category_ids], gate_id=d.id)


@applier("category.create")
def _category_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(events.CategoryCreateChange, entry)
    events.add_category(store, actor, str(d.event_id), d.name, d.color, category_id=d.id)


@applier("series.create")
def _series_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(series.SeriesCreateChange, entry)
    series.create_series(
        store, actor, str(d.event_id), d.name, d.starts_at, d.ends_at, d.capacity,
        checkin_opens_at=d.checkin_opens_at, checkin_closes_at=d.checkin_closes_at,
        reentry_policy=d.reentry_policy, description=d.description,
        gates=[str(g) for g in d.gate_ids], series_id=d.id,
    )


@applier("series.update")
def _series_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(series.SeriesUpdateChange, entry)
    changes: dict[str, Any] = d.changes.model_dump(exclude_unset=True)
    series.update_series(store, actor, str(entry.entity_id), d.expected_version, changes)


@applier("series.transition")
def _series_transition(store: Store, actor: Actor, entry: PushEntry) -> None:
    # No version check: the lifecycle table already refuses a move another
    # station made first (activating an active series), and an edit of the
    # times elsewhere does not make a cancellation wrong.
    d = parse(series.SeriesTransitionChange, entry)
    series.transition_series(store, actor, str(entry.entity_id), d.to, d.reason,
                             transition_id=d.transition_id)


@applier("series.assign_gates")
def _series_assign_gates(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(series.SeriesGatesChange, entry)
    series.assign_gates(store, actor, str(entry.entity_id), [str(g) for g in d.gate_ids])


@applier("series.remove_gates")
def _series_remove_gates(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(series.SeriesGatesChange, entry)
    series.assign_gates(store, actor, str(entry.entity_id), [str(g) for g in d.gate_ids],
                        remove=True)


@applier("series.set_limit")
def _series_set_limit(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(series.SeriesLimitChange, entry)
    series.set_category_limit(store, actor, str(entry.entity_id), str(d.category_id), d.limit)


@applier("series.assign_bands")
def _series_assign_bands(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(assignments.SeriesBandsChange, entry)
    assignments.assign_bands(store, actor, str(entry.entity_id), uids=d.uids)


@applier("series.remove_bands")
def _series_remove_bands(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(assignments.SeriesBandsChange, entry)
    assignments.remove_bands(store, actor, str(entry.entity_id), d.uids)


@applier("series.generate_recurring")
def _series_generate_recurring(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(recurring.RecurringChange, entry)
    rule = RecurrenceRule(kind=d.rule.kind, count=d.rule.count, interval=d.rule.interval,
                          weekdays=frozenset(d.rule.weekdays))
    recurring.generate_recurring(store, actor, str(entry.entity_id), rule, d.name_pattern,
                                 child_ids=[c.id for c in d.children])


@applier("checkin.record")
def _checkin_record(store: Store, actor: Actor, entry: PushEntry) -> None:
    checkins.import_checkin(store, actor, CheckinView.model_validate(entry.payload))


@applier("wristband.register")
def _wristband_register(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(wristbands.BandRegisterChange, entry)
    wristbands.register_band(store, actor, str(d.event_id), str(d.category_id), d.uid,
                             number=d.number, station=d.station, band_id=d.id)


@applier("event_key.create")
def _event_key_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(keys.EventKeyChange, entry)
    keys.add_public_key(store, actor, key_row_id=d.id, event_ref=str(d.event_id), key_id=d.key_id,
                        public_key=d.public_key, station=d.station)


@applier("tag_secret.create")
def _tag_secret_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(keys.TagSecretChange, entry)
    keys.add_tag_secret(store, actor, secret_id=d.id, secret=d.secret)


@applier("encode_batch.start")
def _encode_batch_start(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(encoding_batches.BatchStartChange, entry)
    encoding_batches.start_batch_as(store, actor, event_ref=str(d.event_id), category_ref=str(d.category_id),
                                    series_refs=[str(s) for s in d.series_ids], requested=d.requested,
                                    station=d.station, batch_id=d.id, make_keys=False,
                                    started_at=d.started_at)


@applier("wristband.plan")
def _wristband_plan(store: Store, actor: Actor, entry: PushEntry) -> None:
    encoding_bands.reserve_band(store, actor, parse(encoding_bands.BandPlanChange, entry).model_dump())


@applier("wristband.activate")
def _wristband_activate(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(encoding_bands.BandActivateChange, entry)
    encoding_bands.activate_band(store, actor, batch_id=d.batch_id, band_id=d.band_id,
                                 encoded_at=d.encoded_at)


@applier("encode_batch.outcome")
def _encode_batch_outcome(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(encoding_batches.BatchOutcomeChange, entry)
    encoding_batches.record_outcome(store, actor, batch_id=entry.entity_id, uid=d.uid, outcome=d.outcome,
                                    message=d.message, at=d.at)


@applier("encode_batch.finish")
def _encode_batch_finish(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(encoding_batches.BatchFinishChange, entry)
    encoding_batches.finish_batch(store, actor, entry.entity_id, status=d.status, finished_at=d.finished_at)


@applier("wristband.void")
def _wristband_void(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(band_status.BandStatusChange, entry)
    band_status.void_band(store, actor, d.uid, reason=d.reason, event_ref=str(d.event_id))


@applier("wristband.lost")
def _wristband_lost(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(band_status.BandStatusChange, entry)
    band_status.mark_lost(store, actor, d.uid, reason=d.reason, event_ref=str(d.event_id))


@applier("wristband.replace")
def _wristband_replace(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(band_status.BandReplaceChange, entry)
    band_status.replace_band(store, actor, d.old_uid, d.new_uid, event_ref=str(d.event_id), reason=d.reason)


class _TicketImport(outbox.Payload):
    """The whole rows ``add_imported`` reads (the declared contract holds their ids)."""

    tickets: list[ticket_import.ImportedTicket]


@applier("tickets.import")
def _tickets_import(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(_TicketImport, entry)
    ticket_import.add_imported(store, actor, str(entry.entity_id), d.tickets)
@applier("series.delete")
def _series_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    # With the version: a series someone edited since the station saw it is
    # not deleted behind their back.
    d = parse(series_delete.SeriesDeleteChange, entry)
    series_delete.delete_series(store, actor, str(entry.entity_id), d.expected_version)


# Edits carry only the fields the person changed; ``exclude_unset`` keeps a
# field sent as null (cleared) apart from one not sent at all (left alone).


@applier("event.update")
def _event_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(event_admin.EventUpdateChange, entry)
    event_admin.update_event(store, actor, str(entry.entity_id), d.changes.model_dump(exclude_unset=True))


@applier("event.delete")
def _event_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    event_admin.delete_event(store, actor, str(entry.entity_id))


@applier("gate.update")
def _gate_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(event_admin.GateUpdateChange, entry)
    changes: dict[str, Any] = d.changes.model_dump(exclude_unset=True)
    if "category_ids" in changes:
        ids = changes.pop("category_ids")
        changes["categories"] = [str(c) for c in ids] if ids is not None else None
    event_admin.update_gate(store, actor, entry.entity_id, changes)


@applier("gate.delete")
def _gate_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    event_admin.delete_gate(store, actor, entry.entity_id)


@applier("category.update")
def _category_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(event_admin.CategoryUpdateChange, entry)
    event_admin.update_category(store, actor, entry.entity_id, d.changes.model_dump(exclude_unset=True))


@applier("category.delete")
def _category_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    event_admin.delete_category(store, actor, entry.entity_id)


@applier("ticket.create")
def _ticket_create(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(tickets.TicketCreateChange, entry)
    tickets.create_ticket(store, actor, str(d.event_id), d.code, str(d.category_id), d.holder_name,
                          d.holder_email, ticket_id=d.id)


@applier("ticket.update")
def _ticket_update(store: Store, actor: Actor, entry: PushEntry) -> None:
    d = parse(tickets.TicketUpdateChange, entry)
    tickets.update_ticket(store, actor, entry.entity_id, d.changes.model_dump(exclude_unset=True))


@applier("ticket.delete")
def _ticket_delete(store: Store, actor: Actor, entry: PushEntry) -> None:
    tickets.delete_ticket(store, actor, entry.entity_id)


@applier("order.sell")
def _order_sell(store: Store, actor: Actor, entry: PushEntry) -> None:
    # Counted against the lease each ticket names; past its lease, only into a free place.
    sales.record_pushed(store, actor, parse(sales.OrderSellChange, entry))
