"""The alerts, most severe first: a word (ALERT / Warning) and a sentence, on a tinted row."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QSizePolicy, QWidget

from boxoffice.monitor.alerts import Alert, Severity
from ui.widgets.gate_table import ALERT_TINT, WARNING_TINT

#: Rows shown before the list scrolls: the charts and the table keep the room.
VISIBLE_ROWS = 4


class AlertList(QListWidget):
    """As tall as its rows (one to ``VISIBLE_ROWS``), so no empty band sits above the charts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertList")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.alerts: list[Alert] = []

    def sizeHint(self) -> QSize:
        rows = max(1, min(self.count(), VISIBLE_ROWS))
        row = self.sizeHintForRow(0) if self.count() else self.fontMetrics().height() + 4
        return QSize(super().sizeHint().width(), rows * max(row, 1) + 2 * self.frameWidth() + 2)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def show_alerts(self, alerts: list[Alert]) -> None:
        if alerts == self.alerts:
            return
        self.alerts = list(alerts)
        self.clear()
        if not alerts:
            self.addItem(QListWidgetItem("No alerts: every gate is within its thresholds."))
        for alert in alerts:
            word = "ALERT" if alert.severity is Severity.ALERT else "Warning"
            item = QListWidgetItem(f"{word}: {alert.message}")
            item.setBackground(QBrush(ALERT_TINT if alert.severity is Severity.ALERT else WARNING_TINT))
            self.addItem(item)
        self.updateGeometry()
