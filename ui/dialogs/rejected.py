"""Changes the server refused: what, when, and the server's reason, so someone can redo or let go."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from boxoffice.sync import refused
from ui.context import AppContext


class RejectedDialog(QDialog):
    COLUMNS = ("Made", "Change", "Of", "Why the server refused it", "Seen")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("rejectedDialog")
        self.setWindowTitle("Changes the server refused")
        self.resize(860, 420)
        self.changes: list[refused.RefusedChange] = []
        intro = QLabel("These changes were made here while offline (or raced another station) and the "
                       "server refused them. Nothing of them is on the server. Redo what still matters, "
                       "then mark them seen.")
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("rejectedTable")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.mark = QPushButton("Mark selected as seen")
        self.mark.setObjectName("markSeen")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.mark, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.mark.clicked.connect(self.mark_selected)
        self.reload()

    def reload(self) -> None:
        store = self.ctx.store
        self.ctx.ops.run("refused changes", lambda: refused.refused_changes(store), self._show, owner=self)

    def _show(self, changes: list[refused.RefusedChange]) -> None:
        self.changes = changes
        self.table.setRowCount(len(changes))
        if changes:  # the event's time zone, said in the header
            self.table.setHorizontalHeaderLabels([f"Made ({changes[0].zone})", *self.COLUMNS[1:]])
        for r, c in enumerate(changes):
            tz = ZoneInfo(c.zone)
            seen = c.seen_at.astimezone(tz).strftime("%d %b %H:%M") if c.seen_at else ""
            for col, text in enumerate((c.made_at.astimezone(tz).strftime("%d %b %H:%M"), c.what, c.subject,
                                        c.reason, seen)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, c.id)
                self.table.setItem(r, col, item)
        self.table.resizeRowsToContents()

    def mark_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        ids = [self.changes[r].id for r in rows]
        if not ids:
            return
        store = self.ctx.store
        self.ctx.ops.run("mark refused seen", lambda: refused.mark_seen(store, ids),
                         lambda _n: self.reload(), owner=self)
