"""Taps go through the access decision; metrics count them, cached for five minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from boxoffice.domain.enums import (
    BandStatus,
    CheckinResult,
    Direction,
    Reason,
    ReentryPolicy,
    Role,
    SeriesStatus,
)
from boxoffice.errors import PermissionDeniedError
from boxoffice.services import assignments, checkins, metrics
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.seeding import Festival, add_bands
from tests.helpers.stores import table_counts


@pytest.fixture
def live(store: Store, owner: Actor, festival: Festival) -> dict[str, list[str]]:
    sid = str(festival.day.id)
    bands = {
        "GA": add_bands(store, festival.event.id, "GA", 6),
        "VIP": add_bands(store, festival.event.id, "VIP", 3),
        "void": add_bands(store, festival.event.id, "Staff", 1, BandStatus.VOID, prefix="07"),
        "unassigned": add_bands(store, festival.event.id, "Staff", 1, prefix="08"),
    }
    assignments.assign_bands(store, owner, sid, uids=bands["GA"] + bands["VIP"])
    svc.transition_series(store, owner, sid, SeriesStatus.SCHEDULED, "ok")
    svc.transition_series(store, owner, sid, SeriesStatus.ACTIVE, "ok")
    return bands


def tap(store: Store, actor: Actor, festival: Festival, gate: str, uid: str,
        direction: Direction = Direction.IN, minutes: int = 30, scan_id: str | None = None):  # type: ignore[no-untyped-def]
    return checkins.record_tap(
        store, actor, str(festival.day.id), gate, uid, direction,
        client_scan_id=scan_id, now=festival.start + timedelta(minutes=minutes),
    )


def test_taps_follow_the_rules(store: Store, owner: Actor, festival: Festival,
                               live: dict[str, list[str]]) -> None:
    ga, vip = live["GA"], live["VIP"]
    assert tap(store, owner, festival, "Main", ga[0]).reason is Reason.OK
    assert tap(store, owner, festival, "Main", ga[0], minutes=31).reason is Reason.ALREADY_INSIDE
    assert tap(store, owner, festival, "Exit", ga[0], Direction.OUT, 40).reason is Reason.EXIT_OK
    assert tap(store, owner, festival, "Main", ga[0], minutes=50).reason is Reason.REENTRY
    assert tap(store, owner, festival, "VIP Lane", ga[1]).reason is Reason.CATEGORY_NOT_ALLOWED
    assert tap(store, owner, festival, "VIP Lane", vip[0]).reason is Reason.OK
    assert tap(store, owner, festival, "Exit", vip[1], Direction.IN).reason is Reason.WRONG_DIRECTION
    assert tap(store, owner, festival, "Exit", vip[1], Direction.OUT).reason is Reason.NOT_INSIDE
    assert tap(store, owner, festival, "Main", live["void"][0]).reason is Reason.BAND_VOID
    assert tap(store, owner, festival, "Main", live["unassigned"][0]).reason is Reason.NOT_ASSIGNED
    assert tap(store, owner, festival, "Main", "04DEADBEEF0000").reason is Reason.UNKNOWN_BAND
    late = tap(store, owner, festival, "Main", ga[2], minutes=13 * 60)
    assert (late.result, late.reason) == (CheckinResult.DENIED, Reason.WINDOW_CLOSED)


def test_a_retried_scan_counts_once(store: Store, owner: Actor, festival: Festival,
                                    live: dict[str, list[str]]) -> None:
    first = tap(store, owner, festival, "Main", live["GA"][0], scan_id="gate1-0001")
    counts = table_counts(store)
    again = tap(store, owner, festival, "Main", live["GA"][0], minutes=35, scan_id="gate1-0001")
    assert again.replayed and again.id == first.id and again.reason is Reason.OK
    assert table_counts(store) == counts


def test_capacity_and_category_limits_at_the_gate(store: Store, owner: Actor, festival: Festival,
                                                  live: dict[str, list[str]]) -> None:
    sid = str(festival.day.id)
    version = svc.series_detail(store, owner, sid).series.version
    svc.update_series(store, owner, sid, version, {"capacity": 3})
    svc.set_category_limit(store, owner, sid, "VIP", 1)
    assert tap(store, owner, festival, "VIP Lane", live["VIP"][0]).reason is Reason.OK
    assert tap(store, owner, festival, "VIP Lane", live["VIP"][1]).reason is Reason.CATEGORY_FULL
    assert tap(store, owner, festival, "Main", live["GA"][0]).reason is Reason.OK
    assert tap(store, owner, festival, "Main", live["GA"][1]).reason is Reason.OK
    assert tap(store, owner, festival, "Main", live["GA"][2]).reason is Reason.SERIES_FULL
    # one leaves, the next one gets in
    tap(store, owner, festival, "Exit", live["GA"][0], Direction.OUT, 40)
    assert tap(store, owner, festival, "Main", live["GA"][2], minutes=41).reason is Reason.OK


def test_single_entry_policy(store: Store, owner: Actor, festival: Festival,
                             live: dict[str, list[str]]) -> None:
    sid = str(festival.day.id)
    version = svc.series_detail(store, owner, sid).series.version
    svc.update_series(store, owner, sid, version, {"reentry_policy": ReentryPolicy.SINGLE})
    uid = live["GA"][0]
    assert tap(store, owner, festival, "Main", uid).reason is Reason.OK
    assert tap(store, owner, festival, "Exit", uid, Direction.OUT, 40).reason is Reason.EXIT_OK
    assert tap(store, owner, festival, "Main", uid, minutes=50).reason is Reason.NO_REENTRY


def test_only_verifying_roles_record_taps(store: Store, festival: Festival, live: dict[str, list[str]],
                                          actors: dict[Role, Actor]) -> None:
    before = table_counts(store)
    for role in (Role.MANAGER, Role.MEMBER, Role.VIEWER, Role.STATION):
        with pytest.raises(PermissionDeniedError):
            tap(store, actors[role], festival, "Main", live["GA"][0])
    assert table_counts(store) == before
    assert tap(store, actors[Role.GATE], festival, "Main", live["GA"][0]).reason is Reason.OK


def test_metrics_count_what_happened(store: Store, owner: Actor, festival: Festival,
                                     live: dict[str, list[str]]) -> None:
    ga, vip = live["GA"], live["VIP"]
    tap(store, owner, festival, "Main", ga[0], minutes=10)
    tap(store, owner, festival, "Main", ga[1], minutes=70)
    tap(store, owner, festival, "Main", ga[2], minutes=75)
    tap(store, owner, festival, "Main", ga[0], minutes=80)               # already inside
    tap(store, owner, festival, "Exit", ga[0], Direction.OUT, 90)
    tap(store, owner, festival, "VIP Lane", vip[0], minutes=95)
    tap(store, owner, festival, "VIP Lane", ga[3], minutes=96)           # wrong category
    tap(store, owner, festival, "Main", "04DEADBEEF0000", minutes=97)     # unknown
    now = festival.start + timedelta(hours=2)
    m = metrics.series_metrics(store, owner, str(festival.day.id), now=now)
    assert m.assigned_bands == 9
    assert m.unique_entries == 4
    assert m.inside_now == 3
    assert (m.total_scans, m.allowed, m.denied) == (8, 5, 3)
    assert m.denials_by_reason == {"already_inside": 1, "category_not_allowed": 1, "unknown_band": 1}
    gates = {g.gate: (g.scans, g.allowed, g.denied) for g in m.by_gate}
    assert gates == {"Main": (5, 3, 2), "Exit": (1, 1, 0), "VIP Lane": (2, 1, 1)}
    cats = {c.category: (c.assigned, c.entered) for c in m.by_category}
    assert cats == {"GA": (6, 3), "VIP": (3, 1), "Staff": (0, 0)}
    # start is 10:00 UTC = 12:00 in Amsterdam; entries at 12:10, 13:10, 13:15, 13:35 local
    assert m.peak_hour is not None
    assert (m.peak_hour.starts_at_local.hour, m.peak_hour.entries) == (13, 3)

    # cached for five minutes, then recomputed
    tap(store, owner, festival, "Main", ga[4], minutes=100)
    assert metrics.series_metrics(store, owner, str(festival.day.id),
                                  now=now + timedelta(minutes=4)).total_scans == 8
    assert metrics.series_metrics(store, owner, str(festival.day.id), fresh=True,
                                  now=now + timedelta(minutes=4)).total_scans == 9
    tap(store, owner, festival, "Main", ga[5], minutes=101)
    assert metrics.series_metrics(store, owner, str(festival.day.id),
                                  now=now + timedelta(minutes=10)).total_scans == 10


def test_metrics_of_an_empty_series(store: Store, owner: Actor, festival: Festival,
                                    actors: dict[Role, Actor]) -> None:
    m = metrics.series_metrics(store, actors[Role.VIEWER], str(festival.day.id))
    assert (m.assigned_bands, m.total_scans, m.inside_now, m.peak_hour) == (0, 0, 0, None)
    with pytest.raises(PermissionDeniedError):
        metrics.series_metrics(store, actors[Role.GATE], str(festival.day.id))
