"""The encoding station through the window: 20 bands on the simulated reader, with nfcpy's tag code."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from boxoffice.domain.enums import BandStatus, Role
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import SeriesWristbandAssignment, Ticket, Wristband
from hardware.readers.sim import SimulatedField, SimulatedMifareClassic, blank_bands
from hardware.readers.sim.device import simulated_reader
from tests.helpers.windows import TZ, Festival
from ui.app import build_window
from ui.main_window import MainWindow
from ui.pages.encode_page import EncodePage
from ui.stall_meter import StallMeter


def station_window(qtbot: QtBot, store: Store, actor: Actor, field: SimulatedField) -> MainWindow:
    window, _ctx = build_window(store, actor, station="Desk 1",
                               reader_factory=lambda: simulated_reader(field))
    qtbot.addWidget(window)
    window.show()
    return window


def encode_page(qtbot: QtBot, window: MainWindow) -> EncodePage:
    page = window.page_named("Encode")
    assert isinstance(page, EncodePage)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page("Encode")
    qtbot.waitUntil(lambda: page.category.count() > 0 and page.series.count() > 0, timeout=10_000)
    return page


@pytest.mark.slow
@pytest.mark.usefixtures("settled_heap")
def test_encode_20_bands_through_the_window(qtbot: QtBot, store: Store, owner: Actor, festival: Festival,
                                            tmp_path: Path) -> None:
    field = SimulatedField(blank_bands(25, seed=7))
    window = station_window(qtbot, store, owner, field)
    page = encode_page(qtbot, window)
    page.choose("VIP", ["Friday"], 20)
    meter = StallMeter()
    meter.start()
    with qtbot.waitSignal(page.batch_finished, timeout=120_000) as finished:
        qtbot.mouseClick(page.start, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(page.pause.isEnabled, timeout=10_000)
        assert not page.start.isEnabled() and not page.category.isEnabled()
    meter.stop()
    result = finished.args[0]
    assert result is not None and result.status == "completed"
    assert (page.done_label.text(), page.failed_label.text(), page.dup_label.text()) == ("20", "0", "0")
    assert page.progress.value() == 20 and page.log.rowCount() == 20
    assert page.prompt.text() == "Batch done"
    assert page.log.item(0, 2).text() == "Encoded"
    # The log's times are the event's wall clock, and its header says so.
    zone = ZoneInfo(TZ)
    header = page.log.horizontalHeaderItem(0)
    assert header.text() == f"Time ({datetime.now(zone).tzname()})" and header.toolTip().endswith(TZ)
    logged = datetime.strptime(page.log.item(0, 0).text(), "%H:%M:%S").time()
    now = datetime.now(zone)
    apart = (datetime.combine(now.date(), logged, zone) - now).total_seconds()
    assert abs((apart + 43_200) % 86_400 - 43_200) < 120  # minutes apart, across midnight too
    assert page.tones.played == ["ok"] * 20
    # The database holds 20 active VIP bands, each assigned to Friday.
    with store.read() as session:
        active = session.scalar(select(func.count()).select_from(Wristband)
                                .where(Wristband.status == BandStatus.ACTIVE))
        assigned = session.scalar(select(func.count()).select_from(SeriesWristbandAssignment))
    assert (active, assigned) == (20, 20)
    assert svc.series_detail(store, owner, festival.series_id).assigned_bands == 20
    # The manifest names every band.
    out = tmp_path / "batch.csv"
    page.write_manifest(out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert sum(1 for line in lines if "VIP #" in line) == 20
    print(f"\nGUI thread during a 20-band batch: worst stall {meter.worst_ms:.1f} ms, "
          f"p99 {meter.percentile_ms(0.99):.1f} ms over {len(meter.gaps)} ticks")
    # Not a timing test: a batch run on the GUI thread would freeze it for seconds.
    assert meter.worst_ms < 1_000, meter.report()


def test_a_duplicate_a_foreign_tag_and_a_ticket_link(qtbot: QtBot, store: Store, owner: Actor,
                                                     festival: Festival) -> None:
    bands = blank_bands(3, seed=11)
    field = SimulatedField([bands[0], SimulatedMifareClassic(b"\x01\x02\x03\x04"), bands[1], bands[2]])
    with store.write() as session:
        session.add(Ticket(id=uuid.uuid4(), event_id=uuid.UUID(festival.event_id), code="T-1001",
                           category_id=uuid.UUID(festival.categories["GA"])))
    window = station_window(qtbot, store, owner, field)
    page = encode_page(qtbot, window)
    page.choose("GA", ["Friday"], None)
    qtbot.mouseClick(page.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.session is not None and page.session.encode_job is not None, timeout=10_000)
    qtbot.keyClicks(page.ticket, "T-1001")
    qtbot.keyClick(page.ticket, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "linked to" in page.ticket_note.text() or page.failed_label.text() != "0",
                    timeout=60_000)
    qtbot.waitUntil(lambda: page.log.rowCount() >= 4, timeout=60_000)
    with qtbot.waitSignal(page.batch_finished, timeout=30_000):
        qtbot.mouseClick(page.cancel, Qt.MouseButton.LeftButton)
    assert page.prompt.text() == "Batch stopped"
    results = [page.log.item(r, 2).text() for r in range(page.log.rowCount())]
    assert results.count("Encoded") == 3 and "Not a wristband" in results
    assert page.failed_label.text() == "1"
    with store.read() as session:
        linked = session.scalar(select(func.count()).select_from(Wristband)
                                .where(Wristband.ticket_id.is_not(None)))
    assert linked == 1


def test_a_member_who_may_not_encode_cannot_start(qtbot: QtBot, store: Store, actors: dict[Role, Actor],
                                                  festival: Festival) -> None:
    window = station_window(qtbot, store, actors[Role.VIEWER], SimulatedField(blank_bands(1)))
    page = encode_page(qtbot, window)
    assert not page.start.isEnabled()
    assert page.start.toolTip().startswith("Your role (viewer) may not encode wristbands")


@pytest.mark.slow
@pytest.mark.usefixtures("settled_heap")
def test_a_200_band_batch_leaves_the_window_responsive(qtbot: QtBot, store: Store, owner: Actor,
                                                       festival: Festival) -> None:
    """Reports the worst GUI stall; fails only when the batch clearly ran on the GUI thread."""
    window = station_window(qtbot, store, owner, SimulatedField(blank_bands(210, seed=5)))
    page = encode_page(qtbot, window)
    page.choose("GA", ["Friday"], 200)
    meter = StallMeter()
    meter.start()
    with qtbot.waitSignal(page.batch_finished, timeout=600_000) as finished:
        qtbot.mouseClick(page.start, Qt.MouseButton.LeftButton)
    meter.stop()
    assert finished.args[0] is not None and finished.args[0].progress.done == 200
    assert page.log.rowCount() == 200
    print(f"\nGUI thread during a 200-band batch: worst stall {meter.worst_ms:.1f} ms, "
          f"p99 {meter.percentile_ms(0.99):.1f} ms, {meter.over(50)} over 50 ms in {len(meter.gaps):,} ticks")
    assert meter.worst_ms < 1_000, meter.report()


@pytest.mark.slow
def test_a_udp_reader_that_stops_answering_is_said_on_the_page(qtbot: QtBot, store: Store, owner: Actor,
                                                               festival: Festival) -> None:
    """A strict peer of nfcpy's udp protocol falls silent in the middle of the second band."""
    from hardware.readers.nfcpy_reader import NfcpyReader
    from hardware.readers.sim.ntag import WRITE
    from tests.hardware.strict_udp_peer import StrictUdpPeer

    field = SimulatedField(blank_bands(5, seed=43), auto_feed=True)
    with StrictUdpPeer(field) as peer:
        peer.go_silent_when = lambda frame: bool(field.finished) and frame[:1] == bytes([WRITE])
        window, _ctx = build_window(store, owner, station="Desk 1", reader_factory=lambda: NfcpyReader(peer.path))
        qtbot.addWidget(window)
        window.show()
        page = encode_page(qtbot, window)
        page.choose("VIP", ["Friday"], 3)
        qtbot.mouseClick(page.start, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: peer.silent, timeout=60_000)
        qtbot.waitUntil(lambda: "stopped answering" in page.detail.text(), timeout=8_000)
        assert page.prompt.text() == "The reader is not answering — check it"
        assert page.detail.text().startswith(f"The reader {peer.path} stopped answering")
        assert "not answering" in window.status.reader_label.text()
        with qtbot.waitSignal(page.batch_finished, timeout=30_000):
            qtbot.mouseClick(page.cancel, Qt.MouseButton.LeftButton)
        assert peer.violations == []
    results = [page.log.item(r, 2).text() for r in range(page.log.rowCount())]
    assert results[-1] == "Encoded" and results.count("Encoded") == 1


