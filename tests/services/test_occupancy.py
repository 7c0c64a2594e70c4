"""Kept occupancy counts and scan ids scoped to the event, through the check-in service.

Every test ends by checking the invariant the gate relies on: the kept counts
equal a recount of who is inside.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import CheckinResult, Direction, GateKind, Reason, ReentryPolicy, SeriesStatus
from boxoffice.errors import ScanIdTakenError
from boxoffice.schemas.checkin import CheckinView
from boxoffice.services import assignments, checkins, events, occupancy, organization
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Checkin, SeriesPresence
from tests.helpers.seeding import Festival, add_bands
from tests.helpers.stores import table_counts

IN, OUT = Direction.IN, Direction.OUT


def _open(store: Store, owner: Actor, festival: Festival, capacity: int = 1000,
          policy: ReentryPolicy = ReentryPolicy.SINGLE) -> str:
    sid = str(festival.day.id)
    version = svc.series_detail(store, owner, sid).series.version
    svc.update_series(store, owner, sid, version, {"capacity": capacity, "reentry_policy": policy})
    svc.transition_series(store, owner, sid, SeriesStatus.SCHEDULED, "ok")
    svc.transition_series(store, owner, sid, SeriesStatus.ACTIVE, "ok")
    return sid


def _assert_true_counts(store: Store) -> None:
    with store.read() as session:
        assert occupancy.mismatches(session) == []


def _inside(store: Store, sid: str, category_id: uuid.UUID | None = None) -> int:
    with store.read() as session:
        return occupancy.inside(session, uuid.UUID(sid), category_id)


def test_entries_and_exits_move_the_kept_count(store: Store, owner: Actor, festival: Festival) -> None:
    bands = add_bands(store, festival.event.id, "GA", 5)
    sid = _open(store, owner, festival, policy=ReentryPolicy.REENTRY)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    at = festival.start + timedelta(hours=1)
    for uid in bands:
        assert checkins.record_tap(store, owner, sid, "Main", uid, IN, now=at).reason is Reason.OK
    assert _inside(store, sid) == 5
    checkins.record_tap(store, owner, sid, "Exit", bands[0], OUT, now=at + timedelta(minutes=5))
    assert _inside(store, sid) == 4
    again = checkins.record_tap(store, owner, sid, "Main", bands[0], IN, now=at + timedelta(minutes=6))
    assert again.reason is Reason.REENTRY and _inside(store, sid) == 5
    # A late offline exit (older than what is known) leaves the band where the newer tap put it.
    late = checkins.record_tap(store, owner, sid, "Exit", bands[1], OUT, now=at - timedelta(minutes=30))
    assert late.reason is Reason.EXIT_OK and _inside(store, sid) == 5
    _assert_true_counts(store)


def test_capacity_and_category_limit_are_claimed_from_the_counts(
        store: Store, owner: Actor, festival: Festival) -> None:
    ga = add_bands(store, festival.event.id, "GA", 4)
    vip = add_bands(store, festival.event.id, "VIP", 3)
    sid = _open(store, owner, festival, capacity=4, policy=ReentryPolicy.REENTRY)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    assignments.assign_bands(store, owner, sid, category_ref="VIP")
    svc.set_category_limit(store, owner, sid, "VIP", 1)
    at = festival.start + timedelta(hours=1)
    reasons = [checkins.record_tap(store, owner, sid, "VIP Lane", u, IN, now=at).reason for u in vip]
    assert reasons == [Reason.OK, Reason.CATEGORY_FULL, Reason.CATEGORY_FULL]
    reasons = [checkins.record_tap(store, owner, sid, "Main", u, IN, now=at).reason for u in ga]
    assert reasons == [Reason.OK, Reason.OK, Reason.OK, Reason.SERIES_FULL]
    vip_id = _category_id(store, festival, "VIP")
    assert (_inside(store, sid), _inside(store, sid, vip_id)) == (4, 1)
    # A refused place is given back whole: the category claimed first is not left counted.
    svc.set_category_limit(store, owner, sid, "VIP", 3)
    assert checkins.record_tap(store, owner, sid, "VIP Lane", vip[1], IN, now=at).reason is Reason.SERIES_FULL
    assert _inside(store, sid, vip_id) == 1
    checkins.record_tap(store, owner, sid, "Exit", ga[0], OUT, now=at + timedelta(minutes=1))
    assert checkins.record_tap(store, owner, sid, "VIP Lane", vip[1], IN,
                               now=at + timedelta(minutes=2)).reason is Reason.OK
    assert (_inside(store, sid), _inside(store, sid, vip_id)) == (4, 2)
    _assert_true_counts(store)


def _category_id(store: Store, festival: Festival, name: str) -> uuid.UUID:
    return next(c.id for c in events.list_categories(store, resolve_actor(store, "owner@example.org"),
                                                     str(festival.event.id)) if c.name == name)


def test_a_random_day_keeps_counts_equal_to_a_recount(store: Store, owner: Actor, festival: Festival) -> None:
    bands = add_bands(store, festival.event.id, "GA", 12) + add_bands(store, festival.event.id, "VIP", 6)
    sid = _open(store, owner, festival, capacity=9, policy=ReentryPolicy.REENTRY)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    assignments.assign_bands(store, owner, sid, category_ref="VIP")
    svc.set_category_limit(store, owner, sid, "VIP", 3)
    rng = random.Random(7)
    at = festival.start + timedelta(hours=1)
    for step in range(150):
        uid = rng.choice(bands)
        # Mostly forward in time, sometimes a late offline scan from the past.
        when = at + timedelta(seconds=step * 10 - (rng.randrange(600) if rng.random() < 0.15 else 0))
        if rng.random() < 0.55:
            checkins.record_tap(store, owner, sid, rng.choice(["Main", "VIP Lane"]), uid, IN, now=when)
        else:
            checkins.record_tap(store, owner, sid, "Exit", uid, OUT, now=when)
        assert _inside(store, sid) <= 9
    _assert_true_counts(store)
    with store.read() as session:
        inside = session.scalars(select(SeriesPresence.inside).where(
            SeriesPresence.series_id == uuid.UUID(sid))).all()
    assert _inside(store, sid) == sum(inside) > 0


def test_a_kept_offline_tap_counts_without_asking_for_room(
        store: Store, owner: Actor, festival: Festival) -> None:
    bands = add_bands(store, festival.event.id, "GA", 2)
    sid = _open(store, owner, festival, capacity=1)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    at = festival.start + timedelta(hours=1)
    checkins.record_tap(store, owner, sid, "Main", bands[0], IN, now=at)
    gate = events.list_gates(store, owner, str(festival.event.id))[0]
    offline = _offline_tap(sid, gate.id, bands[1], "station-1-0001", at)
    assert checkins.import_checkin(store, owner, offline)
    # The person is through the gate: counted, even past capacity, so the count stays true.
    assert _inside(store, sid) == 2
    _assert_true_counts(store)
    assert checkins.record_tap(store, owner, sid, "Exit", bands[1], OUT,
                               now=at + timedelta(minutes=1)).reason is Reason.EXIT_OK
    assert _inside(store, sid) == 1
    _assert_true_counts(store)


def _offline_tap(sid: str, gate_id: uuid.UUID, uid: str, scan_id: str, at: object) -> CheckinView:
    return CheckinView.model_validate({
        "id": uuid.uuid4(), "client_scan_id": scan_id, "series_id": sid, "gate_id": gate_id,
        "wristband_id": None, "uid": uid, "direction": "in", "result": "allowed", "reason": "ok",
        "message": "", "device_id": "station-1", "occurred_at": at, "replayed": False,
    })


def test_the_same_offline_tap_twice_is_kept_once_and_another_under_its_scan_id_is_refused(
        store: Store, owner: Actor, festival: Festival) -> None:
    bands = add_bands(store, festival.event.id, "GA", 2)
    sid = _open(store, owner, festival)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    gate = events.list_gates(store, owner, str(festival.event.id))[0]
    at = festival.start + timedelta(hours=1)
    tap = _offline_tap(sid, gate.id, bands[0], "station-1-0001", at)
    assert checkins.import_checkin(store, owner, tap)
    assert not checkins.import_checkin(store, owner, tap)
    before = table_counts(store)
    other = _offline_tap(sid, gate.id, bands[1], "station-1-0001", at)
    with pytest.raises(ScanIdTakenError, match="station-1-0001 is already used by another tap"):
        checkins.import_checkin(store, owner, other)
    assert table_counts(store) == before
    _assert_true_counts(store)


def _second_organization(store: Store) -> tuple[Actor, str, list[str]]:
    """Another organization with its own festival, series and bands (the same UIDs as the first's)."""
    organization.create_organization(store, "Other Org", "other@example.org", "Other")
    other = resolve_actor(store, "other@example.org")
    ev = events.create_event(store, other, "Other Fest", "Europe/Amsterdam")
    events.add_category(store, other, "Other Fest", "GA")
    events.add_gate(store, other, "Other Fest", "Main", GateKind.ENTRY)
    from datetime import UTC, datetime
    start = datetime(2027, 7, 2, 10, 0, tzinfo=UTC)
    day = svc.create_series(store, other, "Other Fest", "Day 1", start, start + timedelta(hours=12), 100,
                            gates=["Main"]).series
    bands = add_bands(store, ev.id, "GA", 3, prefix="05")
    assignments.assign_bands(store, other, str(day.id), category_ref="GA")
    svc.transition_series(store, other, str(day.id), SeriesStatus.SCHEDULED, "ok")
    svc.transition_series(store, other, str(day.id), SeriesStatus.ACTIVE, "ok")
    return other, str(day.id), bands


@pytest.mark.slow
def test_scan_ids_belong_to_their_event_not_to_the_whole_database(
        store: Store, owner: Actor, festival: Festival) -> None:
    bands = add_bands(store, festival.event.id, "GA", 2)
    sid = _open(store, owner, festival)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    other, other_sid, other_bands = _second_organization(store)
    at = festival.start + timedelta(hours=1)
    mine = checkins.record_tap(store, owner, sid, "Main", bands[0], IN, client_scan_id="dev-1", now=at)
    # The other organization's device uses the same scan id: its own tap, decided and kept.
    theirs = checkins.record_tap(store, other, other_sid, "Main", other_bands[0], IN,
                                 client_scan_id="dev-1", now=at)
    assert not theirs.replayed and theirs.id != mine.id
    assert (theirs.series_id, theirs.uid, theirs.result) == (uuid.UUID(other_sid), other_bands[0],
                                                             CheckinResult.ALLOWED)
    # A scan id the other organization used first does not answer this organization's real tap.
    first_there = checkins.record_tap(store, other, other_sid, "Main", "05FFFFFFFFFFFF", IN,
                                      client_scan_id="dev-2", now=at)
    assert first_there.reason is Reason.UNKNOWN_BAND
    here = checkins.record_tap(store, owner, sid, "Main", bands[1], IN, client_scan_id="dev-2", now=at)
    assert (here.replayed, here.reason, here.uid) == (False, Reason.OK, bands[1])
    # A replay answers with the caller's own tap.
    replay = checkins.record_tap(store, owner, sid, "Main", bands[1], IN, client_scan_id="dev-2", now=at)
    assert replay.replayed and replay.id == here.id
    with store.read() as session:
        assert len(session.scalars(select(Checkin).where(Checkin.client_scan_id == "dev-2")).all()) == 2
    _assert_true_counts(store)


def test_recount_repairs_counts_and_mismatches_say_what_was_wrong(
        store: Store, owner: Actor, festival: Festival) -> None:
    bands = add_bands(store, festival.event.id, "GA", 3)
    sid = _open(store, owner, festival)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    for uid in bands:
        checkins.record_tap(store, owner, sid, "Main", uid, IN, now=festival.start + timedelta(hours=1))
    with store.write() as session:
        occupancy.leave(session, uuid.UUID(sid), _category_id(store, festival, "GA"))
    with store.read() as session:
        problems = occupancy.mismatches(session)
    assert len(problems) == 2 and all("kept 2 inside, recount 3" in p for p in problems)
    with store.write() as session:
        occupancy.recount(session, [uuid.UUID(sid)])
    _assert_true_counts(store)
    assert _inside(store, sid) == 3


def _two_bands_one_inside(store: Store, owner: Actor, festival: Festival, capacity: int
                          ) -> tuple[list[str], str, datetime]:
    """An active series of ``capacity`` with two GA bands assigned, the first let in: (bands, series, when)."""
    bands = add_bands(store, festival.event.id, "GA", 2)
    sid = _open(store, owner, festival, capacity=capacity)
    assignments.assign_bands(store, owner, sid, category_ref="GA")
    at = festival.start + timedelta(hours=1)
    assert checkins.record_tap(store, owner, sid, "Main", bands[0], IN, now=at).reason is Reason.OK
    return bands, sid, at


def test_an_entry_whose_place_is_gone_at_its_claim_is_decided_again_and_nothing_of_it_kept(
        store: Store, owner: Actor, festival: Festival, monkeypatch: pytest.MonkeyPatch) -> None:
    bands, sid, at = _two_bands_one_inside(store, owner, festival, capacity=5)
    real_claim, attempts = occupancy.claim, []

    def gone_once(*args: object, **kwargs: object) -> object:
        attempts.append(args)
        # The first claim (made last, after the check-in and presence were written) finds the
        # place taken, as when a concurrent entry got it between this tap's decision and claim.
        return occupancy.no_room(category=False) if len(attempts) == 1 else real_claim(*args, **kwargs)

    monkeypatch.setattr(checkins.occupancy, "claim", gone_once)
    view = checkins.record_tap(store, owner, sid, "Main", bands[1], IN, client_scan_id="late-claim", now=at)
    assert len(attempts) == 2 and view.reason is Reason.OK
    with store.read() as session:
        kept = session.scalars(select(Checkin).where(Checkin.client_scan_id == "late-claim")).all()
        assert [c.id for c in kept] == [view.id]
    assert _inside(store, sid) == 2
    _assert_true_counts(store)


def test_an_entry_at_a_full_series_is_refused_in_one_transaction(
        store: Store, owner: Actor, festival: Festival, monkeypatch: pytest.MonkeyPatch) -> None:
    bands, sid, at = _two_bands_one_inside(store, owner, festival, capacity=1)
    calls: list[bool] = []
    real = checkins._record_tap

    def counted(*args: object, **kwargs: bool) -> CheckinView:
        calls.append(kwargs["claim_last"])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(checkins, "_record_tap", counted)
    assert checkins.record_tap(store, owner, sid, "Main", bands[1], IN, now=at).reason is Reason.SERIES_FULL
    assert calls == [True]  # the counters looked full: claimed first, no second attempt
    assert _inside(store, sid) == 1
    _assert_true_counts(store)
