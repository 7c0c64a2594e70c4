"""The encoding station: choose what to encode, then tap band after band.

The batch is an ``EncodingSession`` (``ui.encoding_session``): the reader and
the ``EncodeJob`` run as one ``Ops`` job, and their events reach the page as
signals in the GUI thread, where it updates the prompt, the counters and the
log and plays the tone. The page never touches the reader; it only hands the
session a factory for the configured one. Loading the choices and running a
batch are coroutines (``Ops.launch``) that read top to bottom.

The prompt is meant to be read from a metre away: one short sentence, large,
on a colour that says how the last band went (``ui.widgets.band_prompt``,
shared with the Sales page).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain.enums import EncodeOutcome, SeriesStatus
from boxoffice.domain.permissions import Action
from boxoffice.schemas.event import CategoryView, EventView
from boxoffice.schemas.series import SeriesView
from boxoffice.services import band_numbers, events
from boxoffice.services import series as series_svc
from hardware.readers.reader import Reader, ReaderEvent, ReaderEventKind
from hardware.station.encode_job import BatchParams, EventKind, JobEvent, JobResult
from ui import settings as S
from ui.context import AppContext
from ui.encoding_session import EncodingSession
from ui.ops import describe_failure
from ui.style import ERROR_COLOR, OK_COLOR, WARN_COLOR
from ui.widgets.band_prompt import IDLE_BG, OUTCOME_WORDS, BandPrompt, Tones, band_feedback

log = logging.getLogger(__name__)

ReaderFactory = Callable[[], Reader]

class EncodePage(QWidget):
    """Emits ``loaded`` when its choices are filled, ``batch_finished(JobResult)`` at the end of a batch.

    ``reader_status(text, ok)`` says how the reader is, for the status bar.
    """

    loaded = Signal()
    batch_finished = Signal(object)
    reader_status = Signal(str, bool)
    title = "Encode"

    def __init__(self, ctx: AppContext, reader_factory: ReaderFactory | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("encodePage")
        self.ctx = ctx
        # None: the reader the settings name, looked up at each batch (its name shown, screenshots on sim).
        self._configured = reader_factory is None
        self._reader_factory: ReaderFactory = reader_factory or S.configured_reader
        self.session: EncodingSession | None = None  # the running batch
        self.result: JobResult | None = None
        self.tones = Tones(self)
        self._events: list[EventView] = []
        self._pending_ticket: str | None = None

        # -- choices
        self.event_choice = QComboBox()
        self.event_choice.setObjectName("encodeEvent")
        self.category = QComboBox()
        self.category.setObjectName("encodeCategory")
        self.series = QListWidget()
        self.series.setObjectName("encodeSeries")
        self.series.setMaximumHeight(110)
        self.count = QSpinBox()
        self.count.setObjectName("encodeCount")
        self.count.setRange(1, 100_000)
        self.count.setValue(50)
        self.open_ended = QCheckBox("Until I stop")
        self.open_ended.setObjectName("encodeOpenEnded")
        count_row = QHBoxLayout()
        count_row.addWidget(self.count)
        count_row.addWidget(self.open_ended)
        self.reader_path = QLabel()
        self.reader_path.setObjectName("encodeReader")
        # What this station may still number offline (a station logged in to a server only).
        self.numbers = QLabel()
        self.numbers.setObjectName("encodeNumbers")
        self.numbers.setWordWrap(True)
        choices = QFormLayout()
        choices.addRow("&Event", self.event_choice)
        choices.addRow("&Category", self.category)
        choices.addRow("&Series", self.series)
        how_many = QLabel("How &many")  # a row given a layout gets no buddy: the & would show
        how_many.setBuddy(self.count)
        choices.addRow(how_many, count_row)
        choices.addRow("Reader", self.reader_path)
        self._numbers_row = choices.rowCount()
        choices.addRow("Numbers", self.numbers)
        self._choices_form = choices

        # -- controls
        self.start = QPushButton("&Start encoding")
        self.start.setObjectName("encodeStart")
        self.pause = QPushButton("&Pause")
        self.pause.setObjectName("encodePause")
        self.cancel = QPushButton("Stop")
        self.cancel.setObjectName("encodeCancel")
        self.save_manifest = QPushButton("Save manifest…")
        self.save_manifest.setObjectName("encodeManifest")
        controls = QHBoxLayout()
        for button in (self.start, self.pause, self.cancel, self.save_manifest):
            controls.addWidget(button)

        # -- ticket (a keyboard-wedge scanner types the code and Enter)
        self.ticket = QLineEdit()
        self.ticket.setObjectName("encodeTicket")
        self.ticket.setPlaceholderText("Scan or type a ticket code, then tap its band")
        self.ticket_note = QLabel()
        self.ticket_note.setObjectName("encodeTicketNote")

        # -- the prompt and counters
        self.prompt = BandPrompt("Choose what to encode, then Start.")
        self.prompt.setObjectName("encodePrompt")
        self.detail = QLabel()
        self.detail.setObjectName("encodeDetail")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("encodeProgress")
        self.done_label = QLabel("0")
        self.failed_label = QLabel("0")
        self.dup_label = QLabel("0")
        counters = QGridLayout()
        for col, (caption, label, color) in enumerate((("Encoded", self.done_label, OK_COLOR),
                                                       ("Failed", self.failed_label, ERROR_COLOR),
                                                       ("Duplicates", self.dup_label, WARN_COLOR))):
            label.setStyleSheet(f"font-size: 22pt; font-weight: 700; color: {color};")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            cap = QLabel(caption)
            cap.setAlignment(Qt.AlignmentFlag.AlignCenter)
            counters.addWidget(label, 0, col)
            counters.addWidget(cap, 1, col)

        self.log = QTableWidget(0, 4)
        self.log.setObjectName("encodeLog")
        self.log.setHorizontalHeaderLabels(["Time", "Band", "Result", "What happened"])
        self.log.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.log.verticalHeader().setVisible(False)
        self.log.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        left = QVBoxLayout()
        left.addLayout(choices)
        left.addLayout(controls)
        left.addWidget(QLabel("Ticket"))
        left.addWidget(self.ticket)
        left.addWidget(self.ticket_note)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.prompt)
        right.addWidget(self.detail)
        right.addWidget(self.progress)
        right.addLayout(counters)
        right.addWidget(self.log, 1)
        layout = QHBoxLayout(self)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMaximumWidth(420)
        layout.addWidget(left_box)
        layout.addLayout(right, 1)

        ctx.guard(self.start, Action.ENCODE_BANDS)
        self.event_choice.currentIndexChanged.connect(self._event_changed)
        self.category.currentIndexChanged.connect(self.show_numbers)
        self.open_ended.toggled.connect(lambda on: self.count.setEnabled(not on))
        self.start.clicked.connect(self.start_batch)
        self.pause.clicked.connect(self.toggle_pause)
        self.cancel.clicked.connect(self.cancel_batch)
        self.save_manifest.clicked.connect(self.ask_save_manifest)
        self.ticket.returnPressed.connect(self.take_ticket)
        self._set_running(False)

    # ------------------------------------------------------------------ choices

    def refresh(self) -> None:
        if self.session is not None:
            return  # never reshuffle the choices under a running batch
        self.reader_path.setText(self._reader_name())
        self.ctx.ops.launch("encode choices", self._load_choices(), owner=self)

    async def _load_choices(self) -> None:
        ctx = self.ctx
        try:
            found = await ctx.ops.call("encode events", lambda: events.list_events(ctx.store, ctx.actor))
        except Exception as exc:
            self._failed(exc)
            return
        self._events_loaded(found)
        event_id = self.event_choice.currentData()
        if event_id is None:
            self.loaded.emit()
            return
        await self._load_event(str(event_id))

    def _reader_name(self) -> str:
        return S.READER.read(S.qsettings()) if self._configured else "as configured"

    def _events_loaded(self, found: list[EventView]) -> None:
        current = self.event_choice.currentData()
        self._events = found
        self.event_choice.blockSignals(True)
        self.event_choice.clear()
        for ev in found:
            self.event_choice.addItem(ev.name, ev.id)
        index = self.event_choice.findData(current) if current is not None else 0
        self.event_choice.setCurrentIndex(max(index, 0))
        self.event_choice.blockSignals(False)

    def _event_changed(self, *_: object) -> None:
        event_id = self.event_choice.currentData()
        if event_id is None:
            self.loaded.emit()
            return
        self.ctx.ops.launch("encode choices", self._load_event(str(event_id)), owner=self)

    async def _load_event(self, event_id: str) -> None:
        ctx = self.ctx

        def read() -> tuple[list[CategoryView], list[SeriesView]]:
            return (events.list_categories(ctx.store, ctx.actor, event_id),
                    series_svc.list_series(ctx.store, ctx.actor, event_id))

        try:
            categories, series = await ctx.ops.call("encode choices", read)
        except Exception as exc:
            self._failed(exc)
            return
        self.category.clear()
        for c in categories:
            self.category.addItem(c.name, c.id)
        self.series.clear()
        for s in series:
            if s.status in (SeriesStatus.COMPLETED, SeriesStatus.CANCELLED):
                continue
            item = QListWidgetItem(f"{s.name} ({s.status.value})")
            item.setData(Qt.ItemDataRole.UserRole, s.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.series.addItem(item)
        self.loaded.emit()

    def show_numbers(self, *_: object) -> None:
        """Say how many band numbers of the chosen category this station holds for working offline."""
        store = self.ctx.store
        station = store.mode == "station"
        self._choices_form.setRowVisible(self._numbers_row, station)
        category_id = self.category.currentData()
        if not station or category_id is None:
            return
        self.ctx.ops.run("encode numbers", lambda: band_numbers.held(store),
                         lambda held: self.numbers.setText(numbers_text(held, category_id)), self._failed,
                         owner=self)

    def choose(self, category: str, series_names: list[str], count: int | None) -> None:
        """Set the choices by name (the screenshot command and tests use it; people click)."""
        self.category.setCurrentIndex(self.category.findText(category))
        for i in range(self.series.count()):
            item = self.series.item(i)
            name = item.text().rsplit(" (", 1)[0]
            item.setCheckState(Qt.CheckState.Checked if name in series_names else Qt.CheckState.Unchecked)
        self.open_ended.setChecked(count is None)
        if count is not None:
            self.count.setValue(count)

    screenshot_settle_ms = 6000  # the simulated box of bands takes a moment to fill

    def prepare_screenshot(self) -> None:
        """For the screenshot command: a dozen bands on the *simulated* reader (never a real one)."""
        if not self._configured or S.READER.read(S.qsettings()) != "sim":
            return
        if self.category.count() and self.series.count():
            self.choose(self.category.itemText(0), [self.series.item(0).text().rsplit(" (", 1)[0]], 12)
            self.start_batch()

    def chosen_series(self) -> list[uuid.UUID]:
        return [self.series.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.series.count())
                if self.series.item(i).checkState() == Qt.CheckState.Checked]

    # ------------------------------------------------------------------ the batch

    def start_batch(self) -> None:
        if self.session is not None:
            return
        event_id, category_id = self.event_choice.currentData(), self.category.currentData()
        if event_id is None or category_id is None:
            self.show_prompt("Choose an event and a category first.", ERROR_COLOR)
            return
        params = BatchParams(
            event_ref=str(event_id), category_ref=str(category_id),
            series_refs=tuple(str(s) for s in self.chosen_series()),
            count=None if self.open_ended.isChecked() else self.count.value(), station=self.ctx.station,
        )
        self.result = None
        self.log.setRowCount(0)
        self._show_progress(0, 0, 0, params.count)
        self.tones.enabled = S.SOUNDS.read(S.qsettings())
        self.show_prompt("Opening the reader…", IDLE_BG)
        self._set_running(True)
        session = EncodingSession(self.ctx.ops, self._reader_factory, self.ctx.store, self.ctx.actor, params,
                                  self)
        session.job_event.connect(self._on_job_event)
        session.reader_event.connect(self._on_reader_event)
        session.reader_state.connect(self.reader_status)
        self.session = session
        self.ctx.ops.launch("encoding batch", self._run_batch(session), owner=self)

    async def _run_batch(self, session: EncodingSession) -> None:
        # Started here, in the step that awaits it: the result cannot arrive before it is awaited,
        # so a failure reaches this handler, never the window's error box as well.
        session.start()
        try:
            result = await session
        except Exception as exc:  # logged by Ops when it is a bug; said here as a sentence
            self._on_failed(exc)
        else:
            self._on_finished(result)
        finally:
            session.deleteLater()

    def toggle_pause(self) -> None:
        session = self.session
        if session is None:
            return
        if self.pause.text() == "&Resume":
            session.resume()
            self.pause.setText("&Pause")
        else:
            session.pause()
            self.pause.setText("&Resume")

    def cancel_batch(self) -> None:
        if self.session is None:
            return
        self.show_prompt("Stopping after this band…", IDLE_BG)
        self.session.cancel()

    def take_ticket(self) -> None:
        code = self.ticket.text().strip()
        session = self.session
        if not code:
            return
        if session is None:
            self.ticket_note.setText("Start a batch first; then scan the ticket and tap its band.")
            return
        session.link_next_ticket(code)
        self._pending_ticket = code
        self.ticket.clear()
        self.ticket_note.setText(f"Ticket {code}: tap its band now.")
        self.show_prompt(f"Tap the band for ticket {code}", IDLE_BG)

    # ------------------------------------------------------------------ events from the job

    def _on_job_event(self, event: JobEvent) -> None:
        p = event.progress
        self._show_progress(p.done, p.failed, p.duplicates, p.requested)
        if event.kind is EventKind.STARTED:
            self.show_prompt(self._next_prompt(p.done, p.requested), IDLE_BG)
        elif event.kind is EventKind.BAND and event.band is not None:
            band = event.band
            self._log(band.uid, band.label, band.outcome, band.message)
            text, color, tone = band_feedback(band, self._reader_gone_prompt)
            self.tones.play(tone)
            self.show_prompt(text, color)
            if band.outcome is EncodeOutcome.OK and self._pending_ticket is not None and not band.repeat:
                self.ticket_note.setText(f"Ticket {self._pending_ticket} linked to {band.label}.")
                self._pending_ticket = None
            self.detail.setText(band.message)
        elif event.kind is EventKind.PAUSED:
            self.show_prompt("Paused", WARN_COLOR)
            self.detail.setText(event.message)
        elif event.kind is EventKind.RESUMED:
            self.show_prompt(self._next_prompt(p.done, p.requested), IDLE_BG)
        elif event.kind is EventKind.READER:
            self.detail.setText(event.message)

    _reader_gone_prompt = "Reader unplugged — plug it back in"

    def _on_reader_event(self, event: ReaderEvent) -> None:
        gone = event.kind.gone
        if event.kind is ReaderEventKind.NOT_ANSWERING:
            self._reader_gone_prompt = "The reader is not answering — check it"
        elif event.kind is ReaderEventKind.UNPLUGGED:
            self._reader_gone_prompt = "Reader unplugged — plug it back in"
        if gone:
            self.show_prompt(self._reader_gone_prompt, ERROR_COLOR)
            self.detail.setText(event.message)
        self.reader_status.emit(f"{event.reader} {event.kind.value if gone else 'connected'}", not gone)

    def _on_finished(self, result: JobResult) -> None:
        self.result = result
        self.session = None
        self._set_running(False)
        p = result.progress
        cancelled = result.status == "cancelled"
        if cancelled:
            self.show_prompt("Batch stopped", WARN_COLOR)
        else:
            self.show_prompt("Batch done", OK_COLOR)
        self.detail.setText(f"{p.done} encoded, {p.failed} failed, {p.duplicates} duplicates.")
        self.save_manifest.setEnabled(True)
        self.show_numbers()
        self.batch_finished.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        self.session = None
        self._set_running(False)
        self.show_prompt("The batch could not run", ERROR_COLOR)
        self.detail.setText(describe_failure(exc))
        self.batch_finished.emit(None)

    # ------------------------------------------------------------------ manifest

    def ask_save_manifest(self) -> None:
        if self.result is None:
            return
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        path, _ = QFileDialog.getSaveFileName(self, "Save the batch manifest", f"batch-{stamp}.csv",
                                              "CSV (*.csv);;JSON (*.json)")
        if path:
            self.write_manifest(Path(path))

    def write_manifest(self, path: Path) -> None:
        assert self.result is not None
        manifest = self.result.manifest
        text = manifest.to_json() if path.suffix.lower() == ".json" else manifest.to_csv()
        path.write_text(text, encoding="utf-8")
        self.detail.setText(f"Manifest saved: {path}")

    # ------------------------------------------------------------------ display

    def show_prompt(self, text: str, background: str) -> None:
        self.prompt.say(text, background)

    def _next_prompt(self, done: int, requested: int | None) -> str:
        return f"Tap band {done + 1} of {requested}" if requested else f"Tap band {done + 1}"

    def _show_progress(self, done: int, failed: int, dups: int, requested: int | None) -> None:
        self.done_label.setText(f"{done:,}")
        self.failed_label.setText(f"{failed:,}")
        self.dup_label.setText(f"{dups:,}")
        if requested:
            self.progress.setRange(0, requested)
            self.progress.setValue(min(done, requested))
        else:
            self.progress.setRange(0, 0)  # busy indicator for an open-ended batch

    def _event_zone(self) -> ZoneInfo | None:
        """The chosen event's time zone: times people read about an event are its wall clock."""
        event_id = self.event_choice.currentData()
        found = next((ev for ev in self._events if ev.id == event_id), None)
        try:
            return ZoneInfo(found.timezone) if found is not None else None
        except (ZoneInfoNotFoundError, ValueError):
            return None

    def _log(self, uid: str, label: str | None, outcome: EncodeOutcome, message: str) -> None:
        self.log.insertRow(0)
        zone = self._event_zone()
        now = datetime.now(zone) if zone is not None else datetime.now()
        header = self.log.horizontalHeaderItem(0)
        if header is not None and zone is not None:
            header.setText(f"Time ({now.tzname()})")
            header.setToolTip(f"The event's time, {zone.key}")
        for col, text in enumerate((now.strftime("%H:%M:%S"), label or uid,
                                    OUTCOME_WORDS.get(outcome, outcome.value), message)):
            item = QTableWidgetItem(text)
            if col == 2:
                item.setForeground(Qt.GlobalColor.darkGreen if outcome is EncodeOutcome.OK
                                   else Qt.GlobalColor.darkRed)
            self.log.setItem(0, col, item)

    def _set_running(self, running: bool) -> None:
        allowed = self.ctx.allowed(self.start)
        self.start.setEnabled(allowed and not running)
        self.pause.setEnabled(running)
        self.pause.setText("&Pause")
        self.cancel.setEnabled(running)
        self.save_manifest.setEnabled(not running and self.result is not None)
        for widget in (self.event_choice, self.category, self.series, self.count, self.open_ended):
            widget.setEnabled(not running)
        if not running:
            self.count.setEnabled(not self.open_ended.isChecked())

    def _failed(self, exc: BaseException) -> None:
        self.show_prompt(describe_failure(exc), ERROR_COLOR)
        self.loaded.emit()



def numbers_text(held: list[band_numbers.HeldNumbers], category_id: uuid.UUID) -> str:
    """The Numbers row: what is left of the category here, or that the server numbers the bands."""
    for h in held:
        if h.category_id == category_id:
            ranges = ", ".join(f"#{a:04d}" if a == b else f"#{a:04d}–#{b:04d}" for a, b in h.ranges[:3])
            more = ", …" if len(h.ranges) > 3 else ""
            return f"{h.free:,} left for offline ({ranges}{more})"
    return "None held: bands get their number from the server at the next sync."
