"""Series builder use cases: each validates before writing, checks the role, and queues its change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import GateKind, ReentryPolicy, Role, SeriesStatus
from boxoffice.errors import (
    DuplicateError,
    IllegalTransitionError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
    ValidationError,
)
from boxoffice.services import events, organization
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import OutboxEntry, SeriesStateTransition
from tests.helpers.seeding import Festival
from tests.helpers.stores import table_counts


def outbox_kinds(store: Store) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(OutboxEntry.kind).order_by(OutboxEntry.seq)))


def test_create_series_defaults_and_outbox(store: Store, owner: Actor, festival: Festival) -> None:
    day = festival.day
    assert day.status is SeriesStatus.DRAFT
    assert day.version == 1
    assert (day.checkin_opens_at, day.checkin_closes_at) == (day.starts_at, day.ends_at)
    assert day.reentry_policy is ReentryPolicy.REENTRY
    assert outbox_kinds(store)[-1] == "series.create"
    detail = svc.series_detail(store, owner, "Day 1")
    assert detail.gates == ["Exit", "Main", "VIP Lane"]
    assert detail.timezone == "Europe/Amsterdam"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ends_at": datetime(2027, 7, 2, 9, tzinfo=UTC)}, "ends_at"),
        ({"capacity": 0}, "capacity"),
        ({"checkin_opens_at": datetime(2027, 7, 1, 8, tzinfo=UTC)}, "checkin_opens_at"),
        ({"checkin_closes_at": datetime(2027, 7, 2, 23, tzinfo=UTC)}, "checkin_closes_at"),
        ({"starts_at": datetime(2027, 7, 2, 10)}, "starts_at"),
        # What PostgreSQL's INTEGER column cannot hold is refused on SQLite too, with the same sentence.
        ({"capacity": 2**31}, "capacity"),
        ({"capacity": 2**63}, "capacity"),
        ({"starts_at": datetime(1, 1, 1, tzinfo=UTC), "ends_at": datetime(1, 1, 1, 8, tzinfo=UTC)},
         "starts_at"),
    ],
)
def test_create_series_refuses_bad_times_and_writes_nothing(
    store: Store, owner: Actor, festival: Festival, kwargs: dict, field: str
) -> None:
    args = {"starts_at": festival.start, "ends_at": festival.start + timedelta(hours=8),
            "capacity": 10}
    args.update(kwargs)
    before = table_counts(store)
    with pytest.raises(ValidationError) as caught:
        svc.create_series(
            store, owner, "Summer Fest", "Day 2", args.pop("starts_at"), args.pop("ends_at"),
            args.pop("capacity"), **args,
        )
    assert field in {p.field for p in caught.value.problems}
    assert str(caught.value)
    assert table_counts(store) == before


def test_create_series_refuses_duplicates_unknowns_and_roles(
    store: Store, owner: Actor, festival: Festival, actors: dict[Role, Actor]
) -> None:
    before = table_counts(store)
    start, end = festival.start, festival.start + timedelta(hours=2)
    with pytest.raises(DuplicateError, match="already exists in Summer Fest"):
        svc.create_series(store, owner, "Summer Fest", "day 1", start, end, 5)
    with pytest.raises(NotFoundError, match="No event Winter Fest"):
        svc.create_series(store, owner, "Winter Fest", "Day 9", start, end, 5)
    with pytest.raises(NotFoundError, match="No gate Back Door"):
        svc.create_series(store, owner, "Summer Fest", "Day 9", start, end, 5, gates=["Back Door"])
    for role in (Role.MEMBER, Role.VIEWER, Role.GATE, Role.STATION):
        with pytest.raises(PermissionDeniedError, match=f"Your role \\({role.value}\\) may not"):
            svc.create_series(store, actors[role], "Summer Fest", "Day 9", start, end, 5)
    assert table_counts(store) == before
    # a manager may create series
    svc.create_series(store, actors[Role.MANAGER], "Summer Fest", "Day 9", start, end, 5)


def test_gate_of_another_event_is_refused(store: Store, owner: Actor, festival: Festival) -> None:
    events.create_event(store, owner, "Other Fest", "Europe/London")
    other_gate = events.add_gate(store, owner, "Other Fest", "Far Gate", GateKind.BOTH)
    before = table_counts(store)
    with pytest.raises(ValidationError, match="Far Gate"):
        svc.assign_gates(store, owner, str(festival.day.id), [str(other_gate.id)])
    assert table_counts(store) == before


def test_another_organization_sees_nothing(store: Store, owner: Actor, festival: Festival) -> None:
    organization.create_organization(store, "Rival Org", "rival@example.org")
    rival = resolve_actor(store, "rival@example.org")
    with pytest.raises(NotFoundError):
        svc.series_detail(store, rival, str(festival.day.id))
    with pytest.raises(NotFoundError):
        svc.transition_series(store, rival, str(festival.day.id), SeriesStatus.SCHEDULED, "x")
    assert svc.list_series(store, rival) == []


def test_update_uses_optimistic_locking(store: Store, owner: Actor, festival: Festival) -> None:
    sid = str(festival.day.id)
    moved = festival.start + timedelta(days=1)
    change = svc.update_series(
        store, owner, sid, 1, {"starts_at": moved, "ends_at": moved + timedelta(hours=12),
                               "capacity": 800, "name": "Day One"},
    )
    assert change.series.version == 2
    assert change.series.name == "Day One"
    # the check-in window followed the series because it was the default one
    assert change.series.checkin_opens_at == moved
    before = table_counts(store)
    with pytest.raises(StaleVersionError, match="edited version 1, it is now at version 2"):
        svc.update_series(store, owner, sid, 1, {"capacity": 10})
    with pytest.raises(ValidationError, match="cannot be edited: status"):
        svc.update_series(store, owner, sid, 2, {"status": "active"})
    with pytest.raises(ValidationError, match="end after it starts"):
        svc.update_series(store, owner, sid, 2, {"ends_at": moved - timedelta(hours=1)})
    assert table_counts(store) == before
    assert outbox_kinds(store)[-1] == "series.update"


def test_lifecycle_walk_logs_every_transition(store: Store, owner: Actor, festival: Festival) -> None:
    sid = str(festival.day.id)
    svc.transition_series(store, owner, sid, SeriesStatus.SCHEDULED, "Programme out")
    svc.transition_series(store, owner, sid, SeriesStatus.ACTIVE, "Doors open")
    done = svc.transition_series(store, owner, sid, SeriesStatus.COMPLETED, "Last act done")
    assert done.series.status is SeriesStatus.COMPLETED
    assert done.series.version == 4
    history = svc.series_detail(store, owner, sid).transitions
    assert [(t.from_status, t.to_status) for t in history] == [
        (SeriesStatus.DRAFT, SeriesStatus.SCHEDULED),
        (SeriesStatus.SCHEDULED, SeriesStatus.ACTIVE),
        (SeriesStatus.ACTIVE, SeriesStatus.COMPLETED),
    ]
    assert {t.actor for t in history} == {"owner@example.org"}
    assert [t.reason for t in history] == ["Programme out", "Doors open", "Last act done"]
    before = table_counts(store)
    with pytest.raises(IllegalTransitionError, match="completed is final"):
        svc.transition_series(store, owner, sid, SeriesStatus.CANCELLED, "Storm")
    with pytest.raises(ValidationError, match="can no longer be changed"):
        svc.update_series(store, owner, sid, 4, {"capacity": 5})
    assert table_counts(store) == before


def test_illegal_and_unexplained_transitions_write_nothing(
    store: Store, owner: Actor, festival: Festival, actors: dict[Role, Actor]
) -> None:
    sid = str(festival.day.id)
    before = table_counts(store)
    with pytest.raises(IllegalTransitionError) as caught:
        svc.transition_series(store, owner, sid, SeriesStatus.COMPLETED, "Skip ahead")
    assert "draft" in str(caught.value) and "scheduled, cancelled" in str(caught.value)
    with pytest.raises(ValidationError, match="reason is required"):
        svc.transition_series(store, owner, sid, SeriesStatus.SCHEDULED, "   ")
    with pytest.raises(PermissionDeniedError):
        svc.transition_series(store, actors[Role.MANAGER], sid, SeriesStatus.SCHEDULED, "Go")
    with pytest.raises(StaleVersionError):
        svc.transition_series(store, owner, sid, SeriesStatus.SCHEDULED, "Go", expected_version=7)
    assert table_counts(store) == before
    with store.read() as session:
        assert session.scalars(select(SeriesStateTransition)).all() == []


def test_activation_needs_a_gate(store: Store, owner: Actor, festival: Festival) -> None:
    bare = svc.create_series(
        store, owner, "Summer Fest", "Soundcheck", festival.start, festival.start + timedelta(hours=1), 5
    ).series
    svc.transition_series(store, owner, str(bare.id), SeriesStatus.SCHEDULED, "Planned")
    before = table_counts(store)
    with pytest.raises(ValidationError, match="at least one gate"):
        svc.transition_series(store, owner, str(bare.id), SeriesStatus.ACTIVE, "Go")
    assert table_counts(store) == before
    svc.assign_gates(store, owner, str(bare.id), ["Main"])
    assert svc.transition_series(store, owner, str(bare.id), SeriesStatus.ACTIVE, "Go").series.status \
        is SeriesStatus.ACTIVE


def test_assign_and_remove_gates(store: Store, owner: Actor, festival: Festival) -> None:
    sid = str(festival.day.id)
    change = svc.assign_gates(store, owner, sid, ["Main"], remove=True)
    assert change.series.version == 2
    assert svc.series_detail(store, owner, sid).gates == ["Exit", "VIP Lane"]
    svc.assign_gates(store, owner, sid, ["main", "Main"])
    assert svc.series_detail(store, owner, sid).gates == ["Exit", "Main", "VIP Lane"]


def test_category_limits_reject_over_capacity_and_warn_on_sum(
    store: Store, owner: Actor, festival: Festival
) -> None:
    sid = str(festival.day.id)
    before = table_counts(store)
    with pytest.raises(ValidationError, match="larger than the series capacity"):
        svc.set_category_limit(store, owner, sid, "VIP", 1001)
    with pytest.raises(NotFoundError, match="No category Backstage"):
        svc.set_category_limit(store, owner, sid, "Backstage", 10)
    assert table_counts(store) == before
    assert svc.set_category_limit(store, owner, sid, "GA", 900).warnings == []
    warned = svc.set_category_limit(store, owner, sid, "VIP", 200)
    assert any("add up to 1,100" in w for w in warned.warnings)
    limits = {lim.category: lim.limit for lim in svc.series_detail(store, owner, sid).limits}
    assert limits == {"GA": 900, "VIP": 200, "Staff": None}
    svc.set_category_limit(store, owner, sid, "GA", None)
    limits = {lim.category: lim.limit for lim in svc.series_detail(store, owner, sid).limits}
    assert limits["GA"] is None
    # lowering capacity under an existing limit is refused
    with pytest.raises(ValidationError, match="larger than the series capacity"):
        svc.update_series(store, owner, sid, svc.series_detail(store, owner, sid).series.version,
                          {"capacity": 100})


def test_list_series_filters(store: Store, owner: Actor, festival: Festival) -> None:
    sid = str(festival.day.id)
    svc.transition_series(store, owner, sid, SeriesStatus.SCHEDULED, "ok")
    svc.transition_series(store, owner, sid, SeriesStatus.ACTIVE, "ok")
    during = festival.start + timedelta(hours=1)
    assert [s.name for s in svc.list_series(store, owner, active_at=during)] == ["Day 1"]
    assert svc.list_series(store, owner, active_at=festival.start - timedelta(hours=1)) == []
    assert [s.name for s in svc.list_series(store, owner, "Summer Fest", SeriesStatus.ACTIVE)] == ["Day 1"]
    assert svc.list_series(store, owner, status=SeriesStatus.DRAFT) == []


@pytest.mark.parametrize("name", ["Ørsted Hall", "東京 Day", "Łódź", "ZOË"])
def test_identical_non_ascii_names_are_duplicates(store: Store, owner: Actor, festival: Festival,
                                                  name: str) -> None:
    # SQLite's lower() folds only ASCII; an identical name must still be caught
    # by the service, not by the unique constraint as a crash.
    events.create_event(store, owner, name, "UTC")
    events.add_gate(store, owner, name, name, GateKind.ENTRY)
    before = table_counts(store)
    with pytest.raises(DuplicateError):
        events.create_event(store, owner, name, "UTC")
    with pytest.raises(DuplicateError):
        events.add_gate(store, owner, name, name, GateKind.EXIT)
    svc.create_series(store, owner, name, name, festival.start, festival.start + timedelta(hours=1), 5)
    with pytest.raises(DuplicateError):
        svc.create_series(store, owner, name, name, festival.start, festival.start + timedelta(hours=1), 5)
    assert table_counts(store) == {**before, "event_series": before["event_series"] + 1,
                                   "outbox": before["outbox"] + 1}
