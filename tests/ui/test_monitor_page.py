"""The Gates page over a station syncing with a real server: taps posted to /api/verify show up.

A real central server (uvicorn, SQLite) on loopback, a logged-in station on
its own SQLite file, the window's sync worker long-polling it; the test posts
verify taps like a gate scanner and waits for the charts' data arrays and the
alert list to change.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox
from pytestqt.qtbot import QtBot

from boxoffice.domain.enums import Role
from boxoffice.monitor.alerts import AlertKind, Thresholds
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store
from boxoffice.sync import client as sync_client
from tests.helpers.clock import earlier_today
from tests.helpers.seeding import PASSWORD, Live
from tests.helpers.sync import seeded_server
from tests.helpers.windows import WindowFactory, wait_idle
from ui import settings as S
from ui.pages.monitor_page import MonitorPage, thresholds
from ui.sync_worker import SyncWorker


@pytest.fixture
def live_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    with seeded_server(tmp_path / "server.sqlite3") as state:
        yield state


@pytest.fixture
def station(tmp_path: Path, live_server: Live) -> Iterator[Store]:
    st = open_store(tmp_path / "station.sqlite3")
    sync_client.login(st, live_server.url, "owner@example.org", PASSWORD, station="Gate desk")
    yield st
    st.dispose()


def verify(live: Live, gate: str, uid: str, *, at: datetime | None = None) -> str:
    body = {"series_id": live.ids["series"], "gate_id": live.ids[f"gate:{gate}"], "uid": uid,
            "scan_id": uuid.uuid4().hex, "direction": "in", "device_id": f"{gate} pole"}
    if at is not None:
        body["occurred_at"] = at.isoformat()
    with live.client(Role.GATE) as http:
        response = http.post("/api/verify", json=body)
        response.raise_for_status()
        return str(response.json()["result"])


def totals(page: MonitorPage, gate_id: str) -> tuple[int, int]:
    allowed, denied = page.charts.data_of(uuid.UUID(gate_id))
    return int(allowed.sum()), int(denied.sum())


@pytest.mark.slow  # about 11 s: seeding the server (a password hash per role) is most of it
def test_taps_through_the_server_reach_the_charts_and_the_alerts(
    qtbot: QtBot, make_window: WindowFactory, live_server: Live, station: Store
) -> None:
    qs = S.qsettings()
    S.DENIAL_MIN_SCANS.write(qs, 6)
    S.DENIAL_RATE.write(qs, 30.0)
    window = make_window(resolve_actor(station, "owner@example.org"), over=station)
    worker = SyncWorker(station, window.ctx.ops, wait=1.0)
    assert worker.start()
    try:
        window.show_page("Gates")
        page = window.page_named("Gates")
        assert isinstance(page, MonitorPage)
        qtbot.waitUntil(lambda: page.board is not None and page.redraws > 0, timeout=10_000)
        main, exit_ = live_server.ids["gate:Main"], live_server.ids["gate:Exit"]
        assert totals(page, main) == (0, 0)
        low, high = page.charts.x_range()
        assert 60 * 60 <= high - low <= 62 * 60, "the last hour by default"
        qtbot.mouseClick(page.whole_day, Qt.MouseButton.LeftButton)
        low, high = page.charts.x_range()
        assert high - low >= 23 * 3600
        qtbot.mouseClick(page.last_hour, Qt.MouseButton.LeftButton)
        assert page.charts.x_range()[1] - page.charts.x_range()[0] <= 62 * 60
        # Check-in opened two hours ago and nobody came: both gates are idle.
        assert {(AlertKind.IDLE.value, "Main"), (AlertKind.IDLE.value, "Exit")} <= set(page.state()["alerts"])

        for uid in live_server.bands[:5]:
            assert verify(live_server, "Main", uid) == "allowed"
        qtbot.waitUntil(lambda: totals(page, main) == (5, 0), timeout=15_000)
        qtbot.waitUntil(lambda: (AlertKind.IDLE.value, "Main") not in page.state()["alerts"], timeout=5_000)
        assert (AlertKind.IDLE.value, "Exit") in page.state()["alerts"]
        assert page.table.status_of(uuid.UUID(main)) == "OK"
        assert page.table.status_of(uuid.UUID(exit_)).startswith("Warning: idle")

        # A burst of unknown bands: 5 of 10 denied in the last five minutes, over 30 %.
        for i in range(5):
            assert verify(live_server, "Main", f"05DEAD{i:08X}") == "denied"
        qtbot.waitUntil(lambda: totals(page, main) == (5, 5), timeout=15_000)
        qtbot.waitUntil(lambda: (AlertKind.DENIALS.value, "Main") in page.state()["alerts"], timeout=5_000)
        assert page.table.status_of(uuid.UUID(main)).startswith("ALERT: denials")
        assert any(page.alert_list.item(i).text().startswith("ALERT: Main denies")
                   for i in range(page.alert_list.count()))

        # An offline scanner uploads a scan from 30 minutes ago (today's): it lands in its own past minute.
        late = earlier_today(30, "Europe/Amsterdam")
        assert verify(live_server, "Main", live_server.bands[6], at=late) == "allowed"
        board = page.board
        assert board is not None
        minute = board.minute_of(late)
        assert minute is not None
        qtbot.waitUntil(lambda: page.charts.data_of(uuid.UUID(main))[0][minute] == 1, timeout=15_000)
        assert totals(page, main) == (6, 5)
    finally:
        worker.stop()
        window.close()  # hiding the page stops its timers; then the last poll can land
        wait_idle(qtbot, window.ctx.ops)


def test_alert_thresholds_are_set_in_the_settings_dialog_and_used(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor
) -> None:
    window = make_window(owner)
    window.show_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    idle, rate = dialog.editors[S.GATE_IDLE.key], dialog.editors[S.DENIAL_RATE.key]
    assert isinstance(idle, QSpinBox) and isinstance(rate, QDoubleSpinBox)
    assert rate.maximum() == 100.0
    idle.setValue(3)
    rate.setValue(55.5)
    dialog._save()
    limits = thresholds()
    assert (limits.idle_minutes, limits.denial_rate_pct) == (3, 55.5)
    # A value out of range (edited by hand in the file) falls back to the defaults, not to a crash.
    S.qsettings().setValue(S.OCCUPANCY.key, 150.0)
    assert thresholds() == Thresholds()


def test_a_role_without_figures_is_told_whom_to_ask(
    qtbot: QtBot, make_window: WindowFactory, actors: dict[Role, Actor]
) -> None:
    window = make_window(actors[Role.GATE])
    window.show_page("Gates")
    page = window.page_named("Gates")
    assert isinstance(page, MonitorPage)
    assert "may not view figures and metrics" in page.message.text()
    assert page.board is None