def test_every_choice_has_a_label_without_a_stray_ampersand(qtbot: QtBot, store: Store, owner: Actor,
                                                            festival: Festival) -> None:
    from PySide6.QtWidgets import QFormLayout, QLabel

    window = station_window(qtbot, store, owner, SimulatedField(blank_bands(1)))
    page = encode_page(qtbot, window)
    form = page.findChild(QFormLayout)
    assert form is not None
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
        assert isinstance(label, QLabel)
        if "&" in label.text():  # a mnemonic works (and is hidden) only on a label with a buddy
            assert label.buddy() is not None, f"{label.text()!r} shows its ampersand"
    how_many = next(form.itemAt(r, QFormLayout.ItemRole.LabelRole).widget() for r in range(form.rowCount())
                    if "many" in form.itemAt(r, QFormLayout.ItemRole.LabelRole).widget().text())
    assert how_many.buddy() is page.count


def test_a_logged_in_station_shows_the_numbers_it_holds_for_offline(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from boxoffice.programs.server.embedded import EmbeddedServer
    from boxoffice.services.actor import resolve_actor
    from boxoffice.store.opening import open_store
    from boxoffice.sync import client as sync_client
    from tests.helpers.seeding import PASSWORD, seed

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("BOXOFFICE_CREDENTIALS_FILE", str(tmp_path / "credentials.json"))
    central_store = open_store(tmp_path / "server.sqlite3")
    seed(central_store)
    central = EmbeddedServer(central_store)
    url = central.start()
    station = open_store(tmp_path / "station.sqlite3")
    try:
        sync_client.login(station, url, "owner@example.org", PASSWORD, station="Desk 1")
        field = SimulatedField(blank_bands(5, seed=11))
        window = station_window(qtbot, station, resolve_actor(station, "owner@example.org"), field)
        page = encode_page(qtbot, window)
        page.choose("GA", ["Today"], 3)
        qtbot.waitUntil(lambda: page.numbers.text() == "200 left for offline (#0001–#0200)", timeout=10_000)
        assert page._choices_form.isRowVisible(page._numbers_row)
        with qtbot.waitSignal(page.batch_finished, timeout=120_000):
            qtbot.mouseClick(page.start, Qt.MouseButton.LeftButton)
        assert sorted(page.log.item(i, 1).text() for i in range(3)) == ["GA #0001", "GA #0002", "GA #0003"]
        qtbot.waitUntil(lambda: page.numbers.text() == "197 left for offline (#0004–#0200)", timeout=10_000)
        page.choose("VIP", ["Today"], 1)
        qtbot.waitUntil(lambda: page.numbers.text() == "200 left for offline (#0001–#0200)", timeout=10_000)
        window.close()
    finally:
        station.dispose()
        central.stop()
        central_store.dispose()


def test_a_station_of_its_own_has_no_numbers_row(qtbot: QtBot, store: Store, owner: Actor,
                                                 festival: Festival) -> None:
    window = station_window(qtbot, store, owner, SimulatedField(blank_bands(1, seed=3)))
    page = encode_page(qtbot, window)
    page.choose("VIP", ["Friday"], 1)
    assert not page._choices_form.isRowVisible(page._numbers_row)


def test_a_batch_that_fails_with_a_bug_says_so_and_the_log_has_its_traceback(
        qtbot: QtBot, store: Store, owner: Actor, festival: Festival, caplog: pytest.LogCaptureFixture) -> None:
    def broken_reader() -> NoReturn:
        raise RuntimeError("a bug in the reader driver")

    window, _ctx = build_window(store, owner, station="Desk 1", reader_factory=broken_reader)
    qtbot.addWidget(window)
    window.show()
    page = encode_page(qtbot, window)
    page.choose("GA", ["Friday"], 5)
    with caplog.at_level("ERROR", logger="ui.ops"), qtbot.waitSignal(page.batch_finished, timeout=30_000) as done:
        qtbot.mouseClick(page.start, Qt.MouseButton.LeftButton)
    assert done.args[0] is None
    assert "the log has the details" in page.detail.text()
    logged = [r for r in caplog.records if r.name == "ui.ops" and r.levelname == "ERROR"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "a bug in the reader driver" in str(logged[0].exc_info[1])
    assert page.start.isEnabled()
