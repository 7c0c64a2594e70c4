"""The per-gate table: rate now, total today, denial rate and top reasons, last scan, devices.

Rows are rewritten in place (no model reset) a few times a second at most;
a gate with an alert gets its row tinted and the word of the alert in the
Status column, so colour is never the only sign.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QResizeEvent
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from boxoffice.monitor.alerts import Alert, Severity
from boxoffice.monitor.board import GateBoard

COLUMNS = ("Gate", "Status", "Rate /min", "Today", "Denied", "Top denial reasons", "Last scan",
           "Devices (last contact)")
WRAPPED = (5, 7)  # top denial reasons, devices: long, so they share the rest of the width and wrap
ROW_FIT_SECONDS = 3.0
ALERT_TINT = QColor("#F5B7B1")
WARNING_TINT = QColor("#FAD7A0")


def _lines(text: str) -> int:
    """A rough measure of how many lines a wrapped cell needs (changes in it re-fit the rows)."""
    return text.count("\n") + len(text) // 40


def age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "never"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min ago"


class GateTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("gateTable")
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        # Widths fitted once after the first figures, not on every change: ResizeToContents
        # re-measured a whole column on every setText (1 ms each, 300 ms a second with 24 gates).
        # The two long columns share what is left of the width and wrap, so the table never needs
        # a horizontal scroll bar (1280×800); rows are re-measured at most every few seconds.
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column in WRAPPED:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.rows: dict[uuid.UUID, int] = {}
        self._fitted = False
        self._rows_fitted_at = 0.0
        self._rows_stale = False

    def show_devices(self, shown: bool) -> None:
        """The devices column, hidden where the board has none (a viewer's, read from the server)."""
        self.setColumnHidden(COLUMNS.index("Devices (last contact)"), not shown)

    def rebuild(self, board: GateBoard) -> None:
        self.setRowCount(len(board.gates))
        self.rows = {gate_id: row for row, gate_id in enumerate(board.gates)}
        for row in range(len(board.gates)):
            for col in range(len(COLUMNS)):
                self.setItem(row, col, QTableWidgetItem(""))
        self._fitted = False

    def _cell(self, row: int, col: int) -> QTableWidgetItem:
        item = self.item(row, col)
        assert item is not None, "rebuild() puts an item in every cell"
        return item

    def refresh(self, board: GateBoard, alerts: list[Alert], now: datetime) -> None:
        worst: dict[uuid.UUID, Alert] = {}
        for candidate in alerts:  # sorted most severe first
            if candidate.gate_id is not None and candidate.gate_id not in worst:
                worst[candidate.gate_id] = candidate
        for gate_id, line in board.gates.items():
            row = self.rows.get(gate_id)
            if row is None:
                continue
            total = line.total
            denied = line.denied_total
            reasons = ", ".join(f"{r.replace('_', ' ')} {n}" for r, n in line.top_reasons(3)) or "—"
            devices = "\n".join(f"{d} ({age(t, now)})" for d, t in sorted(line.devices.items())) or "—"
            alert = worst.get(gate_id)
            status = "OK"
            if alert is not None:
                word = "ALERT" if alert.severity is Severity.ALERT else "Warning"
                status = f"{word}: {alert.kind.value.replace('_', ' ')}"
            values = (line.name, status, f"{board.rate_per_minute(gate_id, now):.1f}", f"{total:,}",
                      f"{100.0 * denied / total:.1f} %" if total else "—", reasons,
                      age(line.last_scan, now), devices)
            tint = None if alert is None else ALERT_TINT if alert.severity is Severity.ALERT else WARNING_TINT
            brush = QBrush(tint) if tint is not None else QBrush()
            for col, text in enumerate(values):
                item = self._cell(row, col)
                if item.text() != text:
                    if col in WRAPPED and _lines(item.text()) != _lines(text):
                        self._rows_stale = True
                    item.setText(text)
                if item.background() != brush:
                    item.setBackground(brush)
                if col == 1:
                    item.setToolTip(alert.message if alert is not None else "")
        if not self._fitted:
            for column in range(len(COLUMNS)):
                if column not in WRAPPED:
                    self.resizeColumnToContents(column)
            self._fitted = True
            self._rows_stale = True
        if self._rows_stale and time.monotonic() - self._rows_fitted_at >= ROW_FIT_SECONDS:
            self.fit_rows()

    def fit_rows(self) -> None:
        self.resizeRowsToContents()
        self._rows_stale = False
        self._rows_fitted_at = time.monotonic()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted:  # the wrapped columns changed width: their rows may need another height
            self._rows_stale = True
            self._rows_fitted_at = 0.0
            QTimer.singleShot(0, self._fit_rows_if_stale)

    def _fit_rows_if_stale(self) -> None:
        if self._rows_stale:
            self.fit_rows()

    def status_of(self, gate_id: uuid.UUID) -> str:
        return self._cell(self.rows[gate_id], 1).text()
