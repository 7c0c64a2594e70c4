"""Gates: the live gate monitor — charts per gate, a table of figures, occupancy, and alerts.

All SQL runs on the Ops database thread: the first picture (``load_board``)
once per event and day, then every second only the check-ins inserted since
the board's cursor (``read_new``) and, every few seconds, the occupancy. The
GUI thread folds those few rows into the board and, at most four times a
second, redraws what changed (``setData`` only for changed gates). The time
spent in these slots is kept in ``update_seconds`` for the benchmark.

A station whose role may see figures but holds no check-ins (a viewer's:
``summary.reads_from_server``) has nothing to fold in: the page asks the
server for the day's aggregates every few seconds instead, on a thread of
its own so a slow server never holds up the database thread, and replaces
the board with each answer. When the server cannot be reached it keeps the
last figures and says, in one sentence, what time they are from.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain.permissions import Action
from boxoffice.errors import BoxOfficeError
from boxoffice.monitor import loader, summary
from boxoffice.monitor.alerts import Alert, Thresholds, evaluate
from boxoffice.monitor.board import GateBoard, SeriesFill
from boxoffice.schemas.board import GateBoardView
from boxoffice.schemas.scanner import GateDeviceView
from boxoffice.store.types import utcnow
from ui import settings as S
from ui.context import AppContext
from ui.ops import describe_failure
from ui.widgets.alert_list import AlertList
from ui.widgets.gate_charts import GateCharts
from ui.widgets.gate_table import GateTable
from ui.widgets.occupancy_panel import OccupancyPanel

if TYPE_CHECKING:  # imported for real on the worker thread: httpx stays off the GUI thread's start-up
    from boxoffice.monitor.remote import RemoteBoard

log = logging.getLogger(__name__)

POLL_MS = 1_000
#: A station reading the board from the server asks this often: each answer is the whole day.
REMOTE_POLL_MS = 5_000
REDRAW_MS = 250
FILL_EVERY_S = 3.0


def thresholds() -> Thresholds:
    """The alert thresholds the settings hold; the defaults when a stored value is out of range."""
    qs = S.qsettings()
    try:
        return Thresholds(idle_minutes=S.GATE_IDLE.read(qs), denial_rate_pct=S.DENIAL_RATE.read(qs),
                          denial_min_scans=S.DENIAL_MIN_SCANS.read(qs), occupancy_pct=S.OCCUPANCY.read(qs),
                          device_silent_minutes=S.DEVICE_SILENT.read(qs))
    except BoxOfficeError as exc:
        log.warning("alert thresholds in the settings are not usable (%s); using the defaults", exc)
        return Thresholds()


SCANNERS_MS = 10_000  # the phones send a heartbeat every 10 s


def describe_scanner(device: GateDeviceView, now: datetime) -> str:
    """One phone in a few words: lane, gate, online or not, scans waiting on it, last contact."""
    seconds = max(0, int((now - device.last_seen_at).total_seconds()))
    contact = f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"
    state = "online" if device.online else "OFFLINE"
    waiting = f", {device.queued} scans waiting" if device.queued else ""
    where = f"{device.gate or 'no gate'}, {device.direction}"
    return f"{device.lane} ({where}): {state}{waiting}, last contact {contact}"


class MonitorPage(QWidget):
    loaded = Signal()
    redrawn = Signal()
    title = "Gates"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(parent)
        self.setObjectName("gatesPage")
        self.ctx = ctx
        self.clock = clock
        self.board: GateBoard | None = None
        self.alerts: list[Alert] = []
        self.update_seconds = 0.0
        self.redraws = 0
        self._event_id: uuid.UUID | None = None
        self._loading = False
        self._polling = False
        self._dirty = False
        self._last_fill = 0.0
        self._last_full = 0.0
        # Reading from the server: its client (made on a worker thread, kept here between polls),
        # when the board shown was computed, and the sentence while the server cannot give them.
        self._remote: RemoteBoard | None = None
        self._figures_at: datetime | None = None
        self._problem: str | None = None

        self.events = QComboBox()
        self.events.setObjectName("monitorEvent")
        self.events.setMinimumWidth(200)
        self.message = QLabel()
        self.message.setObjectName("monitorMessage")
        # Wrapped, so a long status line never sets the window's minimum width (a small laptop screen).
        self.message.setWordWrap(True)
        self.last_hour = QPushButton("Last hour")
        self.last_hour.setObjectName("monitorLastHour")
        self.last_hour.setToolTip("Show the last 60 minutes on every chart (the wheel zooms, dragging pans)")
        self.whole_day = QPushButton("Whole day")
        self.whole_day.setObjectName("monitorWholeDay")
        self.whole_day.setToolTip("Show the whole day, midnight to midnight in the event's time zone")
        top = QHBoxLayout()
        top.addWidget(QLabel("Event"))
        top.addWidget(self.events)
        top.addWidget(self.message, 1)
        top.addWidget(self.last_hour)
        top.addWidget(self.whole_day)
        self.scanner_login = QPushButton("Scanner QR…")
        self.scanner_login.setObjectName("monitorScannerLogin")
        self.scanner_login.setToolTip("Make a gate token and show it as a QR code for a steward's phone")
        top.addWidget(self.scanner_login)
        # The gate scanner phones the server heard from (their heartbeats): lane, online, queue, contact.
        self.scanners = QLabel()
        self.scanners.setObjectName("monitorScanners")
        self.scanners.setWordWrap(True)
        self.scanners.hide()

        self.alert_list = AlertList()  # as tall as its alerts (a few rows at most), no empty band
        self.charts = GateCharts()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts)
        self.table = GateTable()
        self.occupancy = OccupancyPanel()
        fill_scroll = QScrollArea()
        fill_scroll.setWidgetResizable(True)
        fill_scroll.setWidget(self.occupancy)
        fill_scroll.setMinimumWidth(260)
        # Occupancy beside the charts, so the table has the page's whole width: at 1280×800 its eight
        # columns fit without a horizontal scroll bar.
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(scroll)
        upper.addWidget(fill_scroll)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.alert_list)
        layout.addWidget(self.scanners)
        layout.addWidget(split, 1)

        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(POLL_MS)
        self.poll_timer.timeout.connect(self.poll)
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.redraw)
        self.events.currentIndexChanged.connect(self._event_chosen)
        self.last_hour.clicked.connect(lambda: self.charts.show_last_hour(self.clock()))
        self.whole_day.clicked.connect(self.charts.show_day)
        self.scanner_login.clicked.connect(self._scanner_login)
        self.scanner_timer = QTimer(self)
        self.scanner_timer.setInterval(SCANNERS_MS)
        self.scanner_timer.timeout.connect(self.poll_scanners)

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Shown (or F5): list the events, then load the chosen one's board from scratch."""
        if not self.ctx.may(Action.VIEW_METRICS):
            self.message.setText(self.ctx.why_not(Action.VIEW_METRICS))
            return
        self.poll_timer.setInterval(REMOTE_POLL_MS if self.from_server else POLL_MS)
        self.table.show_devices(not self.from_server)  # the server sends no device names to a viewer
        self.ctx.ops.run("monitor events", lambda: loader.event_choices(self.ctx.store, self.ctx.actor),
                         self._show_events, self._failed, owner=self)

    def _show_events(self, choices: list[tuple[uuid.UUID, str]]) -> None:
        current = self._event_id
        self.events.blockSignals(True)
        self.events.clear()
        for event_id, name in choices:
            self.events.addItem(name, event_id)
        index = next((i for i, (e, _) in enumerate(choices) if e == current), 0)
        self.events.setCurrentIndex(index if choices else -1)
        self.events.blockSignals(False)
        if not choices:
            self.message.setText("No events yet: create one on the Series page.")
            return
        self._event_chosen(self.events.currentIndex())

    def _event_chosen(self, index: int) -> None:
        event_id = self.events.itemData(index) if index >= 0 else None
        if event_id is None:
            return
        self._event_id = event_id
        self.load()

    @property
    def from_server(self) -> bool:
        """Whether this station's role reads the board from the server (it holds no check-ins)."""
        return summary.reads_from_server(self.ctx.actor.role)

    def load(self) -> None:
        if self._event_id is None or self._loading:
            return
        self._loading = True
        self.message.setText("Loading today's check-ins…")
        event_id, now = self._event_id, self.clock()
        if self.from_server:
            if self.board is not None and self.board.event_id != event_id:
                self.board = None
            self.ctx.ops.run("monitor gates",
                             lambda: loader.gate_list(self.ctx.store, self.ctx.actor, str(event_id)),
                             self._timed(self.charts.prepare), self._failed, owner=self)
            self._fetch(event_id)
            return
        # Two jobs on the one DB thread: the gate list returns at once and the charts are built
        # on the GUI thread while the board's aggregate is still being read.
        self.ctx.ops.run("monitor gates",
                         lambda: loader.gate_list(self.ctx.store, self.ctx.actor, str(event_id)),
                         self._timed(self.charts.prepare), self._failed, owner=self)
        self.ctx.ops.run("monitor board",
                         lambda: loader.load_board(self.ctx.store, self.ctx.actor, str(event_id), now),
                         self._board_loaded, self._failed, owner=self)

    def _timed(self, slot: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(value: Any) -> None:
            started = time.perf_counter()
            slot(value)
            self.update_seconds += time.perf_counter() - started
        return run

    def _board_loaded(self, board: GateBoard) -> None:
        self._loading = False
        started = time.perf_counter()
        self.board = board
        now = self.clock()
        self.charts.rebuild(board, now)
        self.table.rebuild(board)
        self._last_fill = time.monotonic()
        self._dirty = True
        self.redraw()
        self.update_seconds += time.perf_counter() - started
        if self.isVisible():
            self.poll_timer.start()
            self.redraw_timer.start()
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._loading = self._polling = False
        self.message.setText(describe_failure(exc))

    # ------------------------------------------------------------------ from the server

    def _fetch(self, event_id: uuid.UUID) -> None:
        """Ask the server for the whole board, on a thread of its own (HTTP never waits on the DB thread)."""
        self._polling = True
        store, remote = self.ctx.store, self._remote

        def work() -> tuple[RemoteBoard, GateBoardView]:
            # httpx and its client are loaded here, off the GUI thread (as the sync worker does).
            from boxoffice.monitor.remote import RemoteBoard

            source = remote or RemoteBoard.from_store(store)
            try:
                return source, source.fetch(event_id)
            except BaseException:
                if remote is None:
                    source.close()  # made for this call and not handed back: close it here
                raise

        self.ctx.ops.spawn("monitor server board", work, self._fetched, self._fetch_failed, owner=self)

    def _fetched(self, result: tuple[RemoteBoard, GateBoardView]) -> None:
        source, view = result
        self._remote = source
        self._loading = self._polling = False
        if not self.isVisible():
            self._let_go_of_server()
        self._problem = None
        if view.event_id != self._event_id:
            return  # another event was chosen meanwhile; its own fetch is on the way
        self._figures_at = view.computed_at
        board = summary.board_of(view)
        if summary.succeeds(self.board, board):
            self.board = board
            self._dirty = True
            return
        self._board_loaded(board)

    def _fetch_failed(self, exc: BaseException) -> None:
        """Say what went wrong in one sentence, with the time of the figures still shown; keep asking."""
        from boxoffice.monitor.remote import BoardUnreachableError

        self._loading = self._polling = False
        if not self.isVisible():
            self._let_go_of_server()
        board, at = self.board, self._figures_at
        shown = ""
        if board is not None and at is not None:
            shown = f"{at.astimezone(board.tz):%H:%M:%S} ({board.tz.key} time)"
        if isinstance(exc, BoardUnreachableError):
            gone = f"The server at {exc.url} cannot be reached"
            self._problem = (f"{gone}; the figures shown are from {shown}." if shown
                             else f"{gone}; there are no figures yet.")
        else:
            self._problem = describe_failure(exc) + (f" The figures shown are from {shown}." if shown else "")
        self.message.setText(self._problem)
        if self.isVisible():
            self.poll_timer.start()  # keep asking: the figures come back with the server

    def _let_go_of_server(self) -> None:
        """Close the connection to the server while the page is hidden (the next look opens another)."""
        remote, self._remote = self._remote, None
        if remote is not None:
            remote.close()

    # ------------------------------------------------------------------ live updates

    def poll(self) -> None:
        """Ask the DB thread for check-ins after the cursor (and the occupancy every few seconds);
        a station reading from the server asks it for the whole board again."""
        board = self.board
        if self.from_server:
            if not (self._polling or self._loading) and self._event_id is not None:
                self._fetch(self._event_id)
            return
        if board is None or self._polling or self._loading:
            return
        if self.clock().astimezone(board.tz).date() != board.day:
            self.load()  # midnight in the event's time zone: a new day, a new board
            return
        self._polling = True
        cursor, event_id = board.cursor, board.event_id
        want_fill = time.monotonic() - self._last_fill >= FILL_EVERY_S
        now = self.clock()
        store, actor = self.ctx.store, self.ctx.actor

        def work() -> tuple[loader.NewScans, list[SeriesFill] | None]:
            new = loader.read_new(store, actor, cursor)
            return new, loader.load_fill(store, actor, event_id, now) if want_fill else None

        self.ctx.ops.run("monitor poll", work, self._apply, self._failed, owner=self)

    def _apply(self, result: tuple[loader.NewScans, list[SeriesFill] | None]) -> None:
        started = time.perf_counter()
        self._polling = False
        new, fill = result
        board = self.board
        if board is not None and new.cursor >= board.cursor:
            for scan in new.scans:
                board.add_scan(scan)
            board.cursor = new.cursor
            if fill is not None:
                board.series = fill
                self._last_fill = time.monotonic()
            self._dirty = self._dirty or bool(new.scans) or fill is not None
        self.update_seconds += time.perf_counter() - started
        if new.more:
            QTimer.singleShot(0, self.poll)  # a backlog: the next slice right away

    def redraw(self) -> None:
        """Coalesced: charts when data changed; figures and alerts at least once a second (ages move)."""
        board = self.board
        if board is None:
            return
        started = time.perf_counter()
        full_due = time.monotonic() - self._last_full >= 1.0
        if not (self._dirty or full_due):
            return
        now = self.clock()
        limits = thresholds()
        if self._dirty:
            self.charts.update_from(board)
        self.alerts = evaluate(board, limits, now)
        self.table.refresh(board, self.alerts, now)
        self.alert_list.show_alerts(self.alerts)
        self.occupancy.show_fill(board.series, limits.occupancy_pct)
        local = now.astimezone(board.tz)
        if self._problem is not None:
            self.message.setText(self._problem)
        else:
            source = ""
            if self.from_server and self._figures_at is not None:
                source = f"; figures from the server at {self._figures_at.astimezone(board.tz):%H:%M:%S}"
            self.message.setText(
                f"{board.event_name}: today {board.day:%a %d %b} (event time {local:%H:%M}), "
                f"{len(board.gates)} gates, {len(self.alerts)} alert(s){source}")
        self._dirty = False
        self._last_full = time.monotonic()
        self.redraws += 1
        self.update_seconds += time.perf_counter() - started
        self.redrawn.emit()

    # ------------------------------------------------------------------ scanner phones

    def _scanner_login(self) -> None:
        from ui.dialogs.scanner_login import ScannerLoginDialog

        ScannerLoginDialog(self.ctx, self).open()

    def poll_scanners(self) -> None:
        """Ask the server for the phones' heartbeats (a thread of its own); nothing without a server."""
        from boxoffice.monitor import scanners

        store = self.ctx.store
        self.ctx.ops.spawn("scanner devices", lambda: scanners.devices(store), self.show_scanners,
                           lambda exc: self.scanners.hide(), owner=self)

    def show_scanners(self, devices: list[GateDeviceView]) -> None:
        now = self.clock()
        lines = [describe_scanner(d, now) for d in devices]
        self.scanners.setText("Scanner phones: " + "; ".join(lines) if lines else "")
        self.scanners.setVisible(bool(lines))

    # ------------------------------------------------------------------ visibility

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.scanner_timer.start()
        if self.board is not None:
            self.poll_timer.start()
            self.redraw_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.scanner_timer.stop()
        self.poll_timer.stop()
        self.redraw_timer.stop()
        if not self._polling:
            self._let_go_of_server()  # else when its answer arrives
        super().hideEvent(event)

    def state(self) -> dict[str, Any]:
        """What the page shows, for tests: (alert kind, subject) of every alert listed."""
        return {"alerts": [(a.kind.value, a.subject) for a in self.alerts]}
