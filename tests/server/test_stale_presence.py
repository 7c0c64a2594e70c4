"""A tap that read its band's presence while another tap of that band held it decides again.

On PostgreSQL a tap reads the series, the gate and the band's facts in the
statement that locks the band (``checkins._TAP_READ_LOCKING_BAND``), so when
that lock was held by a concurrent tap of the same band, the presence read
is the one from before that tap. The presence is then written only if it is
still as read; otherwise the tap is decided again after the lock. Here the
first tap is held open in this process until the server's tap is seen
waiting for the band's lock, so the stale read happens every time, not by
luck. SQLite's one writer never reads stale facts.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import URL, create_engine, select, text

from boxoffice.domain.enums import Direction, Role
from boxoffice.services import checkins, occupancy
from boxoffice.store.models import Checkin, EventSeries, Gate, SeriesPresence
from boxoffice.store.types import utcnow
from tests.helpers.seeding import Live
from tests.helpers.sync import seeded_server

WAIT_S = 60.0


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_live(request: pytest.FixtureRequest) -> Iterator[Live]:
    with seeded_server(request.getfixturevalue("pg_database")) as live:
        yield live


def _wait_for_a_lock_wait(url: str | URL) -> None:
    """Until a session of this database waits on a lock (the server's tap, on the band's row)."""
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + WAIT_S
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")).scalar_one()
                conn.rollback()
                if waiting:
                    return
                time.sleep(0.01)
        raise AssertionError(f"no tap waited on the band's lock within {WAIT_S:.0f} s")
    finally:
        engine.dispose()


@pytest.mark.parametrize("scenario", ["first entry", "exit"])
def test_a_tap_that_read_the_presence_before_a_concurrent_tap_moved_it_decides_again(
    pg_live: Live, scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = pg_live
    uid = live.bands[0]
    series_id, main, exit_ = (uuid.UUID(live.ids[k]) for k in ("series", "gate:Main", "gate:Exit"))
    gate_id, direction = (main, Direction.IN) if scenario == "first entry" else (exit_, Direction.OUT)
    with live.client(Role.GATE) as client:
        # Someone else inside: a tap that moved the counters on a stale presence would then
        # leave a wrong count rather than fail on the counters' floor of 0.
        other = client.post("/api/verify", json={
            "series_id": str(series_id), "gate_id": str(main), "uid": live.bands[5], "direction": "in",
            "scan_id": "other-tap"})
        assert other.status_code == 200 and other.json()["reason"] == "ok"
        if scenario == "exit":
            first = client.post("/api/verify", json={
                "series_id": str(series_id), "gate_id": str(main), "uid": uid, "direction": "in",
                "scan_id": "entry-tap"})
            assert first.status_code == 200 and first.json()["reason"] == "ok"

        attempts: list[bool] = []  # each attempt of the server's tap: whether it read after the lock
        real = checkins._record_tap

        def watched(*args: Any, **kwargs: Any) -> Any:
            attempts.append(kwargs["fresh"])
            return real(*args, **kwargs)

        monkeypatch.setattr(checkins, "_record_tap", watched)
        with ThreadPoolExecutor(1) as pool:
            with live.store.write() as session:
                # The first tap: decided and written, its band's row locked until this block ends.
                held, _ = checkins.decide_and_record(
                    session, session.get_one(EventSeries, series_id), session.get_one(Gate, gate_id),
                    uid, direction, client_scan_id="held-tap", device_id="held", now=utcnow())
                assert held.result.value == "allowed"
                answer = pool.submit(lambda: client.post("/api/verify", json={
                    "series_id": str(series_id), "gate_id": str(gate_id), "uid": uid,
                    "direction": direction.value, "scan_id": "second-tap"}))
                _wait_for_a_lock_wait(live.store.url)
            response: httpx.Response = answer.result(timeout=WAIT_S)

    assert response.status_code == 200, response.text
    # Decided on the presence the first tap left, not on the one it read while waiting.
    assert response.json()["reason"] == ("already_inside" if scenario == "first entry" else "not_inside")
    assert response.json()["result"] == "denied"
    assert attempts == [False, True]  # read with the lock, found the presence moved, read again
    with live.store.read() as session:
        assert occupancy.mismatches(session) == []
        assert occupancy.inside(session, series_id) == (2 if scenario == "first entry" else 1)
        band_id = session.scalar(select(Checkin.wristband_id).where(Checkin.client_scan_id == "held-tap"))
        presence = session.get_one(SeriesPresence, (series_id, band_id))
        assert presence.inside is (scenario == "first entry")
        # One check-in per tap: the undone attempt left nothing behind.
        scan_ids = session.scalars(select(Checkin.client_scan_id).where(Checkin.uid == uid)).all()
        assert sorted(scan_ids) == (["held-tap", "second-tap"] if scenario == "first entry"
                                    else ["entry-tap", "held-tap", "second-tap"])


def test_a_tap_with_nobody_else_at_its_band_is_decided_once(
    pg_live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The condition on the presence as read holds when nothing moved it: no tap pays the retry."""
    live = pg_live
    attempts: list[bool] = []
    real = checkins._record_tap

    def watched(*args: Any, **kwargs: Any) -> Any:
        attempts.append(kwargs["fresh"])
        return real(*args, **kwargs)

    monkeypatch.setattr(checkins, "_record_tap", watched)
    uid, series = live.bands[1], live.ids["series"]
    with live.client(Role.GATE) as client:
        for gate, direction, reason in (("gate:Main", "in", "ok"), ("gate:Exit", "out", "exit_ok"),
                                        ("gate:Exit", "out", "not_inside")):
            answer = client.post("/api/verify", json={
                "series_id": series, "gate_id": live.ids[gate], "uid": uid, "direction": direction,
                "scan_id": f"alone-{len(attempts)}"})
            assert answer.status_code == 200 and answer.json()["reason"] == reason, answer.text
    # The entry inserted the presence, the exit updated it (as read), the second exit wrote nothing.
    assert attempts == [False, False, False]
    with live.store.read() as session:
        assert occupancy.mismatches(session) == []
