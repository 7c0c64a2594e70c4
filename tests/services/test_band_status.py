"""Void, lost and replace, then what the gate says; the lookup card; verifying a read payload."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import select

from boxoffice.domain import payload as pl
from boxoffice.domain.access import GENUINE_MESSAGE, MESSAGES
from boxoffice.domain.enums import BandStatus, Direction, GateKind, Reason, SeriesStatus
from boxoffice.errors import (
    AmbiguousError,
    BandStateError,
    NotFoundError,
    ReplacementError,
    ValidationError,
)
from boxoffice.services import band_status, checkins, encoding_bands, encoding_batches, events, keys, lookup
from boxoffice.services import series as series_svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Category, Ticket
from tests.helpers.seeding import Festival
from tests.helpers.stores import table_counts

OLD, NEW = "04000000000001", "04000000000002"


def _encode(store: Store, owner: Actor, uids: list[str], category: str = "VIP",
            event: str = "Summer Fest", series: list[str] | None = None,
            ticket: str | None = None) -> list[encoding_bands.TagPlan]:
    batch = encoding_batches.start_batch(store, owner, event_ref=event, category_ref=category,
                                         series_refs=["Day 1"] if series is None else series, requested=None,
                                         station="Box office 1").id
    plans = []
    for uid in uids:
        plan = encoding_bands.plan_band(store, owner, batch_id=batch, uid=uid, ticket_ref=ticket)
        encoding_bands.activate_band(store, owner, batch_id=batch, band_id=plan.band_id)
        plans.append(plan)
    return plans


def _open_day(store: Store, owner: Actor) -> None:
    series_svc.transition_series(store, owner, "Day 1", SeriesStatus.SCHEDULED, "go")
    series_svc.transition_series(store, owner, "Day 1", SeriesStatus.ACTIVE, "go")


def _tap(store: Store, owner: Actor, festival: Festival, uid: str, gate: str = "VIP Lane") -> str:
    return checkins.record_tap(store, owner, "Day 1", gate, uid, Direction.IN, now=festival.start).reason.value


@pytest.mark.parametrize("action,reason", [("void", "band_void"), ("lost", "band_lost")])
def test_a_void_or_lost_band_is_denied_at_the_gate(store: Store, owner: Actor, festival: Festival,
                                                   action: str, reason: str) -> None:
    _encode(store, owner, [OLD])
    _open_day(store, owner)
    fn = band_status.void_band if action == "void" else band_status.mark_lost
    view = fn(store, owner, OLD, reason="torn")
    assert view.status is BandStatus(action) and view.void_reason == "torn"
    assert _tap(store, owner, festival, OLD) == reason


def test_replace_moves_series_and_ticket_and_denies_the_old_band(store: Store, owner: Actor,
                                                                 festival: Festival) -> None:
    with store.write() as session:
        vip = session.scalars(select(Category).where(Category.name == "VIP")).one()
        session.add(Ticket(event_id=festival.event.id, category_id=vip.id, code="T-9", holder_name="Ana"))
    series_svc.set_category_limit(store, owner, "Day 1", "VIP", 1)  # the new band takes the old one's place
    _encode(store, owner, [OLD], ticket="T-9")
    band_status.mark_lost(store, owner, OLD, reason="lost at the bar")
    _encode(store, owner, [NEW], series=[])  # an active band with no series yet
    new = band_status.replace_band(store, owner, OLD, NEW)
    assert new.uid == NEW and new.ticket_id is not None and new.replaces_id is not None
    _open_day(store, owner)
    assert _tap(store, owner, festival, OLD) == "band_lost"
    assert _tap(store, owner, festival, NEW) == "ok"

    card = lookup.band_card(store, owner, "T-9")
    assert card.uid == NEW and card.replaces_uid == OLD and card.ticket and card.ticket.holder_name == "Ana"
    assert [s.name for s in card.series] == ["Day 1"]
    assert [(c.gate, c.result.value, c.reason.value) for c in card.checkins] == [("VIP Lane", "allowed", "ok")]
    old_card = lookup.band_card(store, owner, OLD, event_ref="Summer Fest")
    assert old_card.status is BandStatus.LOST and old_card.replaced_by_uid == NEW and old_card.series == []
    assert old_card.checkins[0].reason.value == "band_lost"
    assert old_card.label == "VIP #0001" and old_card.status_reason == "lost at the bar"


def test_replacing_an_active_band_voids_it(store: Store, owner: Actor, festival: Festival) -> None:
    _encode(store, owner, [OLD, NEW])
    band_status.replace_band(store, owner, OLD, NEW, reason="swapped for a bigger size")
    card = lookup.band_card(store, owner, OLD)
    assert card.status is BandStatus.VOID and card.status_reason == "swapped for a bigger size"
    assert [s.name for s in lookup.band_card(store, owner, NEW).series] == ["Day 1"]


def test_refused_status_changes_say_why_and_write_nothing(store: Store, owner: Actor, festival: Festival) -> None:
    events.create_event(store, owner, "Winter Fest", "Europe/Amsterdam")
    events.add_category(store, owner, "Winter Fest", "VIP")
    series_svc.create_series(store, owner, "Winter Fest", "Night", festival.start, festival.start.replace(hour=20),
                             100, gates=[])
    _encode(store, owner, [OLD, NEW, "04000000000003"])
    _encode(store, owner, ["04000000000009"], category="GA")
    _encode(store, owner, ["04000000000008"], event="Winter Fest", series=[])
    batch = encoding_batches.start_batch(store, owner, event_ref="Summer Fest", category_ref="VIP", series_refs=[],
                                         requested=None, station=None).id
    encoding_bands.plan_band(store, owner, batch_id=batch, uid="04000000000007")  # left pending
    band_status.mark_lost(store, owner, OLD, reason="lost")
    band_status.replace_band(store, owner, OLD, NEW)
    before = table_counts(store)
    cases: list[tuple[type[Exception], str, object]] = [
        (BandStateError, "pending", lambda: band_status.void_band(store, owner, "04000000000007", reason="x")),
        (ValidationError, "Say why", lambda: band_status.void_band(store, owner, NEW, reason="  ")),
        (BandStateError, "already lost", lambda: band_status.mark_lost(store, owner, OLD, reason="again")),
        (ReplacementError, "already replaced by 04000000000002",
         lambda: band_status.replace_band(store, owner, OLD, "04000000000003")),
        (ReplacementError, "already replaces another band",
         lambda: band_status.replace_band(store, owner, "04000000000003", NEW)),
        (ReplacementError, "of Winter Fest, not of Summer Fest",
         lambda: band_status.replace_band(store, owner, "04000000000003", "04000000000008",
                                          event_ref="Summer Fest")),
        (ReplacementError, "same category",
         lambda: band_status.replace_band(store, owner, "04000000000003", "04000000000009")),
        (ReplacementError, "only an active band",
         lambda: band_status.replace_band(store, owner, "04000000000003", "04000000000007")),
        (ReplacementError, "cannot replace itself",
         lambda: band_status.replace_band(store, owner, "04000000000003", "04000000000003")),
        (BandStateError, "pending",
         lambda: band_status.replace_band(store, owner, "04000000000007", "04000000000003")),
        (NotFoundError, "encode it first",
         lambda: band_status.replace_band(store, owner, "04000000000003", "04000000000055")),
        (NotFoundError, "04AAAAAAAAAAAA", lambda: lookup.band_card(store, owner, "04AAAAAAAAAAAA")),
        (NotFoundError, "NO-SUCH", lambda: lookup.band_card(store, owner, "NO-SUCH")),
    ]
    for error, text, call in cases:
        with pytest.raises(error, match=text):
            call()  # type: ignore[operator]
    assert table_counts(store) == before


def test_a_uid_in_two_events_needs_the_event(store: Store, owner: Actor, festival: Festival) -> None:
    events.create_event(store, owner, "Winter Fest", "Europe/Amsterdam")
    events.add_category(store, owner, "Winter Fest", "VIP")
    _encode(store, owner, [OLD])
    _encode(store, owner, [OLD], event="Winter Fest", series=[])
    with pytest.raises(AmbiguousError):
        band_status.void_band(store, owner, OLD, reason="x")
    assert band_status.void_band(store, owner, OLD, reason="x", event_ref="Winter Fest").status is BandStatus.VOID


def test_verify_band_accepts_the_written_bytes_and_refuses_tampering(store: Store, owner: Actor,
                                                                     festival: Festival) -> None:
    (plan,) = _encode(store, owner, [OLD])
    ok = lookup.verify_band(store, owner, OLD, plan.record_payload)
    assert ok.valid and ok.band_id == plan.band_id and ok.status is BandStatus.ACTIVE
    assert (ok.reason, ok.event, ok.message) == (Reason.OK, "Summer Fest", GENUINE_MESSAGE)
    # Not registered: the gate's unknown band, whatever the payload says.
    unknown = lookup.verify_band(store, owner, NEW, plan.record_payload)
    assert (unknown.valid, unknown.reason, unknown.message) == (False, Reason.UNKNOWN_BAND,
                                                                MESSAGES[Reason.UNKNOWN_BAND])
    tampered = bytearray(plan.record_payload)
    tampered[40] ^= 1
    forged = lookup.verify_band(store, owner, OLD, bytes(tampered))
    assert (forged.reason, forged.message) == (Reason.BAD_SIGNATURE, MESSAGES[Reason.BAD_SIGNATURE])
    assert forged.detail == "The band's data names another category than the database's."
    # A payload of the wrong shape is refused as the gate refuses it (422), with the same sentence.
    with pytest.raises(ValidationError, match="cut short"):
        lookup.verify_band(store, owner, OLD, plan.record_payload[:60])
    foreign = bytearray(plan.record_payload)
    foreign[17:33] = uuid.uuid4().bytes
    other_event = lookup.verify_band(store, owner, OLD, bytes(foreign))
    assert other_event.reason is Reason.BAD_SIGNATURE
    assert other_event.detail == "The band's data is for another event than the wristband's."
    band_status.void_band(store, owner, OLD, reason="x")
    void = lookup.verify_band(store, owner, OLD, plan.record_payload)
    assert (void.reason, void.message, void.status) == (Reason.BAND_VOID, MESSAGES[Reason.BAND_VOID],
                                                        BandStatus.VOID)
    # The status comes first, as at the gate: a void band is "void", forged or not.
    assert lookup.verify_band(store, owner, OLD, bytes(tampered)).reason is Reason.BAND_VOID


def test_lookup_and_the_gate_give_the_same_reason_for_the_same_band_and_payload(
        store: Store, owner: Actor, festival: Festival) -> None:
    first, _ = _encode(store, owner, [OLD, NEW])
    _open_day(store, owner)
    genuine = first.record_payload
    flipped_signature = bytearray(genuine)
    flipped_signature[-10] ^= 0x01
    flipped_event = bytearray(genuine)
    flipped_event[20] ^= 0x80
    with store.read() as session:
        key_id = next(iter(keys.event_public_keys(session, festival.event.id)))
    fields = pl.parse_payload(genuine)[0]
    stranger = pl.new_private_key()
    cases: dict[str, tuple[str, bytes, Reason]] = {
        "genuine": (OLD, genuine, Reason.OK),
        "unsigned: a key the event does not know": (
            OLD, pl.sign_payload(replace(fields, key_id=b"\x01\x02\x03\x04"), bytes.fromhex(OLD), stranger),
            Reason.BAD_SIGNATURE),
        "the event's key id, another private key": (
            OLD, pl.sign_payload(replace(fields, key_id=key_id), bytes.fromhex(OLD), stranger),
            Reason.BAD_SIGNATURE),
        "flipped signature byte": (OLD, bytes(flipped_signature), Reason.BAD_SIGNATURE),
        "wrong event in the data": (OLD, bytes(flipped_event), Reason.BAD_SIGNATURE),
        "copied to another band": (NEW, genuine, Reason.BAD_SIGNATURE),
        "unknown band": ("04000000000099", genuine, Reason.UNKNOWN_BAND),
    }
    for i, (name, (uid, data, expected)) in enumerate(cases.items()):
        seen = lookup.verify_band(store, owner, uid, data)
        tap = checkins.record_tap(store, owner, "Day 1", "Main", uid, Direction.IN, now=festival.start,
                                  client_scan_id=f"same-{i}", payload=data)
        assert (seen.reason, tap.reason) == (expected, expected), name
        if expected is not Reason.OK:
            assert seen.message == tap.message == MESSAGES[expected], name
        if tap.reason is Reason.OK:  # let the band out again for the next case
            checkins.record_tap(store, owner, "Day 1", "Exit", uid, Direction.OUT, now=festival.start,
                                client_scan_id=f"out-{i}")
    band_status.void_band(store, owner, OLD, reason="x")
    seen = lookup.verify_band(store, owner, OLD, bytes(flipped_signature))
    tap = checkins.record_tap(store, owner, "Day 1", "Main", OLD, Direction.IN, now=festival.start,
                              payload=bytes(flipped_signature))
    assert seen.reason is tap.reason is Reason.BAND_VOID


def test_the_vip_gate_still_checks_categories_for_a_replacement(store: Store, owner: Actor,
                                                                festival: Festival) -> None:
    events.add_gate(store, owner, "Summer Fest", "Side", GateKind.ENTRY, ["GA"])
    series_svc.assign_gates(store, owner, "Day 1", ["Side"])
    _encode(store, owner, [OLD, NEW])
    band_status.replace_band(store, owner, OLD, NEW)
    _open_day(store, owner)
    assert _tap(store, owner, festival, NEW, gate="Side") == "category_not_allowed"
    assert _tap(store, owner, festival, OLD, gate="Side") == "band_void"
