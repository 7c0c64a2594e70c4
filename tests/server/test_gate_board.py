"""The gate board route over real HTTP, on SQLite and PostgreSQL: a viewer's figures equal a recount.

Check-ins are made the way gates make them (``/api/verify`` with a gate's
token), today and yesterday; the route's per-gate, per-minute and per-reason
figures are compared with a recount of the ``checkins`` table for the day
the answer names. SQLite answers from ``checkin_minutes`` (triggers),
PostgreSQL from a GROUP BY over the day's check-ins: the same recount checks
both.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from boxoffice.domain.enums import CheckinResult, Role
from boxoffice.domain.permissions import Action, may
from boxoffice.monitor.board import day_bounds
from boxoffice.schemas.board import GateBoardView
from boxoffice.services import auth, organization
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import Checkin
from tests.helpers.clock import earlier_today
from tests.helpers.seeding import PASSWORD, Live


def _tap(live: Live, gate: str, uid: str, at: datetime | None = None) -> str:
    body = {"series_id": live.ids["series"], "gate_id": live.ids[f"gate:{gate}"], "uid": uid,
            "scan_id": uuid.uuid4().hex, "direction": "in", "device_id": f"{gate} pole 7"}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    with live.client(Role.GATE) as gate_client:
        answer = gate_client.post("/api/verify", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["result"])


def _seed_taps(live: Live) -> None:
    now = datetime.now(UTC)
    for uid in live.bands[:4]:
        assert _tap(live, "Main", uid) == "allowed"
    assert _tap(live, "Main", live.bands[0]) == "denied"  # already inside
    for i in range(3):
        assert _tap(live, "Main", f"05BEEF{i:08X}") == "denied"  # unknown band
    assert _tap(live, "Exit", f"05CAFE{0:08X}") == "denied"
    late = earlier_today(20, "Europe/Amsterdam", now)  # a late upload, still today's
    assert _tap(live, "Main", live.bands[5], at=late) == "allowed"
    _tap(live, "Main", live.bands[6], at=now - timedelta(days=1, hours=1))  # yesterday: not on today's board


def _recount(live: Live, view: GateBoardView) -> dict[str, dict[str, object]]:
    """Per gate: {minute: (allowed, denied)} and denials by reason, straight from ``checkins``."""
    start, end = day_bounds(view.day, ZoneInfo(view.timezone))
    out: dict[str, dict[str, object]] = {}
    with live.store.read() as session:
        rows = session.execute(select(Checkin.gate_id, Checkin.occurred_at, Checkin.result, Checkin.reason)
                               .where(Checkin.event_id == uuid.UUID(live.ids["event"]))).all()
    for gate_id, at, result, reason in rows:
        if not start <= at < end:
            continue
        gate = out.setdefault(str(gate_id), {"minutes": Counter(), "reasons": Counter()})
        minute = int((at - start).total_seconds() // 60)
        gate["minutes"][(minute, result is CheckinResult.ALLOWED)] += 1  # type: ignore[index]
        if result is CheckinResult.DENIED:
            gate["reasons"][reason.value] += 1  # type: ignore[index]
    return out


@pytest.mark.slow
def test_a_viewer_gets_todays_figures_equal_to_a_recount(live: Live) -> None:
    _seed_taps(live)
    with live.client(Role.VIEWER) as viewer:
        answer = viewer.get(f"/api/events/{live.ids['event']}/gate-board")
    assert answer.status_code == 200, answer.text
    view = GateBoardView.model_validate_json(answer.content)
    assert view.timezone == "Europe/Amsterdam" and view.event_name == "Gate Fest"
    assert view.day == view.computed_at.astimezone(ZoneInfo("Europe/Amsterdam")).date()

    expected = _recount(live, view)
    gates = {str(g.gate_id): g for g in view.gates}
    assert set(gates) == {live.ids["gate:Main"], live.ids["gate:Exit"]}
    for gate_id, gate in gates.items():
        seen: Counter[tuple[int, bool]] = Counter()
        for minute, allowed, denied in gate.minutes:
            seen[(minute, True)] += allowed
            seen[(minute, False)] += denied
        want = expected.get(gate_id, {"minutes": Counter(), "reasons": Counter()})
        assert +seen == want["minutes"], gate.name
        assert gate.denials_by_reason == dict(want["reasons"]), gate.name  # type: ignore[call-overload]
    main = gates[live.ids["gate:Main"]]
    assert sum(a for _, a, _ in main.minutes) == 5 and sum(d for _, _, d in main.minutes) == 4
    assert main.denials_by_reason == {"already_inside": 1, "unknown_band": 3}
    assert main.last_scan is not None

    (today,) = view.series
    assert today.name == "Today" and today.inside == 5 and today.capacity == 10_000
    assert {str(g) for g in today.gate_ids} == {live.ids["gate:Main"], live.ids["gate:Exit"]}
    assert {(c.name, c.entered) for c in today.categories} == {("GA", 5)}
    # Figures only: no band, no UID, no device (the series metrics show a viewer none either).
    assert "pole" not in answer.text and not any(uid in answer.text for uid in live.bands)


def test_who_may_not_view_figures_gets_403(live: Live) -> None:
    path = f"/api/events/{live.ids['event']}/gate-board"
    for role in Role:
        with live.client(role) as client:
            answer = client.get(path)
        if may(role, Action.VIEW_METRICS):
            assert answer.status_code == 200, (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert f"Your role ({role.value}) may not view figures and metrics" in answer.json()["message"]


def test_another_organizations_event_is_not_found(live: Live) -> None:
    organization.create_organization(live.store, "Rival", "rival@example.org")
    rival = resolve_actor(live.store, "rival@example.org")
    auth.set_password(live.store, rival, "rival@example.org", PASSWORD)
    token = auth.login(live.store, "rival@example.org", PASSWORD)[0]
    with live.client(token=token) as other:
        assert other.get(f"/api/events/{live.ids['event']}/gate-board").status_code == 404
        assert other.get(f"/api/events/{uuid.uuid4()}/gate-board").status_code == 404


def _board(live: Live, role: Role = Role.VIEWER) -> GateBoardView:
    with live.client(role) as client:
        answer = client.get(f"/api/events/{live.ids['event']}/gate-board")
    assert answer.status_code == 200, answer.text
    return GateBoardView.model_validate(answer.json())


def _main_total(view: GateBoardView, live: Live) -> int:
    (main,) = [g for g in view.gates if str(g.gate_id) == live.ids["gate:Main"]]
    return sum(a + d for _, a, d in main.minutes)


def test_viewers_polling_within_the_bound_share_one_reading(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    from boxoffice import cache_bounds

    monkeypatch.setenv(cache_bounds.GATE_BOARDS.variable, "600")
    assert _tap(live, "Main", live.bands[0]) == "allowed"
    first = _board(live)
    assert _tap(live, "Main", live.bands[1]) == "allowed"
    again = _board(live, Role.OWNER)  # another caller, the same reading
    assert again.computed_at == first.computed_at and _main_total(again, live) == _main_total(first, live) == 1
    # Who asks is still checked on every request.
    with live.client(Role.GATE) as gate:
        assert gate.get(f"/api/events/{live.ids['event']}/gate-board").status_code == 403


def test_a_tap_reaches_the_board_once_the_bound_has_passed(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    from boxoffice import cache_bounds

    monkeypatch.setenv(cache_bounds.GATE_BOARDS.variable, "0.5")
    assert _tap(live, "Main", live.bands[0]) == "allowed"
    assert _main_total(_board(live), live) == 1
    assert _tap(live, "Main", live.bands[1]) == "allowed"
    deadline = time.monotonic() + 60
    while _main_total(view := _board(live), live) != 2:
        assert time.monotonic() < deadline, f"the board still shows {_main_total(view, live)} taps"
        time.sleep(0.1)
    monkeypatch.setenv(cache_bounds.GATE_BOARDS.variable, "0")  # off: every request reads the day
    assert _tap(live, "Main", live.bands[2]) == "allowed"
    assert _main_total(_board(live), live) == 3
