"""Recurring series: children dated in the event's zone, copying gates and limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from boxoffice.domain.enums import RecurrenceKind, Role
from boxoffice.domain.recurrence import RecurrenceRule
from boxoffice.domain.validation import SeriesTimes
from boxoffice.errors import DuplicateError, PermissionDeniedError, ValidationError
from boxoffice.services import recurring
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.seeding import Festival
from tests.helpers.stores import table_counts

AMS = ZoneInfo("Europe/Amsterdam")


def test_daily_children_keep_local_time_across_dst(store: Store, owner: Actor, festival: Festival) -> None:
    # 20:00 on Friday 26 March 2027 in Amsterdam; summer time starts on Sunday 28 March.
    start = datetime(2027, 3, 26, 20, 0, tzinfo=AMS)
    parent = svc.create_series(
        store, owner, "Summer Fest", "Club night", start, start + timedelta(hours=6), 300,
        checkin_opens_at=start - timedelta(hours=1), gates=["Main", "Exit"],
    ).series
    svc.set_category_limit(store, owner, str(parent.id), "VIP", 40)
    children = recurring.generate_recurring(
        store, owner, str(parent.id), RecurrenceRule(RecurrenceKind.DAILY, 4), "Night {n} ({date})"
    )
    assert [c.name for c in children] == [
        "Night 1 (2027-03-26)", "Night 2 (2027-03-27)", "Night 3 (2027-03-28)", "Night 4 (2027-03-29)"
    ]
    assert [c.starts_at.astimezone(AMS).hour for c in children] == [20, 20, 20, 20]
    assert [c.starts_at.astimezone(UTC).hour for c in children] == [19, 19, 18, 18]
    assert [c.checkin_opens_at.astimezone(AMS).hour for c in children] == [19] * 4
    assert {c.parent_series_id for c in children} == {parent.id}
    assert [c.sequence_number for c in children] == [1, 2, 3, 4]
    third = svc.series_detail(store, owner, str(children[2].id))
    assert third.gates == ["Exit", "Main"]
    assert {lim.category: lim.limit for lim in third.limits}["VIP"] == 40
    detail = svc.series_detail(store, owner, str(parent.id))
    assert detail.series.recurrence_kind is RecurrenceKind.DAILY
    assert detail.series.recurrence_count == 4
    assert [c.id for c in detail.children] == [c.id for c in children]


def test_weekly_on_chosen_days(store: Store, owner: Actor, festival: Festival) -> None:
    start = datetime(2027, 6, 4, 18, 0, tzinfo=AMS)  # a Friday
    parent = svc.create_series(store, owner, "Summer Fest", "Weekend", start,
                               start + timedelta(hours=5), 100).series
    children = recurring.generate_recurring(
        store, owner, str(parent.id),
        RecurrenceRule(RecurrenceKind.WEEKLY, 4, weekdays=frozenset({4, 5})), "{name} {date}",
    )
    assert [c.starts_at.astimezone(AMS).strftime("%a %d") for c in children] == [
        "Fri 04", "Sat 05", "Fri 11", "Sat 12"
    ]


def test_refusals_write_nothing(store: Store, owner: Actor, festival: Festival,
                                actors: dict[Role, Actor]) -> None:
    sid = str(festival.day.id)
    rule = RecurrenceRule(RecurrenceKind.DAILY, 3)
    svc.create_series(store, owner, "Summer Fest", "Day 3", festival.start + timedelta(days=9),
                      festival.start + timedelta(days=9, hours=8), 100)
    before = table_counts(store)
    with pytest.raises(ValidationError, match="same name"):
        recurring.generate_recurring(store, owner, sid, rule, "Same")
    with pytest.raises(ValidationError, match="cannot be used"):
        recurring.generate_recurring(store, owner, sid, rule, "{nope}")
    with pytest.raises(DuplicateError, match=r"^A series with name Day 3 already exists in Summer Fest\.$"):
        recurring.generate_recurring(store, owner, sid, rule, "Day {n}")  # Day 1 is #1: Day 2, 3, 4
    with pytest.raises(PermissionDeniedError):
        recurring.generate_recurring(store, actors[Role.MEMBER], sid, rule)
    assert table_counts(store) == before
    children = recurring.generate_recurring(store, actors[Role.MANAGER], sid, rule, "Day 1.{n}")
    with pytest.raises(ValidationError, match="already has 3 generated"):
        recurring.generate_recurring(store, owner, sid, rule, "Again {n}")
    with pytest.raises(ValidationError, match="recur the parent"):
        recurring.generate_recurring(store, owner, str(children[0].id), rule, "Child {n}")


def test_a_series_named_like_copy_one_is_day_one_and_the_copies_follow_it(
        store: Store, owner: Actor, festival: Festival) -> None:
    """"Day 1" with "Day {n}": Day 1 is #1 itself, so nothing is generated twice for its date."""
    parent = festival.day
    assert parent.name == "Day 1"
    children = recurring.generate_recurring(
        store, owner, str(parent.id), RecurrenceRule(RecurrenceKind.DAILY, 2), "Day {n}")
    assert [c.name for c in children] == ["Day 2", "Day 3"]
    assert [c.sequence_number for c in children] == [2, 3]
    assert [c.starts_at - parent.starts_at for c in children] == [timedelta(days=1), timedelta(days=2)]
    assert {c.parent_series_id for c in children} == {parent.id}
    names = [s.name for s in svc.list_series(store, owner, "Summer Fest")]
    assert sorted(names) == ["Day 1", "Day 2", "Day 3"]


def test_which_one_the_parent_is_follows_from_the_names_alone() -> None:
    """The plan a station previews and the server replays: a pure function of parent, rule and pattern."""
    start = datetime(2027, 6, 4, 18, 0, tzinfo=AMS)  # a Friday
    times = SeriesTimes(start, start + timedelta(hours=5), start, start + timedelta(hours=5))
    weekly = RecurrenceRule(RecurrenceKind.WEEKLY, 3, weekdays=frozenset({4, 5}))

    def plan(name: str, pattern: str, rule: RecurrenceRule = weekly) -> list[tuple[str, int, str]]:
        return [(n, i.sequence, i.starts_at.astimezone(AMS).strftime("%a %d"))
                for n, i in recurring.planned_children(rule, AMS, times, name, pattern)]

    # A template: copy #1 on its own date.
    assert plan("Weekend", "Night {n}") == [("Night 1", 1, "Fri 04"), ("Night 2", 2, "Sat 05"),
                                            ("Night 3", 3, "Fri 11")]
    # The first night itself: the copies are #2, #3, #4 on the pattern's dates after it.
    assert plan("Night 1", "Night {n}") == [("Night 2", 2, "Sat 05"), ("Night 3", 3, "Fri 11"),
                                            ("Night 4", 4, "Sat 12")]
    assert plan("night 1", "Night {n}")[0][0] == "Night 2"  # names compare as the duplicate check does
    assert plan("Fri 2027-06-04", "{weekday:.3} {date}", RecurrenceRule(RecurrenceKind.DAILY, 1)) == [
        ("Sat 2027-06-05", 2, "Sat 05")]
    with pytest.raises(ValidationError, match="At most 365 series can follow Night 1"):
        plan("Night 1", "Night {n}", RecurrenceRule(RecurrenceKind.DAILY, 366))
