"""Make a recurring series: the pattern, and a preview of every date it gives before anything is written.

The preview is the core's own plan (``recurring.planned_children``), computed
on each change, so what the table shows is exactly what Create makes: the
same names, the same local times across a clock change.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain.enums import RecurrenceKind
from boxoffice.domain.recurrence import RecurrenceRule
from boxoffice.domain.validation import SeriesTimes
from boxoffice.errors import BoxOfficeError, ValidationError
from boxoffice.schemas.series import SeriesView
from boxoffice.services.recurring import DEFAULT_NAME_PATTERN, planned_children
from ui.style import ERROR_COLOR, local_text

KIND_WORDS = {
    RecurrenceKind.DAILY: "Every day",
    RecurrenceKind.WEEKLY: "Weekly, on chosen weekdays",
    RecurrenceKind.EVERY_N_DAYS: "Every N days",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RecurringDialog(QDialog):
    def __init__(self, series: SeriesView, tz_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recurringDialog")
        self.setWindowTitle(f"Repeat {series.name}")
        self.resize(620, 520)
        self._series = series
        self._tz = ZoneInfo(tz_name)
        self.kind = QComboBox()
        for kind, words in KIND_WORDS.items():
            self.kind.addItem(words, kind)
        self.count = QSpinBox()
        self.count.setRange(1, 366)
        self.count.setValue(3)
        self.interval = QSpinBox()
        self.interval.setRange(1, 365)
        self.interval_label = QLabel("Interval")
        self.weekdays = [QCheckBox(day) for day in WEEKDAYS]
        days = QHBoxLayout()
        for box in self.weekdays:
            days.addWidget(box)
        self.weekday_row = QWidget()
        self.weekday_row.setLayout(days)
        self.pattern = QLineEdit(DEFAULT_NAME_PATTERN)
        self.pattern.setToolTip("May use {name}, {n}, {date} and {weekday}, e.g. \"Day {n}\".")
        self.pattern.setPlaceholderText("{name} {n}")
        self.problem = QLabel()
        self.problem.setObjectName("recurringProblem")
        self.problem.setStyleSheet(f"color: {ERROR_COLOR};")
        self.problem.setWordWrap(True)
        self.preview = QTableWidget(0, 3)
        self.preview.setObjectName("recurringPreview")
        self.preview.setHorizontalHeaderLabels(["Name", f"Starts ({tz_name})", "Ends"])
        self.preview.verticalHeader().setVisible(False)  # the names carry the numbers
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create series")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = self.form = QFormLayout()
        form.addRow("Repeat", self.kind)
        form.addRow("How many", self.count)
        form.addRow(self.interval_label, self.interval)
        form.addRow("On", self.weekday_row)
        form.addRow("Names", self.pattern)
        layout = QVBoxLayout(self)
        intro = QLabel(f"Copies of {series.name} keep its local times, capacity, gates and category limits.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        # Which of the two it is follows from the names (services.recurring): say it as it changes.
        self.role = QLabel()
        self.role.setObjectName("recurringRole")
        self.role.setWordWrap(True)
        self.role.setStyleSheet("color: #555;")
        layout.addWidget(self.role)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.preview)
        layout.addWidget(self.buttons)

        self.kind.currentIndexChanged.connect(self.refresh)
        self.count.valueChanged.connect(self.refresh)
        self.interval.valueChanged.connect(self.refresh)
        self.pattern.textChanged.connect(self.refresh)
        for box in self.weekdays:
            box.toggled.connect(self.refresh)
        start_day = series.starts_at.astimezone(self._tz).weekday()
        self.weekdays[start_day].setChecked(True)
        self.refresh()

    def rule(self) -> RecurrenceRule:
        kind = RecurrenceKind(self.kind.currentData())
        weekdays = frozenset(i for i, box in enumerate(self.weekdays) if box.isChecked())
        return RecurrenceRule(
            kind=kind, count=self.count.value(),
            interval=1 if kind is RecurrenceKind.DAILY else self.interval.value(),
            weekdays=weekdays if kind is RecurrenceKind.WEEKLY else frozenset(),
        )

    def name_pattern(self) -> str:
        return self.pattern.text().strip() or DEFAULT_NAME_PATTERN

    def refresh(self, *_: object) -> None:
        kind = RecurrenceKind(self.kind.currentData())
        self.form.setRowVisible(self.weekday_row, kind is RecurrenceKind.WEEKLY)
        self.form.setRowVisible(self.interval, kind is not RecurrenceKind.DAILY)
        self.interval_label.setText("Every N weeks" if kind is RecurrenceKind.WEEKLY else "Every N days")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            s = self._series
            times = SeriesTimes(s.starts_at, s.ends_at, s.checkin_opens_at, s.checkin_closes_at)
            plan = planned_children(self.rule(), self._tz, times, s.name, self.name_pattern())
        except BoxOfficeError as exc:
            messages = ([p.message for p in exc.problems] if isinstance(exc, ValidationError)
                        else [exc.message])
            self.problem.setText("\n".join(messages))
            self.problem.show()
            self.preview.setRowCount(0)
            ok.setEnabled(False)
            return
        self.problem.hide()
        name = self._series.name
        if plan and plan[0][1].sequence == 2:
            self.role.setText(f"{name} is #1 itself (the names continue from it): the copies follow it.")
        else:
            self.role.setText(f"{name} is the template: copy #1 falls on its own date. To make {name} "
                              "itself day 1, give it the name the pattern gives #1 (\"Day 1\" with "
                              "\"Day {n}\").")
        self.preview.setRowCount(len(plan))
        for row, (name, inst) in enumerate(plan):
            for col, text in enumerate((name, local_text(inst.starts_at, self._tz),
                                        local_text(inst.ends_at, self._tz))):
                self.preview.setItem(row, col, QTableWidgetItem(text))
        ok.setEnabled(True)
