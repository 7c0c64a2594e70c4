"""The main window: a page list on the left, the page on the right, the status bar below.

Geometry, dock state and the last page are kept in QSettings (``state/…``),
apart from the settings a person chooses. Shortcuts: Ctrl+1…6 switch pages,
F5 reloads the page, Ctrl+, opens the settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from ui import settings as S
from ui.context import AppContext
from ui.dialogs.rejected import RejectedDialog
from ui.dialogs.settings import SettingsDialog
from ui.status_bar import StatusBar

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    page_changed = Signal(str)

    def __init__(self, ctx: AppContext, pages: list[QWidget],
                 on_close: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self._on_close = on_close
        self.setObjectName("mainWindow")
        self.setWindowTitle("Box office")
        self.nav = QListWidget()
        self.nav.setObjectName("pageList")
        self.nav.setFixedWidth(150)
        self.nav.setIconSize(QSize(20, 20))
        self.stack = QStackedWidget()
        self.pages = pages
        for index, page in enumerate(pages):
            title = str(getattr(page, "title", page.objectName()))
            item = QListWidgetItem(title)
            item.setToolTip(f"{title} (Ctrl+{index + 1})")
            item.setSizeHint(QSize(0, 34))  # a row a finger or a hurried mouse can hit
            self.nav.addItem(item)
            self.stack.addWidget(page)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = StatusBar(ctx)
        self.setStatusBar(self.status)
        ctx.ops.error.connect(self.show_error)
        self.status.rejected_clicked.connect(self.show_rejected)
        self.nav.currentRowChanged.connect(self._switch)
        self._make_actions()
        self.settings_dialog: SettingsDialog | None = None
        self.rejected_dialog: RejectedDialog | None = None
        self.restore_state()

    # ------------------------------------------------------------------ pages

    def _make_actions(self) -> None:
        for index in range(len(self.pages)):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, i=index: self.nav.setCurrentRow(i))
            self.addAction(action)
        reload_action = QAction("Reload", self)
        reload_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        reload_action.triggered.connect(self.refresh_current)
        self.addAction(reload_action)
        settings_action = QAction("Settings…", self)
        settings_action.setShortcut(QKeySequence("Ctrl+,"))
        settings_action.triggered.connect(self.show_settings)
        self.addAction(settings_action)
        menu = self.menuBar().addMenu("&Box office")
        menu.addAction(settings_action)
        menu.addAction(reload_action)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addSeparator()
        menu.addAction(quit_action)

    def page_named(self, title: str) -> QWidget:
        for page in self.pages:
            if getattr(page, "title", None) == title:
                return page
        raise KeyError(title)

    def show_page(self, title: str) -> None:
        self.nav.setCurrentRow(self.pages.index(self.page_named(title)))

    def _switch(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        page = self.pages[row]
        refresh = getattr(page, "refresh", None)
        if callable(refresh):
            refresh()
        self.page_changed.emit(str(getattr(page, "title", "")))

    def refresh_current(self) -> None:
        refresh = getattr(self.stack.currentWidget(), "refresh", None)
        if callable(refresh):
            refresh()

    # ------------------------------------------------------------------ dialogs and messages

    def show_error(self, text: str) -> None:
        self.status.showMessage(text, 10_000)
        QMessageBox.warning(self, "Box office", text)

    def show_settings(self) -> None:
        dialog = SettingsDialog(S.qsettings(), self)
        self.settings_dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def show_rejected(self) -> None:
        dialog = RejectedDialog(self.ctx, self)
        self.rejected_dialog = dialog
        dialog.finished.connect(lambda _r: self.status.poll())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    # ------------------------------------------------------------------ state

    def restore_state(self) -> None:
        qs = S.qsettings()
        geometry = qs.value(S.GEOMETRY_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1180, 760)
        window_state = qs.value(S.WINDOW_STATE_KEY)
        if window_state is not None:
            self.restoreState(window_state)
        last = qs.value(S.LAST_PAGE_KEY, "")
        titles = [getattr(p, "title", "") for p in self.pages]
        row = titles.index(last) if last in titles else 0
        if self.nav.currentRow() == row:
            self._switch(row)  # no change signal, but the page must still load
        else:
            self.nav.setCurrentRow(row)

    def save_state(self) -> None:
        qs = S.qsettings()
        qs.setValue(S.GEOMETRY_KEY, self.saveGeometry())
        qs.setValue(S.WINDOW_STATE_KEY, self.saveState())
        current = self.stack.currentWidget()
        qs.setValue(S.LAST_PAGE_KEY, getattr(current, "title", ""))
        qs.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.status.stop()
        self.ctx.ops.cancel_all()  # a batch, a reader loop, the sync: each stops at its next wait
        if self._on_close is not None:
            self._on_close()
        super().closeEvent(event)
