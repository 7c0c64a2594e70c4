"""The alerts, most severe first: a word (ALERT / Warning) and a sentence, on a tinted row."""

from __future__ import annotations

from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from boxoffice.monitor.alerts import Alert, Severity
from ui.widgets.gate_table import ALERT_TINT, WARNING_TINT


class AlertList(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertList")
        self.alerts: list[Alert] = []

    def show_alerts(self, alerts: list[Alert]) -> None:
        if alerts == self.alerts:
            return
        self.alerts = list(alerts)
        self.clear()
        if not alerts:
            self.addItem(QListWidgetItem("No alerts: every gate is within its thresholds."))
            return
        for alert in alerts:
            word = "ALERT" if alert.severity is Severity.ALERT else "Warning"
            item = QListWidgetItem(f"{word}: {alert.message}")
            item.setBackground(QBrush(ALERT_TINT if alert.severity is Severity.ALERT else WARNING_TINT))
            self.addItem(item)
