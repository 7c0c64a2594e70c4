"""The series form: the fields of one series, with each problem shown under its field as it is typed.

The checks are the core's own (``series_time_problems``), run on every edit,
so the form never disagrees with what the service will say on save; a
``ValidationError`` from the service is still shown field by field, for the
rules only the database can check (a duplicate name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain.enums import ReentryPolicy
from boxoffice.domain.validation import MAX_NAME_LENGTH, SeriesTimes, series_time_problems
from boxoffice.errors import Problem
from boxoffice.schemas.series import SeriesView
from ui.style import ERROR_COLOR

TIME_FIELDS = ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at")

POLICY_WORDS = {
    ReentryPolicy.SINGLE: "Single entry (never again once out)",
    ReentryPolicy.REENTRY: "Re-entry, strictly in and out (anti-passback)",
    ReentryPolicy.UNLIMITED: "Unlimited",
}


@dataclass(frozen=True)
class SeriesValues:
    """What the form holds, in UTC, ready for ``create_series``/``update_series``."""

    name: str
    description: str | None
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime
    capacity: int
    reentry_policy: ReentryPolicy

    def changes_from(self, old: SeriesView) -> dict[str, Any]:
        """Only the fields that differ: an update that names an unchanged field is noise in the log."""
        out: dict[str, Any] = {}
        for key in ("name", "description", *TIME_FIELDS, "capacity", "reentry_policy"):
            new = getattr(self, key)
            if new != getattr(old, key):
                out[key] = new
        return out


def to_utc(value: QDateTime, tz: ZoneInfo) -> datetime:
    """The wall-clock time typed, read in the event's zone (the earlier of a DST fold)."""
    naive = value.toPython()
    assert isinstance(naive, datetime)
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC)


