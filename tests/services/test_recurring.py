"""Recurring series: children dated in the event's zone, copying gates and limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from boxoffice.domain.enums import RecurrenceKind, Role
from boxoffice.domain.recurrence import RecurrenceRule
from boxoffice.errors import DuplicateError, PermissionDeniedError, ValidationError
from boxoffice.services import recurring
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.conftest import table_counts
from tests.services.conftest import Festival

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
    before = table_counts(store)
    with pytest.raises(ValidationError, match="same name"):
        recurring.generate_recurring(store, owner, sid, rule, "Same")
    with pytest.raises(ValidationError, match="cannot be used"):
        recurring.generate_recurring(store, owner, sid, rule, "{nope}")
    with pytest.raises(DuplicateError, match="Day 1"):
        recurring.generate_recurring(store, owner, sid, rule, "Day {n}")
    with pytest.raises(PermissionDeniedError):
        recurring.generate_recurring(store, actors[Role.MEMBER], sid, rule)
    assert table_counts(store) == before
    children = recurring.generate_recurring(store, actors[Role.MANAGER], sid, rule, "Day 1.{n}")
    with pytest.raises(ValidationError, match="already has 3 generated"):
        recurring.generate_recurring(store, owner, sid, rule, "Again {n}")
    with pytest.raises(ValidationError, match="recur the parent"):
        recurring.generate_recurring(store, owner, str(children[0].id), rule, "Child {n}")
