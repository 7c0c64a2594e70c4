"""The series builder: pick a series in the event tree, edit it, give it gates and limits, walk its lifecycle.

Every read and write goes through ``ctx.ops`` (the database thread) and
comes back as plain views; the page never holds a session. After each write
the page reloads what it shows from the store, so what is on screen is what
was committed, including the series' new version for the next edit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain.enums import SeriesStatus
from boxoffice.domain.lifecycle import is_terminal
from boxoffice.domain.permissions import Action
from boxoffice.errors import BoxOfficeError, PermissionDeniedError, ValidationError
from boxoffice.schemas.event import CategoryView, GateView
from boxoffice.schemas.series import AssignResult, SeriesChange, SeriesDetail, SeriesView
from boxoffice.services import assignments, events, metrics, recurring
from boxoffice.services import series as series_svc
from ui.context import AppContext
from ui.dialogs.reason import ReasonDialog
from ui.dialogs.recurring import RecurringDialog
from ui.ops import describe_failure
from ui.pages.event_tree import EventNode, EventTree, children
from ui.pages.series_form import SeriesForm
from ui.pages.series_panels import BandsPanel, GatesPanel, LifecyclePanel, LimitsPanel
from ui.style import ERROR_COLOR, OK_COLOR, STATUS_WORDS, WARN_COLOR, status_color

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeriesScreen:
    """Everything the right-hand side shows for one series, read in one go on the database thread."""

    detail: SeriesDetail
    gates: list[GateView]
    categories: list[CategoryView]
    entered: dict[uuid.UUID, int] | None  # None: the role may not see metrics


class SeriesPage(QWidget):
    """Emits ``loaded`` after each refresh reaches the screen (tests and the status bar wait on it)."""

    loaded = Signal()
    title = "Series"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("seriesPage")
        self.ctx = ctx
        self.series_screen: SeriesScreen | None = None
        self._new_for_event: uuid.UUID | None = None
        self._timezones: dict[uuid.UUID, str] = {}
        self.reason_dialog: ReasonDialog | None = None
        self.recurring_dialog: RecurringDialog | None = None

        self.tree = EventTree()
        self.new_button = QPushButton("&New series")
        self.new_button.setObjectName("newSeries")
        self.refresh_button = QPushButton("Refresh")
        tree_side = QWidget()
        left = QVBoxLayout(tree_side)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.tree)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.refresh_button)
        left.addLayout(row)

        self.heading = QLabel("Choose a series, or an event and New series.")
        self.heading.setObjectName("seriesHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.banner = QLabel()
        self.banner.setObjectName("seriesBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.form = SeriesForm()
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveSeries")
        self.recur_button = QPushButton("Repeat…")
        self.recur_button.setObjectName("recurSeries")
        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.addWidget(self.form)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.recur_button)
        buttons.addWidget(self.save_button)
        details_layout.addLayout(buttons)
        details_layout.addStretch(1)

        self.gates = GatesPanel()
        self.limits = LimitsPanel()
        self.lifecycle = LifecyclePanel()
        self.bands = BandsPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(details, "Details")
        self.tabs.addTab(self.gates, "Gates")
        self.tabs.addTab(self.limits, "Category limits")
        self.tabs.addTab(self.lifecycle, "Lifecycle")
        self.tabs.addTab(self.bands, "Bands")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.banner)
        right_layout.addWidget(self.tabs, 1)
        self.empty_space = QWidget()
        right_layout.addWidget(self.empty_space, 1)

        splitter = QSplitter()
        splitter.addWidget(tree_side)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 700])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)

        ctx.guard(self.new_button, Action.CREATE_SERIES)
        ctx.guard(self.save_button, Action.UPDATE_SERIES)
        ctx.guard(self.recur_button, Action.GENERATE_RECURRENCE)
        ctx.guard(self.gates.apply, Action.ASSIGN_SERIES_GATES)
        ctx.guard(self.bands.assign, Action.ASSIGN_BANDS)

        self.tree.series_selected.connect(self.open_series)
        self.tree.event_selected.connect(self._event_chosen)
        self.refresh_button.clicked.connect(self.refresh)
        self.new_button.clicked.connect(self.start_new)
        self.save_button.clicked.connect(self.save)
        self.recur_button.clicked.connect(self.ask_recurrence)
        self.form.validity_changed.connect(lambda _v: self._update_buttons())
        self.gates.apply_requested.connect(self.apply_gates)
        self.limits.limit_requested.connect(self.set_limit)
        self.lifecycle.transition_requested.connect(self.ask_transition)
        self.bands.assign_requested.connect(self.assign_category)
        self._show_detail(False)

    # ------------------------------------------------------------------ loading

    def _read_tree(self) -> list[EventNode]:
        """Every event with its series (runs on the database thread)."""
        ctx = self.ctx
        return [EventNode(ev, series_svc.list_series(ctx.store, ctx.actor, str(ev.id)))
                for ev in events.list_events(ctx.store, ctx.actor)]

    def refresh(self) -> None:
        self.ctx.ops.run("load series tree", self._read_tree, self._tree_loaded, self._failed, owner=self)

    def _tree_loaded(self, nodes: list[EventNode]) -> None:
        self._timezones = {n.event.id: n.event.timezone for n in nodes}
        self.tree.populate(nodes)
        if self.series_screen is not None:
            self.open_series(self.series_screen.detail.series.id)
        else:
            self.loaded.emit()

    def open_series(self, series_id: uuid.UUID) -> None:
        ctx = self.ctx
        self._new_for_event = None

        def read() -> SeriesScreen:
            detail = series_svc.series_detail(ctx.store, ctx.actor, str(series_id))
            ev = str(detail.series.event_id)
            entered: dict[uuid.UUID, int] | None
            try:
                m = metrics.series_metrics(ctx.store, ctx.actor, str(series_id))
                entered = {c.category_id: c.entered for c in m.by_category}
            except PermissionDeniedError:
                entered = None
            return SeriesScreen(detail, events.list_gates(ctx.store, ctx.actor, ev),
                                events.list_categories(ctx.store, ctx.actor, ev), entered)

        ctx.ops.run("open series", read, self._show_screen, self._failed, owner=self)

    def _show_screen(self, screen: SeriesScreen) -> None:
        self.series_screen = screen
        d = screen.detail
        s = d.series
        tz = ZoneInfo(d.timezone)
        color = status_color(s.status).name()
        parent = f" · repeats {d.parent_name}" if d.parent_name else ""
        self.heading.setText(
            f"<span style='font-size:16pt;font-weight:600'>{_esc(s.name)}</span>"
            f"&nbsp;&nbsp;<span style='color:{color};font-weight:600'>{STATUS_WORDS[s.status]}</span>"
            f"<br><span style='color:#666'>{_esc(d.event_name)}{_esc(parent)} · version {s.version}</span>"
        )
        self.form.load(s, d.timezone)
        self.gates.load(screen.gates, d.gates)
        editable = not is_terminal(s.status)
        self.limits.load(
            [(lv.category_id, lv.category, lv.limit, lv.assigned,
              None if screen.entered is None else screen.entered.get(lv.category_id, 0)) for lv in d.limits],
            editable and self.ctx.may(Action.SET_CATEGORY_LIMITS),
        )
        if not self.ctx.may(Action.SET_CATEGORY_LIMITS):
            for button in self.limits.save_buttons.values():
                button.setToolTip(self.ctx.why_not(Action.SET_CATEGORY_LIMITS))
        self.lifecycle.load(s.status, d.transitions, tz)
        for button in self.lifecycle.buttons.values():
            if not self.ctx.may(Action.TRANSITION_SERIES):
                button.setEnabled(False)
                button.setToolTip(self.ctx.why_not(Action.TRANSITION_SERIES))
        self.bands.load(screen.categories, d.assigned_bands)
        self._show_detail(True)
        self._update_buttons()
        self.loaded.emit()

    def _show_detail(self, shown: bool) -> None:
        self.tabs.setVisible(shown)
        self.empty_space.setVisible(not shown)

    def prepare_screenshot(self) -> None:
        """For the screenshot command: open the first active series (else the first one)."""
        first = None
        for top in self.tree.top_level_items():
            stack = children(top)
            while stack:
                item = stack.pop(0)
                first = first or item
                if item.text(1) == "Active":
                    self.tree.setCurrentItem(item)
                    return
                stack.extend(children(item))
        if first is not None:
            self.tree.setCurrentItem(first)

    def _update_buttons(self) -> None:
        s = self.series_screen.detail.series if self.series_screen and self._new_for_event is None else None
        editable = s is None or not is_terminal(s.status)
        self.form.set_editable(editable and self.ctx.may(
            Action.CREATE_SERIES if self._new_for_event else Action.UPDATE_SERIES))
        allowed = self.ctx.allowed(self.save_button)
        self.save_button.setEnabled(allowed and editable and self.form.valid and
                                    (s is not None or self._new_for_event is not None))
        self.save_button.setText("&Create series" if self._new_for_event else "&Save")
        # A generated series, or one already repeated, is not repeated again: say why, as for a role.
        why = ""
        if s is not None and s.parent_series_id is not None:
            why = "Generated from a recurring series: repeat that one instead."
        elif s is not None and self.series_screen is not None and self.series_screen.detail.children:
            why = f"{s.name} already has its generated series."
        may_recur = self.ctx.allowed(self.recur_button)
        self.recur_button.setEnabled(may_recur and s is not None and editable and not why)
        if may_recur:
            self.recur_button.setToolTip(why or "Make dated copies of this series")
        self.gates.apply.setEnabled(self.ctx.allowed(self.gates.apply) and s is not None and editable)
        self.bands.assign.setEnabled(self.ctx.allowed(self.bands.assign) and s is not None and editable)

    # ------------------------------------------------------------------ creating and saving

    def _event_chosen(self, event_id: uuid.UUID) -> None:
        self.heading.setText(f"<b>{_esc(self.tree.selectedItems()[0].text(0))}</b> — choose a series, "
                             "or New series.")
        self.series_screen = None
        self._show_detail(False)

    def start_new(self) -> None:
        event_id = self.tree.event_of_selection()
        if event_id is None:
            self.say("Choose the event the new series belongs to first.", ERROR_COLOR)
            return
        self._new_for_event = event_id
        self.series_screen = None
        self.form.load_blank(self._timezones.get(event_id, "UTC"))
        self.heading.setText("<span style='font-size:16pt;font-weight:600'>New series</span>")
        self._show_detail(True)
        self.tabs.setCurrentIndex(0)
        for i in range(1, self.tabs.count()):
            self.tabs.setTabEnabled(i, False)
        self._update_buttons()
        self.form.name.setFocus()

    def save(self) -> None:
        if not self.form.revalidate():
            return
        values = self.form.values()
        ctx = self.ctx
        if self._new_for_event is not None:
            event_id = self._new_for_event

            def create() -> SeriesChange:
                return series_svc.create_series(
                    ctx.store, ctx.actor, str(event_id), values.name, values.starts_at, values.ends_at,
                    values.capacity, checkin_opens_at=values.checkin_opens_at,
                    checkin_closes_at=values.checkin_closes_at, reentry_policy=values.reentry_policy,
                    description=values.description,
                )

            ctx.ops.run("create series", create, self._created, self._form_failed, owner=self)
            return
        if self.series_screen is None:
            return
        current = self.series_screen.detail.series
        changes = values.changes_from(current)
        if not changes:
            self.say("Nothing changed.", WARN_COLOR)
            return

        def update() -> SeriesChange:
            return series_svc.update_series(ctx.store, ctx.actor, str(current.id), current.version, changes)

        ctx.ops.run("save series", update, self._saved, self._form_failed, owner=self)

    def _created(self, change: SeriesChange) -> None:
        self._new_for_event = None
        for i in range(self.tabs.count()):
            self.tabs.setTabEnabled(i, True)
        self._after_write(change, f"{change.series.name} created as a draft.")
        self.series_screen = None
        self.refresh_then_open(change.series.id)

    def _saved(self, change: SeriesChange) -> None:
        self._after_write(change, f"{change.series.name} saved.")
        self.refresh()

    def refresh_then_open(self, series_id: uuid.UUID) -> None:
        def done(nodes: list[EventNode]) -> None:
            self._timezones = {n.event.id: n.event.timezone for n in nodes}
            self.tree.populate(nodes)
            self.tree.select(series_id)
            self.open_series(series_id)

        self.ctx.ops.run("load series tree", self._read_tree, done, self._failed, owner=self)

    def _after_write(self, change: SeriesChange | AssignResult, done: str) -> None:
        if change.warnings:
            self.say(done + " " + " ".join(change.warnings), WARN_COLOR)
        else:
            self.say(done, OK_COLOR)

    def _form_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.form.show_problems(exc.problems)
        self._failed(exc)

    # ------------------------------------------------------------------ gates, limits, bands

    def apply_gates(self, add: list[uuid.UUID], remove: list[uuid.UUID]) -> None:
        if self.series_screen is None:
            return
        if not add and not remove:
            self.say("The gates are as ticked already.", WARN_COLOR)
            return
        sid = str(self.series_screen.detail.series.id)
        ctx = self.ctx

        def write() -> None:
            if add:
                series_svc.assign_gates(ctx.store, ctx.actor, sid, [str(g) for g in add])
            if remove:
                series_svc.assign_gates(ctx.store, ctx.actor, sid, [str(g) for g in remove], remove=True)

        ctx.ops.run("assign gates", write, lambda _r: self._reload("Gates saved."), self._failed, owner=self)

    def set_limit(self, category_id: uuid.UUID, limit: int | None) -> None:
        if self.series_screen is None:
            return
        sid = str(self.series_screen.detail.series.id)
        ctx = self.ctx

        def write() -> SeriesChange:
            return series_svc.set_category_limit(ctx.store, ctx.actor, sid, str(category_id), limit)

        def done(change: SeriesChange) -> None:
            self._after_write(change, "Limit saved.")
            self.open_series(change.series.id)

        ctx.ops.run("set limit", write, done, self._failed, owner=self)

    def assign_category(self, category_id: uuid.UUID) -> None:
        if self.series_screen is None:
            return
        sid = str(self.series_screen.detail.series.id)
        ctx = self.ctx

        def write() -> AssignResult:
            return assignments.assign_bands(ctx.store, ctx.actor, sid, category_ref=str(category_id))

        def done(result: AssignResult) -> None:
            already = f", {result.already_assigned:,} were already" if result.already_assigned else ""
            text = f"{result.assigned:,} bands assigned{already}."
            self.bands.result.setText(text)
            self._after_write(result, text)
            self.open_series(uuid.UUID(sid))

        ctx.ops.run("assign bands", write, done, self._failed, owner=self)

    # ------------------------------------------------------------------ lifecycle and recurrence

    def ask_transition(self, target: SeriesStatus) -> None:
        if self.series_screen is None:
            return
        s = self.series_screen.detail.series
        verb = {SeriesStatus.CANCELLED: "cancel"}.get(target, f"move to {STATUS_WORDS[target].lower()}")
        dialog = ReasonDialog(f"{STATUS_WORDS[s.status]} → {STATUS_WORDS[target]}",
                              f"Why {verb} {s.name}? The reason is kept in its history and reports.", self)
        self.reason_dialog = dialog
        dialog.accepted.connect(lambda: self.transition(target, dialog.reason()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def transition(self, target: SeriesStatus, reason: str) -> None:
        if self.series_screen is None:
            return
        s = self.series_screen.detail.series
        ctx = self.ctx

        def write() -> SeriesChange:
            return series_svc.transition_series(ctx.store, ctx.actor, str(s.id), target, reason, s.version)

        def done(change: SeriesChange) -> None:
            self._after_write(change, f"{change.series.name} is now {STATUS_WORDS[target].lower()}.")
            self.refresh()

        ctx.ops.run("transition series", write, done, self._failed, owner=self)

    def ask_recurrence(self) -> None:
        if self.series_screen is None:
            return
        dialog = RecurringDialog(self.series_screen.detail.series, self.series_screen.detail.timezone, self)
        self.recurring_dialog = dialog
        dialog.accepted.connect(lambda: self.recur(dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def recur(self, dialog: RecurringDialog) -> None:
        if self.series_screen is None:
            return
        sid = str(self.series_screen.detail.series.id)
        rule, pattern = dialog.rule(), dialog.name_pattern()
        ctx = self.ctx

        def write() -> list[SeriesView]:
            return recurring.generate_recurring(ctx.store, ctx.actor, sid, rule, pattern)

        def done(children: list[SeriesView]) -> None:
            names = ", ".join(c.name for c in children)
            self.say(f"{len(children)} series created as drafts: {names}.", OK_COLOR)
            self.refresh()

        ctx.ops.run("recur series", write, done, self._failed, owner=self)

    # ------------------------------------------------------------------ messages

    def _reload(self, message: str) -> None:
        self.say(message, OK_COLOR)
        if self.series_screen is not None:
            self.open_series(self.series_screen.detail.series.id)

    def say(self, text: str, color: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.banner.show()

    def _failed(self, exc: BaseException) -> None:
        self.say(describe_failure(exc), ERROR_COLOR)
        if not isinstance(exc, BoxOfficeError):
            log.error("series page failed", exc_info=(type(exc), exc, exc.__traceback__))
        self.loaded.emit()


def _esc(text: Any) -> str:
    from html import escape

    return escape(str(text))
