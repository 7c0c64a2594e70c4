"""A viewer's Gates page reads its figures from the server, and says so when the server is gone.

A viewer's station holds no check-ins, so its page asks a real central
server (uvicorn on loopback, SQLite) for the day's aggregates through the
station's saved login. The test taps like a gate, waits for the charts to
show the taps, then stops the server and waits for the sentence that names
the time of the figures still shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtWidgets import QProgressBar
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from boxoffice.domain.enums import Role
from boxoffice.monitor.summary import reads_from_server
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import Checkin
from boxoffice.store.opening import open_store
from boxoffice.sync import client as sync_client
from tests.helpers.seeding import PASSWORD, Live, seed
from tests.helpers.windows import WindowFactory, wait_idle
from tests.ui.test_monitor_page import totals, verify
from ui.pages.monitor_page import MonitorPage
from ui.widgets.gate_table import COLUMNS

VIEWER = "viewer@example.org"


@dataclass
class Running:
    live: Live
    server: EmbeddedServer


@pytest.fixture
def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    store = open_store(tmp_path / "server.sqlite3")
    state = seed(store)
    server = EmbeddedServer(store)
    state.url = server.start()
    try:
        yield Running(state, server)
    finally:
        server.stop()
        store.dispose()


@pytest.fixture
def viewer_station(tmp_path: Path, running: Running) -> Iterator[Store]:
    st = open_store(tmp_path / "station.sqlite3")
    sync_client.login(st, running.live.url, VIEWER, PASSWORD, station="Sponsor lounge")
    yield st
    st.dispose()


def _shows(page: MonitorPage, gate_id: str, figures: tuple[int, int]) -> bool:
    """The gate's chart holds these totals (False while the charts are still being built)."""
    return page.board is not None and uuid.UUID(gate_id) in page.charts.curves and totals(page, gate_id) == figures


def _open_gates(qtbot: QtBot, make_window: WindowFactory, station: Store) -> MonitorPage:
    window = make_window(resolve_actor(station, VIEWER), over=station)
    window.show_page("Gates")
    page = window.page_named("Gates")
    assert isinstance(page, MonitorPage)
    return page


@pytest.mark.slow
def test_a_viewer_station_shows_the_servers_figures(
    qtbot: QtBot, make_window: WindowFactory, running: Running, viewer_station: Store
) -> None:
    live = running.live
    assert reads_from_server(Role.VIEWER) and not reads_from_server(Role.OWNER)
    for uid in live.bands[:3]:
        assert verify(live, "Main", uid) == "allowed"
    for i in range(2):
        assert verify(live, "Main", f"05DEAD{i:08X}") == "denied"
    with viewer_station.read() as session:  # the station itself holds none of them
        assert session.scalar(select(func.count()).select_from(Checkin)) == 0

    page = _open_gates(qtbot, make_window, viewer_station)
    main = live.ids["gate:Main"]
    qtbot.waitUntil(lambda: _shows(page, main, (3, 2)), timeout=15_000)
    assert page.poll_timer.interval() >= 3_000, "the whole day per answer: every few seconds, not every second"
    qtbot.waitUntil(lambda: "figures from the server at" in page.message.text(), timeout=5_000)
    assert page.table.status_of(uuid.UUID(main))
    assert page.table.isColumnHidden(COLUMNS.index("Devices (last contact)")), "the server sends a viewer no devices"
    qtbot.waitUntil(lambda: [(s.name, s.inside) for s in page.occupancy.shown] == [("Today", 3)], timeout=5_000)
    bars = page.occupancy.findChildren(QProgressBar)
    assert bars and bars[0].text().startswith("3 of 10,000")

    # A new tap reaches the page with the next answer.
    assert verify(live, "Main", live.bands[3]) == "allowed"
    page.poll()
    qtbot.waitUntil(lambda: _shows(page, main, (4, 2)), timeout=15_000)
    page.window().close()
    wait_idle(qtbot, page.ctx.ops)


@pytest.mark.slow
def test_when_the_server_is_gone_the_page_says_since_when(
    qtbot: QtBot, make_window: WindowFactory, running: Running, viewer_station: Store
) -> None:
    live = running.live
    for uid in live.bands[:2]:
        assert verify(live, "Main", uid) == "allowed"
    page = _open_gates(qtbot, make_window, viewer_station)
    main = live.ids["gate:Main"]
    qtbot.waitUntil(lambda: _shows(page, main, (2, 0)), timeout=15_000)
    figures_at = page._figures_at
    assert figures_at is not None

    running.server.stop()
    page.poll()
    qtbot.waitUntil(lambda: "cannot be reached" in page.message.text(), timeout=15_000)
    text = page.message.text()
    local = figures_at.astimezone(page.board.tz) if page.board else figures_at
    assert text == (f"The server at {live.url} cannot be reached; the figures shown are from "
                    f"{local:%H:%M:%S} (Europe/Amsterdam time).")
    assert totals(page, main) == (2, 0), "the last figures stay on the charts"
    # The redraws keep the sentence (they would otherwise write the usual status line over it).
    redraws = page.redraws
    qtbot.waitUntil(lambda: page.redraws > redraws, timeout=5_000)
    assert page.message.text() == text
    page.window().close()
    wait_idle(qtbot, page.ctx.ops)
