"""Bulk band assignment: all or nothing, limits respected, repeats harmless."""

from __future__ import annotations

import pytest

from boxoffice.domain.enums import BandStatus, Role
from boxoffice.errors import LimitExceededError, PermissionDeniedError, ValidationError
from boxoffice.services import assignments
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers.seeding import Festival, add_bands
from tests.helpers.stores import table_counts


def assigned(store: Store, owner: Actor, sid: str) -> dict[str, int]:
    return {lim.category: lim.assigned for lim in svc.series_detail(store, owner, sid).limits}


def test_assign_by_category_takes_only_active_bands(store: Store, owner: Actor, festival: Festival) -> None:
    add_bands(store, festival.event.id, "GA", 30)
    add_bands(store, festival.event.id, "GA", 4, BandStatus.VOID, prefix="05")
    add_bands(store, festival.event.id, "VIP", 5)
    sid = str(festival.day.id)
    result = assignments.assign_bands(store, owner, sid, category_ref="GA")
    assert (result.assigned, result.already_assigned) == (30, 0)
    again = assignments.assign_bands(store, owner, sid, category_ref="ga")
    assert (again.assigned, again.already_assigned) == (0, 30)
    assert assigned(store, owner, sid) == {"GA": 30, "VIP": 0, "Staff": 0}


def test_assign_by_uid_accepts_reader_spellings(store: Store, owner: Actor, festival: Festival) -> None:
    uids = add_bands(store, festival.event.id, "VIP", 3)
    spelled = [":".join(u[i:i + 2] for i in range(0, len(u), 2)).lower() for u in uids]
    result = assignments.assign_bands(store, owner, str(festival.day.id), uids=[*spelled, spelled[0]])
    assert result.assigned == 3


def test_a_limit_stops_the_whole_batch(store: Store, owner: Actor, festival: Festival) -> None:
    add_bands(store, festival.event.id, "VIP", 12)
    sid = str(festival.day.id)
    svc.set_category_limit(store, owner, sid, "VIP", 10)
    before = table_counts(store)
    with pytest.raises(
        LimitExceededError, match="at most 10 VIP bands; 0 are assigned and this would add 12"
    ):
        assignments.assign_bands(store, owner, sid, category_ref="VIP")
    assert table_counts(store) == before


def test_bad_band_lists_write_nothing(store: Store, owner: Actor, festival: Festival,
                                     actors: dict[Role, Actor]) -> None:
    good = add_bands(store, festival.event.id, "GA", 3)
    void = add_bands(store, festival.event.id, "GA", 1, BandStatus.LOST, prefix="06")
    sid = str(festival.day.id)
    before = table_counts(store)
    with pytest.raises(ValidationError, match="has the UID 04FFFFFFFFFFFF"):
        assignments.assign_bands(store, owner, sid, uids=[*good, "04FFFFFFFFFFFF"])
    with pytest.raises(ValidationError, match=f"{void[0]} \\(lost\\)"):
        assignments.assign_bands(store, owner, sid, uids=[*good, *void])
    with pytest.raises(ValidationError, match="either by category or by a list"):
        assignments.assign_bands(store, owner, sid, category_ref="GA", uids=good)
    with pytest.raises(ValidationError, match="no active Staff wristbands"):
        assignments.assign_bands(store, owner, sid, category_ref="Staff")
    for role in (Role.MEMBER, Role.VIEWER, Role.GATE):
        with pytest.raises(PermissionDeniedError):
            assignments.assign_bands(store, actors[role], sid, uids=good)
    assert table_counts(store) == before
    assert assignments.assign_bands(store, actors[Role.MANAGER], sid, uids=good).assigned == 3


def test_remove_then_reassign_keeps_one_row(store: Store, owner: Actor, festival: Festival) -> None:
    uids = add_bands(store, festival.event.id, "GA", 5)
    sid = str(festival.day.id)
    assignments.assign_bands(store, owner, sid, uids=uids)
    removed = assignments.remove_bands(store, owner, sid, uids[:2])
    assert removed.removed == 2
    assert assigned(store, owner, sid)["GA"] == 3
    back = assignments.assign_bands(store, owner, sid, category_ref="GA")
    assert (back.assigned, back.already_assigned) == (2, 3)
    counts = table_counts(store)
    assert counts["series_wristband_assignments"] == 5


@pytest.mark.slow
def test_bulk_assignment_of_many_bands(store: Store, owner: Actor, festival: Festival) -> None:
    # more than one SQLite parameter chunk
    add_bands(store, festival.event.id, "GA", 12_000)
    result = assignments.assign_bands(store, owner, str(festival.day.id), category_ref="GA")
    assert result.assigned == 12_000
