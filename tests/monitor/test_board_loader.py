"""The gate board read from a real SQLite file: first picture, then only the new rows."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from boxoffice.domain.enums import Reason, Role
from boxoffice.errors import MonitorSourceError, NotFoundError, PermissionDeniedError
from boxoffice.monitor.board import GateBoard, day_bounds
from boxoffice.monitor.loader import load_board, read_new
from boxoffice.services import organization
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Checkin
from boxoffice.store.opening import open_store
from tests.helpers.monitor import NOW, TZ, Fest, tap, taps
from tests.helpers.stores import table_counts


def catch_up(store: Store, actor: Actor, board: GateBoard, limit: int = 2_000) -> int:
    added = 0
    while True:
        new = read_new(store, actor, board.cursor, limit)
        added += sum(board.add_scan(s) for s in new.scans)
        board.cursor = new.cursor
        if not new.scans:
            return added


def random_taps(rng: random.Random, n: int, now: datetime) -> list[tuple[str, datetime, Reason | None, str]]:
    out = []
    for _ in range(n):
        at = now - timedelta(seconds=rng.uniform(0, 6 * 3600))
        reason = rng.choice([None, None, None, Reason.ALREADY_INSIDE, Reason.UNKNOWN_BAND])
        out.append((rng.choice(["North", "South", "West"]), at, reason, f"pole {rng.randint(1, 3)}"))
    return out


def test_incremental_updates_equal_a_full_recompute(store: Store, owner: Actor, fest: Fest) -> None:
    rng = random.Random(6)
    first = random_taps(rng, 300, NOW)
    taps(store, fest, first)
    board = load_board(store, owner, "Gate Fest", NOW)
    assert sum(line.total for line in board.gates.values()) == 300

    # Later: live taps, late offline scans from hours ago, and yesterday's scans (not on today's board).
    later = random_taps(rng, 200, NOW)
    yesterday = [("North", NOW - timedelta(days=1), None, "pole 9")] * 3
    taps(store, fest, later[:120])
    taps(store, fest, yesterday + later[120:])
    assert catch_up(store, owner, board, limit=37) == 200
    assert board.ignored == 3

    fresh = load_board(store, owner, "Gate Fest", NOW)
    assert board.snapshot() == fresh.snapshot()
    everything = first + later
    for name, gate_id in fest.gates.items():
        mine = [t for t in everything if t[0] == name]
        line = fresh.gates[gate_id]
        assert line.denied_total == sum(1 for t in mine if t[2] is not None)
        assert line.allowed_total == sum(1 for t in mine if t[2] is None)
        assert line.last_scan == max(t[1] for t in mine)
        assert set(line.devices) == {t[3] for t in mine}


def test_a_late_offline_scan_lands_in_its_past_minute(store: Store, owner: Actor, fest: Fest) -> None:
    tap(store, fest, "North", NOW - timedelta(minutes=1))
    board = load_board(store, owner, "Gate Fest", NOW)
    north = fest.gates["North"]
    past = NOW - timedelta(minutes=42, seconds=10)
    tap(store, fest, "North", past, denied=Reason.BAND_VOID, device="handheld 7")
    catch_up(store, owner, board)
    line = board.gates[north]
    minute = board.minute_of(past)
    assert minute is not None and line.denied[minute] == 1
    assert line.denied_total == 1 and line.allowed_total == 1
    assert line.reasons == {"band_void": 1}
    # The late scan is older than the last scan: the gate's last scan stays the newer one.
    assert line.last_scan == NOW - timedelta(minutes=1)
    assert line.devices["handheld 7"] == past


def test_today_is_the_event_time_zone_day(store: Store, owner: Actor, fest: Fest) -> None:
    # 00:30 in Amsterdam on 2 December is 23:30 UTC on 1 December.
    now = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    tap(store, fest, "West", datetime(2026, 12, 1, 22, 50, tzinfo=UTC))  # 23:50 local, 1 Dec: yesterday
    tap(store, fest, "West", datetime(2026, 12, 1, 23, 10, tzinfo=UTC))  # 00:10 local, 2 Dec: today
    board = load_board(store, owner, "Gate Fest", now)
    assert board.day == date(2026, 12, 2)
    line = board.gates[fest.gates["West"]]
    assert line.total == 1 and line.allowed[10] == 1
    start, end = day_bounds(date(2026, 3, 29), ZoneInfo(TZ))  # clocks go forward: 23 hours
    assert (end - start) == timedelta(hours=23)


def test_deleted_check_ins_leave_the_first_picture(store: Store, owner: Actor, fest: Fest) -> None:
    taps(store, fest, [("South", NOW - timedelta(minutes=3), None, "pole 1")] * 2)
    with store.write() as session:
        victim = session.query(Checkin).first()
        assert victim is not None
        session.execute(delete(Checkin).where(Checkin.id == victim.id))
    assert load_board(store, owner, "Gate Fest", NOW).gates[fest.gates["South"]].total == 1


def test_refusals_say_why_and_write_nothing(store: Store, owner: Actor, actors: dict[Role, Actor],
                                            fest: Fest) -> None:
    before = table_counts(store)
    with pytest.raises(PermissionDeniedError, match="may not view figures"):
        load_board(store, actors[Role.GATE], "Gate Fest", NOW)
    with pytest.raises(PermissionDeniedError):
        read_new(store, actors[Role.STATION], 0)
    with pytest.raises(NotFoundError, match="No event Nope"):
        load_board(store, owner, "Nope", NOW)
    assert table_counts(store) == before


@pytest.mark.postgres
@pytest.mark.slow
def test_the_monitor_refuses_postgresql_with_a_sentence(pg_database: str) -> None:
    pg = open_store(pg_database)
    try:
        organization.create_organization(pg, "Org", "owner@example.org")
        actor = resolve_actor(pg, "owner@example.org")
        with pytest.raises(MonitorSourceError, match="SQLite file"):
            load_board(pg, actor, "anything", NOW)
    finally:
        pg.dispose()
