"""Occupancy (inside against capacity) of each active series, and entries by category against limits."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QWidget

from boxoffice.monitor.board import SeriesFill

# Light fills so the black figures on top stay readable; the words say the rest.
_BAR = "QProgressBar {{ text-align: center; color: black; }} QProgressBar::chunk {{ background: {}; }}"
FULL_STYLE = _BAR.format("#F1948A")
NEAR_STYLE = _BAR.format("#F8C471")
OK_STYLE = _BAR.format("#82E0AA")


def _bar(value: int, limit: int, warn_pct: float) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, max(1, limit))
    bar.setValue(min(value, limit))
    pct = 100.0 * value / limit if limit else 0.0
    bar.setFormat(f"{value:,} of {limit:,} ({pct:.0f} %)")
    bar.setStyleSheet(FULL_STYLE if value >= limit else NEAR_STYLE if pct > warn_pct else OK_STYLE)
    return bar


class OccupancyPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("occupancyPanel")
        self.form = QFormLayout(self)
        self.shown: list[SeriesFill] = []

    def show_fill(self, series: list[SeriesFill], warn_pct: float) -> None:
        if series == self.shown:
            return
        self.shown = list(series)
        while self.form.rowCount():
            self.form.removeRow(0)
        if not series:
            self.form.addRow(QLabel("No active series: occupancy shows once a series is active."))
            return
        for s in series:
            self.form.addRow(QLabel(f"<b>{s.name}</b> inside"), _bar(s.inside, s.capacity, warn_pct))
            for cat in s.categories:
                if cat.limit is None:
                    self.form.addRow(f"  {cat.name} entered", QLabel(f"{cat.entered:,} (no limit)"))
                else:
                    self.form.addRow(f"  {cat.name} entered", _bar(cat.entered, cat.limit, warn_pct))
