"""The tabs under a series: gates, category limits, lifecycle, band assignment.

Each panel only shows data and emits what the person asked for; the series
page runs the service call off the GUI thread and reloads. That keeps the
panels free of store and threading concerns, and easy to drive in tests.
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain.enums import SeriesStatus
from boxoffice.domain.lifecycle import allowed_next
from boxoffice.schemas.event import CategoryView, GateView
from boxoffice.schemas.series import TransitionView
from ui.style import STATUS_WORDS, TRANSITION_VERBS, local_text, status_color

NO_LIMIT = -1  # the spin box's "no limit" value, shown as its special text


def _readonly_table(columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    # Each column as wide as what it holds (a time on one line), the last one takes the rest.
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    return table


class GatesPanel(QWidget):
    """A checklist of the event's gates; Apply sends the ticks that changed."""

    apply_requested = Signal(list, list)  # gate ids to add, gate ids to remove

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("gateChecklist")
        self.apply = QPushButton("Apply gates")
        self.apply.setObjectName("applyGates")
        self.hint = QLabel("A series can only be activated once it has at least one gate.")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.list)
        layout.addWidget(self.apply, alignment=Qt.AlignmentFlag.AlignRight)
        self._assigned: set[uuid.UUID] = set()
        self.apply.clicked.connect(self._apply)

    def load(self, gates: list[GateView], assigned_names: list[str]) -> None:
        self.list.clear()
        names = set(assigned_names)
        self._assigned = set()
        for gate in gates:
            scope = f" — {', '.join(gate.categories)} only" if gate.categories else ""
            item = QListWidgetItem(f"{gate.name} ({gate.kind.value}){scope}")
            item.setData(Qt.ItemDataRole.UserRole, gate.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = gate.name in names
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            if on:
                self._assigned.add(gate.id)
            self.list.addItem(item)

    def ticked(self) -> set[uuid.UUID]:
        out = set()
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.add(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_tick(self, gate_name: str, on: bool) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.text().startswith(f"{gate_name} ("):
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _apply(self) -> None:
        now = self.ticked()
        added, removed = now - self._assigned, self._assigned - now
        self.apply_requested.emit(sorted(added, key=str), sorted(removed, key=str))


class LimitsPanel(QWidget):
    """Limit, assigned and entered per category; a limit is edited in place and saved per row."""

    limit_requested = Signal(object, object)  # category id, limit or None

    COLUMNS = ("Category", "Limit", "Assigned", "Entered", "")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setObjectName("limitsTable")
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.note = QLabel("Limits are ceilings, not reservations: the capacity still applies at the gates.")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        self.spins: dict[uuid.UUID, QSpinBox] = {}
        self.save_buttons: dict[uuid.UUID, QPushButton] = {}

    def load(self, rows: list[tuple[uuid.UUID, str, int | None, int, int | None]], editable: bool) -> None:
        """Rows of (category id, name, limit, assigned, entered)."""
        self.table.setRowCount(len(rows))
        self.spins.clear()
        self.save_buttons.clear()
        for r, (cat_id, name, limit, assigned, entered) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(name))
            spin = QSpinBox()
            spin.setRange(NO_LIMIT, 2_000_000)
            spin.setSpecialValueText("no limit")
            spin.setGroupSeparatorShown(True)
            spin.setValue(NO_LIMIT if limit is None else limit)
            spin.setEnabled(editable)
            self.table.setCellWidget(r, 1, spin)
            self.table.setItem(r, 2, QTableWidgetItem(f"{assigned:,}"))
            self.table.setItem(r, 3, QTableWidgetItem("-" if entered is None else f"{entered:,}"))
            save = QPushButton("Save")
            save.setEnabled(editable)
            save.clicked.connect(lambda _=False, c=cat_id, s=spin: self._save(c, s))
            self.table.setCellWidget(r, 4, save)
            self.spins[cat_id] = spin
            self.save_buttons[cat_id] = save

    def _save(self, category_id: uuid.UUID, spin: QSpinBox) -> None:
        value = spin.value()
        self.limit_requested.emit(category_id, None if value == NO_LIMIT else value)


class LifecyclePanel(QWidget):
    """The allowed next steps as buttons, and the history underneath."""

    transition_requested = Signal(object)  # SeriesStatus

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = QLabel()
        self.state.setObjectName("lifecycleState")
        self.buttons_row = QHBoxLayout()
        self.buttons: dict[SeriesStatus, QPushButton] = {}
        self.history = _readonly_table(["When", "From", "To", "Who", "Why"])
        self.history.setObjectName("transitionHistory")
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addLayout(self.buttons_row)
        layout.addWidget(QLabel("History"))
        layout.addWidget(self.history)

    def load(self, status: SeriesStatus, history: list[TransitionView], tz: ZoneInfo) -> None:
        color = status_color(status).name()
        self.state.setText(f"Now: <b style='color:{color}'>{STATUS_WORDS[status]}</b>")
        for button in self.buttons.values():
            self.buttons_row.removeWidget(button)
            button.deleteLater()
        self.buttons.clear()
        for target in allowed_next(status):
            button = QPushButton(TRANSITION_VERBS[target])
            button.setObjectName(f"transition_{target.value}")
            button.clicked.connect(lambda _=False, t=target: self.transition_requested.emit(t))
            self.buttons_row.addWidget(button)
            self.buttons[target] = button
        if not self.buttons:
            self.state.setText(self.state.text() + " — final; nothing can follow.")
        self.history.setRowCount(len(history))
        for r, t in enumerate(reversed(history)):
            for c, text in enumerate((local_text(t.at, tz), STATUS_WORDS[t.from_status],
                                      STATUS_WORDS[t.to_status], t.actor or "-", t.reason)):
                self.history.setItem(r, c, QTableWidgetItem(text))


class BandsPanel(QWidget):
    """Bulk assignment: every band of a category (already encoded) to this series, in one go."""

    assign_requested = Signal(object)  # category id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assigned = QLabel()
        self.assigned.setObjectName("assignedCount")
        self.category = QComboBox()
        self.category.setObjectName("bulkCategory")
        self.assign = QPushButton("Assign every band of this category")
        self.assign.setObjectName("bulkAssign")
        self.result = QLabel()
        self.result.setObjectName("bulkResult")
        self.result.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.category, 1)
        row.addWidget(self.assign)
        layout = QVBoxLayout(self)
        layout.addWidget(self.assigned)
        layout.addLayout(row)
        layout.addWidget(self.result)
        layout.addStretch(1)
        self.assign.clicked.connect(self._assign)

    def load(self, categories: list[CategoryView], assigned: int) -> None:
        self.assigned.setText(f"{assigned:,} bands assigned to this series.")
        current = self.category.currentData()
        self.category.clear()
        for c in categories:
            self.category.addItem(c.name, c.id)
        if current is not None:
            index = self.category.findData(current)
            if index >= 0:
                self.category.setCurrentIndex(index)

    def _assign(self) -> None:
        if self.category.currentData() is not None:
            self.assign_requested.emit(self.category.currentData())