def to_local(moment: datetime, tz: ZoneInfo) -> QDateTime:
    local = moment.astimezone(tz).replace(tzinfo=None)
    return QDateTime(QDate(local.year, local.month, local.day),
                     QTime(local.hour, local.minute, local.second, local.microsecond // 1000))


class SeriesForm(QWidget):
    """Name, description, the four times, capacity and re-entry policy of one series."""

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tz = ZoneInfo("UTC")
        self._valid = True
        self._loading = False
        self.name = QLineEdit()
        self.name.setMaxLength(MAX_NAME_LENGTH)
        self.name.setPlaceholderText("Day 1")
        self.description = QPlainTextEdit()
        self.description.setMaximumHeight(60)
        self.times: dict[str, QDateTimeEdit] = {}
        for field in TIME_FIELDS:
            edit = QDateTimeEdit()
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("ddd dd MMM yyyy  HH:mm")
            self.times[field] = edit
        self.capacity = QSpinBox()
        self.capacity.setRange(0, 2_000_000)
        self.capacity.setGroupSeparatorShown(True)
        self.capacity.setSingleStep(100)
        self.policy = QComboBox()
        for policy, words in POLICY_WORDS.items():
            self.policy.addItem(words, policy)
        self.zone_note = QLabel()
        self.zone_note.setObjectName("zoneNote")

        self.problem_labels: dict[str, QLabel] = {}
        form = QFormLayout()
        rows: list[tuple[str, str, QWidget]] = [
            ("name", "&Name", self.name),
            ("description", "Description", self.description),
            ("starts_at", "&Starts", self.times["starts_at"]),
            ("ends_at", "&Ends", self.times["ends_at"]),
            ("checkin_opens_at", "Check-in &opens", self.times["checkin_opens_at"]),
            ("checkin_closes_at", "Check-in &closes", self.times["checkin_closes_at"]),
            ("capacity", "C&apacity", self.capacity),
            ("reentry_policy", "&Re-entry", self.policy),
        ]
        for field, label, widget in rows:
            problem = QLabel()
            problem.setObjectName(f"problem_{field}")
            problem.setStyleSheet(f"color: {ERROR_COLOR};")
            problem.setWordWrap(True)
            problem.hide()
            self.problem_labels[field] = problem
            box = QVBoxLayout()
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(2)
            box.addWidget(widget)
            box.addWidget(problem)
            holder = QWidget()
            holder.setLayout(box)
            form.addRow(label, holder)
        outer = QVBoxLayout(self)
        outer.addWidget(self.zone_note)
        outer.addLayout(form)

        self.name.textChanged.connect(self._edited)
        self.description.textChanged.connect(self._edited)
        for edit in self.times.values():
            edit.dateTimeChanged.connect(self._edited)
        self.capacity.valueChanged.connect(self._edited)
        self.policy.currentIndexChanged.connect(self._edited)

    # ------------------------------------------------------------------ loading

    def set_zone(self, tz_name: str) -> None:
        self._tz = ZoneInfo(tz_name)
        self.zone_note.setText(f"Times are in the event's time zone, {tz_name}.")

    def load(self, series: SeriesView, tz_name: str) -> None:
        self._loading = True
        try:
            self.set_zone(tz_name)
            self.name.setText(series.name)
            self.description.setPlainText(series.description or "")
            for field in TIME_FIELDS:
                self.times[field].setDateTime(to_local(getattr(series, field), self._tz))
            self.capacity.setValue(series.capacity)
            self.policy.setCurrentIndex(self.policy.findData(series.reentry_policy))
        finally:
            self._loading = False
        self.revalidate()

    def load_blank(self, tz_name: str, start: datetime | None = None) -> None:
        """A new series: tomorrow 14:00–23:00 local, check-in for the whole run, 1,000 places."""
        self._loading = True
        try:
            self.set_zone(tz_name)
            base = (start or datetime.now(self._tz) + timedelta(days=1)).astimezone(self._tz)
            begin = base.replace(hour=14, minute=0, second=0, microsecond=0)
            end = begin.replace(hour=23)
            self.name.clear()
            self.description.clear()
            for field, moment in (("starts_at", begin), ("ends_at", end), ("checkin_opens_at", begin),
                                  ("checkin_closes_at", end)):
                self.times[field].setDateTime(to_local(moment, self._tz))
            self.capacity.setValue(1000)
            self.policy.setCurrentIndex(self.policy.findData(ReentryPolicy.REENTRY))
        finally:
            self._loading = False
        self.revalidate()

    # ------------------------------------------------------------------ values and problems

    def values(self) -> SeriesValues:
        text = self.description.toPlainText().strip()
        return SeriesValues(
            name=self.name.text().strip(),
            description=text or None,
            starts_at=to_utc(self.times["starts_at"].dateTime(), self._tz),
            ends_at=to_utc(self.times["ends_at"].dateTime(), self._tz),
            checkin_opens_at=to_utc(self.times["checkin_opens_at"].dateTime(), self._tz),
            checkin_closes_at=to_utc(self.times["checkin_closes_at"].dateTime(), self._tz),
            capacity=self.capacity.value(),
            reentry_policy=ReentryPolicy(self.policy.currentData()),
        )

    def problems(self) -> list[Problem]:
        v = self.values()
        problems = series_time_problems(
            SeriesTimes(v.starts_at, v.ends_at, v.checkin_opens_at, v.checkin_closes_at)
        )
        if not v.name:
            problems.insert(0, Problem("name", "Give the series a name, e.g. Day 1."))
        if v.capacity < 1:
            problems.append(Problem("capacity", "The capacity must be at least 1."))
        return problems

    def show_problems(self, problems: list[Problem]) -> None:
        by_field: dict[str, list[str]] = {}
        for p in problems:
            by_field.setdefault(p.field if p.field in self.problem_labels else "name", []).append(p.message)
        for field, label in self.problem_labels.items():
            messages = by_field.get(field)
            label.setText("\n".join(messages or []))
            label.setVisible(bool(messages))

    def revalidate(self) -> bool:
        problems = self.problems()
        self.show_problems(problems)
        valid = not problems
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
        return valid

    @property
    def valid(self) -> bool:
        return self._valid

    def set_editable(self, editable: bool) -> None:
        for widget in (self.name, self.description, *self.times.values(), self.capacity, self.policy):
            widget.setEnabled(editable)

    def _edited(self, *_: object) -> None:
        if self._loading:
            return
        self.revalidate()
        self.changed.emit()
