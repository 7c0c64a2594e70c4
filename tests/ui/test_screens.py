"""What the pages look like at a 13" laptop's 1280×800 and at 1920×1080, over the demo festival.

The screenshot command saves every page at both sizes; at 1280×800 the Gates
table shows every column and every cell whole (no horizontal scroll bar, long
cells wrapped onto taller rows), and the settings dialog shows each setting's
help in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from boxoffice.programs.sim.demo import OWNER, TIMEZONE, seed_festival
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store
from tests.helpers.clock import evening_today
from tests.helpers.windows import WindowFactory, wait_idle
from ui import settings as S
from ui.app import take_screenshots
from ui.pages.encode_page import EncodePage
from ui.pages.monitor_page import MonitorPage
from ui.widgets.gate_table import WRAPPED

SIZES = [(1280, 800), (1920, 1080)]


@pytest.fixture
def festival_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "demo.sqlite3")
    seed_festival(store, bands=400, seed=5)
    yield store
    store.dispose()


@pytest.fixture
def evening_store(tmp_path: Path) -> Iterator[tuple[Store, datetime]]:
    """The demo festival seeded at nine tonight, with the instant the Gates page is to take as now:
    Day 1's taps all fall on today's board, whatever the hour the test runs."""
    now = evening_today(TIMEZONE)
    store = open_store(tmp_path / "demo.sqlite3")
    seed_festival(store, bands=400, seed=5, now=now)
    yield store, now
    store.dispose()


@pytest.mark.slow
def test_the_screenshot_command_saves_every_page_at_each_size(
        qtbot: QtBot, make_window: WindowFactory, festival_store: Store, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    S.READER.write(S.qsettings(), "udp:127.0.0.1:9")  # no simulated batch on the Encode page here
    monkeypatch.setattr(EncodePage, "screenshot_settle_ms", 300)
    window = make_window(resolve_actor(festival_store, OWNER), over=festival_store)
    done: list[bool] = []
    take_screenshots(window, tmp_path / "shots", lambda: done.append(True), settle_ms=300, sizes=SIZES)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    names = sorted(p.name for p in (tmp_path / "shots").iterdir())
    pages = ["01-series", "02-encode", "03-sales", "04-lookup", "05-gates", "06-reports"]
    assert names == sorted([f"{p}.png" for p in pages] + [f"{p}-1920x1080.png" for p in pages])
    for name in names:
        image = QImage(str(tmp_path / "shots" / name))
        expected = (1920, 1080) if "1920x1080" in name else (1280, 800)
        assert (image.width(), image.height()) == expected, name
    assert (window.width(), window.height()) == (1280, 800)  # back at the first size


def test_the_gates_table_shows_every_column_and_cell_whole_at_1280x800(
        qtbot: QtBot, make_window: WindowFactory, evening_store: tuple[Store, datetime]) -> None:
    store, now = evening_store
    window = make_window(resolve_actor(store, OWNER), over=store)
    window.resize(1280, 800)
    page = window.page_named("Gates")
    assert isinstance(page, MonitorPage)
    page.clock = lambda: now
    window.show_page("Gates")
    qtbot.waitUntil(lambda: page.board is not None and page.redraws > 0, timeout=15_000)
    table = page.table
    assert table.rowCount() == 4
    header = table.horizontalHeader()
    metrics = table.fontMetrics()

    def whole() -> list[str]:
        cut = []
        if sum(header.sectionSize(c) for c in range(table.columnCount())) > table.viewport().width() + 1:
            cut.append("the columns are wider than the table")
        for col in range(table.columnCount()):
            width = header.sectionSize(col)
            name = table.horizontalHeaderItem(col).text()
            if header.fontMetrics().horizontalAdvance(name) > width:
                cut.append(f"header {name!r}")
            for row in range(table.rowCount()):
                text = table.item(row, col).text()
                if col in WRAPPED:
                    needed = metrics.boundingRect(QRect(0, 0, width - 8, 10_000),
                                                  int(Qt.TextFlag.TextWordWrap), text).height()
                    if needed > table.rowHeight(row):
                        cut.append(f"{name} of row {row}: {text!r}")
                elif metrics.horizontalAdvance(text) > width:
                    cut.append(f"{name} of row {row}: {text!r}")
        return cut

    qtbot.waitUntil(lambda: not whole(), timeout=10_000)
    assert not table.horizontalScrollBar().isVisible()
    # Each device on a line of its own, with its last contact.
    for row in range(table.rowCount()):
        devices = table.item(row, 7).text()
        assert all(re.fullmatch(r".+ \((\d+ s|\d+ min|\d+ h \d+ min) ago\)", line)
                   for line in devices.splitlines()), devices


def test_the_settings_dialog_shows_each_settings_help_in_full(
        qtbot: QtBot, make_window: WindowFactory, festival_store: Store) -> None:
    window = make_window(resolve_actor(festival_store, OWNER), over=festival_store)
    window.show_settings()
    dialog = window.settings_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    helps = {label.text(): label for label in dialog.findChildren(QLabel) if label.text() in
             {s.help for s in S.ALL}}
    assert set(helps) == {s.help for s in S.ALL}
    for text, label in helps.items():
        assert label.isVisible()
        assert label.width() >= label.sizeHint().width() and label.height() >= label.sizeHint().height(), text
    dialog.reject()
    wait_idle(qtbot, window.ctx.ops)


def test_screenshot_sizes_are_read_as_width_x_height() -> None:
    import click

    from ui.cli import parse_sizes

    assert parse_sizes(("1920x1080", "1280X800")) == [(1920, 1080), (1280, 800)]
    for bad in ("1920", "big", "10x10", "1920x1080x2"):
        with pytest.raises(click.BadParameter, match="is not a window size such as 1920x1080"):
            parse_sizes((bad,))
