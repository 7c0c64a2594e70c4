"""Lookup: tap a band or type a UID or ticket code, see its card; void, mark lost or replace it.

Tapping works through the reader interface in ``hardware``, as an ``Ops``
job (``TapListener``): the page hears "a band with this UID" through a signal
and looks it up like a typed UID. Every change asks for confirmation and a
reason first; the card is read again afterwards so it shows what was stored.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from boxoffice.domain.enums import BandStatus, CheckinResult
from boxoffice.domain.permissions import Action
from boxoffice.schemas.wristband import WristbandView
from boxoffice.services import band_status, events, lookup
from boxoffice.services.lookup import BandCard
from hardware.readers.reader import Reader, ReaderEvent
from ui.context import AppContext
from ui.dialogs.reason import ReasonDialog
from ui.ops import Job, JobControl, Ops, describe_failure
from ui.style import ERROR_COLOR, OK_COLOR, WARN_COLOR

log = logging.getLogger(__name__)

STATUS_COLORS = {BandStatus.ACTIVE: OK_COLOR, BandStatus.PENDING: WARN_COLOR,
                 BandStatus.VOID: ERROR_COLOR, BandStatus.LOST: ERROR_COLOR}


class TapListener(QObject):
    """Waits for bands on a reader (an ``Ops`` job) and reports each UID once per tap.

    Turned off and on again before the reader has closed, the new listening
    starts when the old one has ended, so two never hold the reader at once.
    """

    tapped = Signal(str)
    failed = Signal(str)
    notice = Signal(str, bool)  # what the reader said (unplugged, not answering, back); all well?

    def __init__(self, ops: Ops, factory: Callable[[], Reader], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._factory = factory
        self._job: Job | None = None
        self._again = False  # start again once the job that is stopping has ended

    def start(self) -> None:
        if self._job is not None:
            self._again = self._job.control.cancelled
            return
        self._job = self._ops.start("lookup-reader", self._listen, progress=self._heard, success=self._ended,
                                    failure=self._ended, owner=self)

    def stop(self) -> None:
        """Stop listening; the reader closes within a second, in the background."""
        self._again = False
        if self._job is not None:
            self._job.cancel()

    @property
    def running(self) -> bool:
        return self._job is not None and not self._job.control.cancelled

    def _listen(self, control: JobControl) -> None:
        reader = self._factory()
        reader.on_event(control.report)
        with reader:
            while not control.cancelled:
                session = reader.wait_for_tag(control.stop)
                if session is None:
                    continue
                with session:
                    control.report(session.uid.hex().upper())
                    session.wait_removed(control.stop)

    def _heard(self, value: object) -> None:
        if isinstance(value, str):
            self.tapped.emit(value)
        elif isinstance(value, ReaderEvent):
            self.notice.emit(value.message, not value.kind.gone)

    def _ended(self, outcome: object) -> None:
        self._job = None
        if isinstance(outcome, BaseException):  # logged by Ops when it is a bug; the page says the sentence
            log.info("lookup reader stopped: %s", outcome)
            self._again = False
            self.failed.emit(describe_failure(outcome))
        elif self._again:
            self._again = False
            self.start()


class ReplaceDialog(QDialog):
    """The UID of the band that takes over (already encoded), and why."""

    def __init__(self, old_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replaceDialog")
        self.setWindowTitle(f"Replace {old_label}")
        self.new_uid = QLineEdit()
        self.new_uid.setPlaceholderText("UID of the new band, e.g. 04A1B2C3D4E5F6")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why, e.g. torn at the bar")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Replace")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel(f"The new band takes over {old_label}'s series and ticket; {old_label} is "
                           "denied at every gate from now on."))
        form.addRow("New band", self.new_uid)
        form.addRow("Reason", self.reason)
        form.addRow(self.buttons)
        self.new_uid.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.new_uid.text().strip()))


class LookupPage(QWidget):
    loaded = Signal()
    title = "Lookup"

    def __init__(self, ctx: AppContext, reader_factory: Callable[[], Reader] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lookupPage")
        self.ctx = ctx
        self.card: BandCard | None = None
        self.reason_dialog: ReasonDialog | None = None
        self.replace_dialog: ReplaceDialog | None = None
        self.listener = TapListener(ctx.ops, reader_factory, self) if reader_factory is not None else None

        self.query = QLineEdit()
        self.query.setObjectName("lookupQuery")
        self.query.setPlaceholderText("Tap a band, or type its UID or a ticket code, then Enter")
        self.find_button = QPushButton("&Find")
        self.find_button.setObjectName("lookupFind")
        self.listen = QPushButton("Listen on the reader")
        self.listen.setObjectName("lookupListen")
        self.listen.setCheckable(True)
        self.listen.setVisible(self.listener is not None)
        search = QHBoxLayout()
        search.addWidget(self.query, 1)
        search.addWidget(self.find_button)
        search.addWidget(self.listen)

        self.message = QLabel()
        self.message.setObjectName("lookupMessage")
        self.message.setWordWrap(True)
        self.heading = QLabel()
        self.heading.setObjectName("lookupHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.facts = QLabel()
        self.facts.setObjectName("lookupFacts")
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setWordWrap(True)
        self.series = QLabel()
        self.series.setObjectName("lookupSeries")
        self.series.setWordWrap(True)
        self.checkins = QTableWidget(0, 5)
        self.checkins.setObjectName("lookupCheckins")
        self.checkins.setHorizontalHeaderLabels(["When", "Gate", "Series", "In/out", "Result"])
        header = self.checkins.horizontalHeader()
        for column in range(4):  # the time on one line, the gate's name whole
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.checkins.verticalHeader().setVisible(False)
        self.checkins.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.void = QPushButton("Void…")
        self.void.setObjectName("lookupVoid")
        self.lost = QPushButton("Mark lost…")
        self.lost.setObjectName("lookupLost")
        self.replace = QPushButton("Replace…")
        self.replace.setObjectName("lookupReplace")
        actions = QHBoxLayout()
        actions.addStretch(1)
        for button in (self.void, self.lost, self.replace):
            actions.addWidget(button)
            ctx.guard(button, Action.VOID_BANDS)

        layout = QVBoxLayout(self)
        layout.addLayout(search)
        layout.addWidget(self.message)
        layout.addWidget(self.heading)
        layout.addWidget(self.facts)
        layout.addWidget(self.series)
        layout.addWidget(QLabel("Recent check-ins"))
        layout.addWidget(self.checkins, 1)
        layout.addLayout(actions)

        self.query.returnPressed.connect(self.lookup)
        self.find_button.clicked.connect(self.lookup)
        self.listen.toggled.connect(self._toggle_listen)
        if self.listener is not None:
            self.listener.tapped.connect(self._tapped)
            self.listener.failed.connect(self._listen_failed)
            self.listener.notice.connect(lambda text, ok: self.say(text, OK_COLOR if ok else ERROR_COLOR))
        self.void.clicked.connect(lambda: self.ask_status(BandStatus.VOID))
        self.lost.clicked.connect(lambda: self.ask_status(BandStatus.LOST))
        self.replace.clicked.connect(self.ask_replace)
        self._show_card(None)

    def prepare_screenshot(self) -> None:
        """For the screenshot command: the card of the band with the most recent check-in."""
        store = self.ctx.store

        def newest() -> str | None:
            from sqlalchemy import select

            from boxoffice.store.models import Checkin, Wristband

            with store.read() as session:
                return session.scalar(
                    select(Wristband.uid).join(Checkin, Checkin.wristband_id == Wristband.id)
                    .order_by(Checkin.occurred_at.desc()).limit(1))

        def show(uid: str | None) -> None:
            if uid:
                self.query.setText(uid)
                self.lookup_ref(uid)

        self.ctx.ops.run("screenshot band", newest, show, owner=self)

    def hideEvent(self, event: QHideEvent) -> None:
        # Another page (the encoder) may want the reader: stop listening when this page is left.
        self.listen.setChecked(False)
        super().hideEvent(event)

    def refresh(self) -> None:
        if self.card is not None:
            self.lookup_ref(self.card.uid)

    # ------------------------------------------------------------------ finding

    def lookup(self) -> None:
        ref = self.query.text().strip()
        if not ref:
            self.say("Type a UID or a ticket code first.", ERROR_COLOR)
            return
        self.lookup_ref(ref)

    def lookup_ref(self, ref: str) -> None:
        ctx = self.ctx

        def read() -> tuple[BandCard, str]:
            card = lookup.band_card(ctx.store, ctx.actor, ref)
            return card, events.get_event(ctx.store, ctx.actor, str(card.event_id)).timezone

        ctx.ops.run("look up band", read, self._found, self._not_found, owner=self)

    def _found(self, found: tuple[BandCard, str]) -> None:
        card, tz = found
        self.message.clear()
        self._show_card(card, ZoneInfo(tz))
        self.loaded.emit()

    def _not_found(self, exc: BaseException) -> None:
        self._show_card(None)
        self.say(describe_failure(exc), ERROR_COLOR)
        self.loaded.emit()

    def _tapped(self, uid: str) -> None:
        self.query.setText(uid)
        self.lookup_ref(uid)

    def _toggle_listen(self, on: bool) -> None:
        if self.listener is None:
            return
        if on:
            self.listener.start()
            self.listen.setText("Listening… (tap a band)")
        else:
            self.listener.stop()
            self.listen.setText("Listen on the reader")

    def _listen_failed(self, text: str) -> None:
        self.listen.setChecked(False)
        self.say(f"The reader cannot be used: {text} You can still type a UID.", ERROR_COLOR)

    # ------------------------------------------------------------------ the card

    def _show_card(self, card: BandCard | None, tz: ZoneInfo | None = None) -> None:
        self.card = card
        shown = card is not None
        for widget in (self.heading, self.facts, self.series, self.checkins):
            widget.setVisible(shown)
        if card is None or tz is None:
            for button in (self.void, self.lost, self.replace):
                button.setEnabled(False)
            return
        color = STATUS_COLORS.get(card.status, "#555")
        e = html.escape  # names, reasons and codes are typed by people: never markup
        self.heading.setText(
            f"<span style='font-size:18pt;font-weight:700'>{e(card.label)}</span>&nbsp;&nbsp;"
            f"<span style='color:{color};font-weight:700'>{card.status.value.upper()}</span>"
            f"<br><span style='color:#666'>{e(card.event)} · UID {e(card.uid)}</span>")
        facts = [f"Category: <b>{e(card.category)}</b>"]
        if card.encoded_at:
            where = f" at {e(card.station)}" if card.station else ""
            facts.append(f"Encoded {card.encoded_at.astimezone(tz):%a %d %b %H:%M}{where}")
        if card.status_reason:
            facts.append(f"Why {card.status.value}: {e(card.status_reason)}")
        if card.replaces_uid:
            facts.append(f"Replaces band {e(card.replaces_uid)}")
        if card.replaced_by_uid:
            facts.append(f"Replaced by band {e(card.replaced_by_uid)}")
        if card.ticket:
            holder = f" — {e(card.ticket.holder_name)}" if card.ticket.holder_name else ""
            facts.append(f"Ticket <b>{e(card.ticket.code)}</b>{holder}")
        else:
            facts.append("No ticket linked")
        self.facts.setText("<br>".join(facts))
        self.series.setText("Series: " + (", ".join(f"{s.name} ({s.status.value})" for s in card.series)
                                          or "none assigned"))
        self.checkins.setRowCount(len(card.checkins))
        for r, c in enumerate(card.checkins):
            result = "Allowed" if c.result is CheckinResult.ALLOWED else f"Denied: {c.message}"
            for col, text in enumerate((f"{c.at.astimezone(tz):%a %d %b %H:%M:%S}", c.gate, c.series,
                                        c.direction.value, result)):
                self.checkins.setItem(r, col, QTableWidgetItem(text))
        finished = card.status in (BandStatus.ACTIVE, BandStatus.LOST, BandStatus.VOID)
        self.void.setEnabled(self.ctx.allowed(self.void) and card.status is BandStatus.ACTIVE)
        self.lost.setEnabled(self.ctx.allowed(self.lost) and card.status is BandStatus.ACTIVE)
        self.replace.setEnabled(self.ctx.allowed(self.replace) and finished and not card.replaced_by_uid)

    # ------------------------------------------------------------------ changing a band

    def ask_status(self, status: BandStatus) -> None:
        card = self.card
        if card is None:
            return
        what = "void" if status is BandStatus.VOID else "mark lost"
        dialog = ReasonDialog(f"{what.capitalize()} {card.label}",
                              f"{what.capitalize()} {card.label} ({card.uid})? It is denied at every gate "
                              "from then on. Say why.", self)
        self.reason_dialog = dialog
        dialog.accepted.connect(lambda: self.set_status(status, dialog.reason()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def set_status(self, status: BandStatus, reason: str) -> None:
        card = self.card
        if card is None:
            return
        ctx = self.ctx
        change = band_status.void_band if status is BandStatus.VOID else band_status.mark_lost

        def write() -> WristbandView:
            return change(ctx.store, ctx.actor, card.uid, reason=reason, event_ref=str(card.event_id))

        def done(_band: WristbandView) -> None:
            self.say(f"{card.label} is now {status.value}.", OK_COLOR)
            self.lookup_ref(card.uid)

        ctx.ops.run("change band", write, done, self._write_failed, owner=self)

    def ask_replace(self) -> None:
        card = self.card
        if card is None:
            return
        dialog = ReplaceDialog(card.label, self)
        self.replace_dialog = dialog
        dialog.accepted.connect(lambda: self.replace_with(dialog.new_uid.text().strip(),
                                                          dialog.reason.text().strip() or None))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def replace_with(self, new_uid: str, reason: str | None) -> None:
        card = self.card
        if card is None:
            return
        ctx = self.ctx

        def write() -> WristbandView:
            return band_status.replace_band(ctx.store, ctx.actor, card.uid, new_uid,
                                            event_ref=str(card.event_id), reason=reason)

        def done(band: WristbandView) -> None:
            self.say(f"{card.label} replaced by band {band.uid}; the old band is denied from now on.",
                     OK_COLOR)
            self.query.setText(band.uid)
            self.lookup_ref(band.uid)

        ctx.ops.run("replace band", write, done, self._write_failed, owner=self)

    def _write_failed(self, exc: BaseException) -> None:
        self.say(describe_failure(exc), ERROR_COLOR)
        self.loaded.emit()

    def say(self, text: str, color: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {color}; font-weight: 600;")

    def shutdown(self) -> None:
        if self.listener is not None:
            self.listener.stop()
