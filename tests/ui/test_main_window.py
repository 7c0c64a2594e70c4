"""The shell: pages and shortcuts, state kept between runs, the status bar, refused sync changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from boxoffice.services import wristbands
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.sync import client as sync_client
from boxoffice.sync.refused import refused_changes
from tests.helpers.seeding import Live
from tests.helpers.sync import Station, sync
from tests.helpers.windows import Festival, WindowFactory, wait_idle
from ui import settings as S

# Logging in to the server keeps credentials in a file under tmp_path (this machine has no keyring).
pytestmark = pytest.mark.usefixtures("_no_keyring")


def test_pages_switch_by_shortcut_and_the_last_page_and_size_are_kept(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor
) -> None:
    window = make_window(owner)
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Series", "Encode", "Sales", "Lookup", "Gates", "Reports"]
    assert window.stack.currentWidget() is window.page_named("Series")
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.page_named("Gates")
    window.resize(window.width(), 502)
    size = (window.width(), window.height())
    window.close()
    assert S.qsettings().value(S.LAST_PAGE_KEY) == "Gates"

    again = make_window(owner)
    assert again.stack.currentWidget() is again.page_named("Gates")
    # The height is restored exactly; the width is clamped to the offscreen screen's 800 pixels.
    assert again.height() == size[1] and again.width() == min(size[0], again.screen().geometry().width() + 1)


#: The narrowest screen the window must fit (a small laptop; the offscreen platform's is 800 wide).
SMALL_SCREEN_WIDTH = 800


def test_every_page_with_its_data_fits_a_small_screen(qtbot: QtBot, make_window: WindowFactory, owner: Actor,
                                                      festival: Festival) -> None:
    """No page, once its data (and its longest status line) is in, makes the window wider than 800."""
    window = make_window(owner)
    for index in range(window.nav.count()):
        window.nav.setCurrentRow(index)
        wait_idle(qtbot, window.ctx.ops)
        qtbot.wait(50)  # one turn for the layouts to take in what arrived (not a wait for work)
        title = window.nav.item(index).text()
        assert window.minimumSizeHint().width() <= SMALL_SCREEN_WIDTH + 1, title


def test_the_status_bar_says_who_acts_and_that_work_stays_local(
    qtbot: QtBot, make_window: WindowFactory, owner: Actor
) -> None:
    window = make_window(owner)
    assert window.status.user_label.text() == "owner@example.org (owner) at Desk 1"
    qtbot.waitUntil(lambda: window.status.status is not None, timeout=10_000)
    # Creating the organization left outbox entries; with no server they wait here.
    assert window.status.sync_label.text().startswith("● Working on this computer only")
    assert not window.status.rejected_button.isVisible()


def test_the_settings_dialog_saves_each_declared_setting(qtbot: QtBot, make_window: WindowFactory,
                                                         owner: Actor) -> None:
    window = make_window(owner)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.settings_dialog is not None and window.settings_dialog.isVisible())
    dialog = window.settings_dialog
    assert dialog is not None
    dialog.editors[S.STATION_NAME.key].setText("Box office 2")  # type: ignore[attr-defined]
    dialog.editors[S.SOUNDS.key].setChecked(False)  # type: ignore[attr-defined]
    dialog._save()
    qs = S.qsettings()
    assert S.STATION_NAME.read(qs) == "Box office 2"
    assert S.SOUNDS.read(qs) is False
    assert S.READER.read(qs) == "sim"  # untouched settings keep their default
    assert QKeySequence("Ctrl+,").toString()


def test_a_change_the_server_refused_appears_and_can_be_marked_seen(
    qtbot: QtBot, make_window: WindowFactory, server: Live, station: Station
) -> None:
    a, b = station("Box office A"), station("Box office B")
    wristbands.register_band(a, resolve_actor(a, None), "Gate Fest", "VIP", "04C0FFEE001122",
                             station="Box office A")
    mine = wristbands.register_band(b, resolve_actor(b, None), "Gate Fest", "GA", "04C0FFEE001122",
                                    station="Box office B")
    assert mine.number is not None  # from B's own block of numbers: never one A prints too
    sync(a)
    assert sync(b).pushed.rejected == 1

    window = make_window(resolve_actor(b, None), over=b, station="Box office B")
    bar = window.status
    qtbot.waitUntil(bar.rejected_button.isVisible, timeout=10_000)
    assert bar.rejected_button.text() == "1 refused by the server…"
    assert "online" in bar.sync_label.text()
    qtbot.mouseClick(bar.rejected_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.rejected_dialog is not None
                    and window.rejected_dialog.table.rowCount() == 1, timeout=10_000)
    dialog = window.rejected_dialog
    assert dialog is not None
    table = dialog.table
    assert table.horizontalHeaderItem(0).text() == "Made (Europe/Amsterdam)"  # the event's time, said
    assert table.item(0, 1).text() == "Band registration"
    # The band as this station knew it.
    assert table.item(0, 2).text() == f"04C0FFEE001122 (GA #{mine.number:04d})"
    assert table.item(0, 3).text() == (
        "UID 04C0FFEE001122 is already registered in Gate Fest as VIP #0001 at Box office A.")
    assert table.item(0, 4).text() == ""
    table.selectRow(0)
    qtbot.mouseClick(dialog.mark, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: table.item(0, 4) is not None and table.item(0, 4).text() != "", timeout=10_000)
    # Still listed (never dropped), no longer counted.
    assert [c.seen_at is not None for c in refused_changes(b)] == [True]
    assert len(sync_client.rejected_entries(b)) == 1
    dialog.reject()
    qtbot.waitUntil(lambda: not bar.rejected_button.isVisible(), timeout=10_000)


def test_an_unexpected_failure_is_shown_as_a_sentence(qtbot: QtBot, make_window: WindowFactory,
                                                      owner: Actor, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    window = make_window(owner)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))

    def broken() -> None:
        raise RuntimeError("disk on fire")

    window.ctx.ops.run("broken", broken)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == ["Something went wrong inside Box office (RuntimeError); the log has the details."]
