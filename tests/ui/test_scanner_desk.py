"""The Gates page's side of the phone scanners: a gate login as a QR code, and each phone's heartbeat."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytestqt.qtbot import QtBot

from boxoffice.domain.enums import Role
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store
from boxoffice.sync import client as sync_client
from tests.helpers.seeding import PASSWORD, Live, seed
from tests.helpers.windows import WindowFactory, wait_idle
from ui.dialogs.scanner_login import ScannerLoginDialog, qr_pixmap
from ui.pages.monitor_page import MonitorPage

OWNER = "owner@example.org"


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    store = open_store(tmp_path / "server.sqlite3")
    state = seed(store)
    server = EmbeddedServer(store)
    state.url = server.start()
    try:
        yield state
    finally:
        server.stop()
        store.dispose()


@pytest.fixture
def station(tmp_path: Path, live: Live) -> Iterator[Store]:
    st = open_store(tmp_path / "station.sqlite3")
    sync_client.login(st, live.url, OWNER, PASSWORD, station="Supervisor desk")
    yield st
    st.dispose()


def test_qr_pixmap_draws_a_code(qtbot: QtBot) -> None:
    pixmap = qr_pixmap("https://gates.example/scanner/#token=abc")
    assert not pixmap.isNull() and pixmap.width() == pixmap.height() >= 200


@pytest.mark.slow
def test_a_supervisor_makes_a_gate_login_and_sees_the_phones(
    qtbot: QtBot, make_window: WindowFactory, live: Live, station: Store
) -> None:
    window = make_window(resolve_actor(station, OWNER), over=station)
    window.show_page("Gates")
    page = window.page_named("Gates")
    assert isinstance(page, MonitorPage)

    dialog = ScannerLoginDialog(page.ctx, page)
    qtbot.addWidget(dialog)
    dialog.email.setText("gate@example.org")
    dialog.label.setText("Main lane 2")
    dialog.make.click()
    qtbot.waitUntil(lambda: "#token=" in dialog.link.text(), timeout=15_000)
    assert dialog.link.text().startswith(f"{live.url}/scanner/#token=")
    pixmap = dialog.qr.pixmap()
    assert pixmap is not None and not pixmap.isNull()
    token = dialog.link.text().split("#token=", 1)[1]
    with httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"}) as phone:
        assert phone.get("/api/scanner/series").status_code == 200  # the phone is logged in with it
        phone.post("/api/scanner/heartbeat", json={
            "device_id": "scanner-1a2b", "lane": "Main lane 2", "series_id": live.ids["series"],
            "gate_id": live.ids["gate:Main"], "direction": "in", "queued": 2, "lane_count": 7,
        }).raise_for_status()
    dialog.close()

    page.poll_scanners()
    qtbot.waitUntil(lambda: "Main lane 2" in page.scanners.text(), timeout=15_000)
    text = page.scanners.text()
    assert "(Main, in): online, 2 scans waiting, last contact" in text, text
    with live.client(Role.GATE) as gate:  # a gate device may not list the phones
        assert gate.get("/api/scanner/devices").status_code == 403
    assert uuid.UUID(live.ids["gate:Main"])
    page.window().close()
    wait_idle(qtbot, page.ctx.ops)
