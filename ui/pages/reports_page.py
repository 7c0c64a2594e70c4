"""Reports: pick a report and what it covers, preview the PDF, save it (and its CSVs), print it.

Gathering and laying out a report can take seconds (a million check-ins, thousands of pages), so
it runs on a thread of its own through ``Ops.spawn``; the page shows a busy bar and the pages laid
out so far, and stays usable. The finished PDF is kept as bytes: the preview reads it from a
memory buffer, Save copies it, Print renders its pages with QtPdf onto the printer.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from PySide6.QtCore import QBuffer, QByteArray, QDate, QDateTime, QIODevice, QObject, QRect, QTime, Signal
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from boxoffice.errors import BoxOfficeError
from boxoffice.reports.cashup import parse_counted
from boxoffice.reports.kinds import PERMISSION, TITLES, ReportKind
from boxoffice.reports.scopes import EventScope, report_scopes
from ui.context import AppContext
from ui.ops import describe_failure

if TYPE_CHECKING:
    from boxoffice.reports.model import Report

log = logging.getLogger(__name__)

ALL_SERIES = "All series"
# Printing renders each page to an image at this resolution: sharp on paper, small enough to be quick.
PRINT_DPI = 200


#: The reports over a time range of sales (the others cover what their event or series holds).
RANGED = (ReportKind.CASHUP, ReportKind.SALES)


@dataclass(frozen=True)
class SalesRange:
    """What the sales options ask for: ``start``/``end`` (None: the first sale, now), the drawer's count."""

    start: datetime | None
    end: datetime | None
    counted: dict[str, int]
    station: str | None


@dataclass(frozen=True)
class Rendered:
    report: Report
    pdf: bytes
    pages: int


class _Progress(QObject):
    """Carries "N pages laid out" from the rendering thread to the page (a queued signal)."""

    pages = Signal(int)


class ReportsPage(QWidget):
    loaded = Signal()
    # A report is on screen (tests wait for it).
    shown = Signal()
    saved = Signal(str)
    title = "Reports"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportsPage")
        self.ctx = ctx
        self.scopes: list[EventScope] = []
        self.rendered: Rendered | None = None
        # The preview reads the PDF from this buffer; it must outlive the document's use of it.
        self._buffer: QBuffer | None = None
        self._progress = _Progress(self)
        self._progress.pages.connect(self._on_pages)

        self.kind = QComboBox()
        self.kind.setObjectName("reportKind")
        for k in ReportKind:
            self.kind.addItem(TITLES[k], k.value)
        self.event_choice = QComboBox()
        self.event_choice.setObjectName("reportEvent")
        self.series = QComboBox()
        self.series.setObjectName("reportSeries")
        self.generate = QPushButton("&Generate")
        self.generate.setObjectName("reportGenerate")
        self.generate.setDefault(True)
        self.save = QPushButton("&Save…")
        self.save.setObjectName("reportSave")
        self.print_button = QPushButton("&Print…")
        self.print_button.setObjectName("reportPrint")
        self.with_csv = QCheckBox("Also CSV files")
        self.with_csv.setToolTip("Save every table of the report as a CSV file in a folder beside the PDF.")
        self.busy = QProgressBar()
        self.busy.setObjectName("reportBusy")
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(160)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.status = QLabel("Pick a report and what it covers, then Generate.")
        self.status.setObjectName("reportStatus")

        # -- the cash-up's and sales report's options: a shift, the counted drawer, one station
        self.from_on = QCheckBox("&From")
        self.from_on.setObjectName("reportFromOn")
        self.from_on.setToolTip("Unticked: from the event's first sale.")
        self.from_time = QDateTimeEdit()
        self.from_time.setObjectName("reportFrom")
        self.to_on = QCheckBox("&To")
        self.to_on.setObjectName("reportToOn")
        self.to_on.setToolTip("Unticked: until now.")
        self.to_time = QDateTimeEdit()
        self.to_time.setObjectName("reportTo")
        for edit in (self.from_time, self.to_time):
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            edit.setEnabled(False)
        self.zone_note = QLabel()
        self.zone_note.setObjectName("reportZone")
        self.counted = QLineEdit()
        self.counted.setObjectName("reportCounted")
        self.counted.setPlaceholderText("e.g. EUR=412.50 (blank: lines to write on)")
        self.counted.setToolTip("The cash counted in the drawer, once per currency, like EUR=412.50; "
                                "the cash-up shows it against what the sales say and the difference.")
        self.station = QLineEdit()
        self.station.setObjectName("reportStation")
        self.station.setPlaceholderText("all stations")
        counted_label, station_label = QLabel("&Counted"), QLabel("St&ation")
        counted_label.setBuddy(self.counted)
        station_label.setBuddy(self.station)
        self._cash_only = (counted_label, self.counted, station_label, self.station)
        self.options = QWidget()
        self.options.setObjectName("reportSalesOptions")
        options = QHBoxLayout(self.options)
        options.setContentsMargins(0, 0, 0, 0)
        for option in (self.from_on, self.from_time, self.to_on, self.to_time, self.zone_note):
            options.addWidget(option)
        options.addSpacing(12)
        options.addWidget(counted_label)
        options.addWidget(self.counted, 1)
        options.addWidget(station_label)
        options.addWidget(self.station)
        self.options.hide()

        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setObjectName("reportPreview")
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        pick = QHBoxLayout()
        for label, widget in (("Report", self.kind), ("Event", self.event_choice), ("Series", self.series)):
            pick.addWidget(QLabel(label))
            pick.addWidget(widget, 1)
        pick.addWidget(self.generate)
        actions = QHBoxLayout()
        actions.addWidget(self.busy)
        actions.addWidget(self.status, 1)
        actions.addWidget(self.with_csv)
        actions.addWidget(self.save)
        actions.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addWidget(self.options)
        layout.addLayout(actions)
        layout.addWidget(self.view, 1)

        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.event_choice.currentIndexChanged.connect(self._event_changed)
        self.generate.clicked.connect(self.start)
        self.save.clicked.connect(self.ask_save)
        self.print_button.clicked.connect(self.ask_print)
        self.from_on.toggled.connect(self.from_time.setEnabled)
        self.to_on.toggled.connect(self.to_time.setEnabled)
        self._update_buttons()

    # ------------------------------------------------------------------ scope pickers

    #: ``gui --screenshot`` waits this long after showing the page, so the report is on screen.
    screenshot_settle_ms = 6000

    def prepare_screenshot(self) -> None:
        """For ``gui --screenshot``: generate the report the pickers show, as a person would."""
        if self.generate.isEnabled():
            self.start()

    def refresh(self) -> None:
        self.ctx.ops.run("load report scopes", lambda: report_scopes(self.ctx.store, self.ctx.actor),
                         self._scopes_loaded, self._failed, owner=self)

    def _scopes_loaded(self, scopes: list[EventScope]) -> None:
        current = self.event_choice.currentData()
        self.scopes = scopes
        self.event_choice.blockSignals(True)
        self.event_choice.clear()
        for scope in scopes:
            self.event_choice.addItem(scope.name, str(scope.id))
        index = self.event_choice.findData(current)
        self.event_choice.setCurrentIndex(max(index, 0))
        self.event_choice.blockSignals(False)
        self._event_changed()
        self.loaded.emit()

    def _event_changed(self) -> None:
        current = self.series.currentData()
        self.series.clear()
        scope = self._scope()
        if scope is not None:
            if self._kind() is not ReportKind.SERIES:
                self.series.addItem(ALL_SERIES, None)
            for sid, name in scope.series:
                self.series.addItem(name, str(sid))
        index = self.series.findData(current)
        self.series.setCurrentIndex(max(index, 0))
        self._show_zone()
        self._update_buttons()

    def _kind_changed(self) -> None:
        kind = self._kind()
        self.event_choice.setEnabled(kind is not ReportKind.CONFLICTS)
        self._event_changed()
        self.series.setEnabled(kind in (ReportKind.SERIES, ReportKind.GATES))
        self.options.setVisible(kind in RANGED)
        for cash_widget in self._cash_only:
            cash_widget.setVisible(kind is ReportKind.CASHUP)

    def _zone(self) -> ZoneInfo | None:
        scope = self._scope()
        try:
            return ZoneInfo(scope.timezone) if scope is not None else None
        except (ValueError, KeyError):
            return None

    def _show_zone(self) -> None:
        """The range is typed in the event's wall clock; the shift defaults to today there."""
        zone = self._zone()
        self.zone_note.setText(f"({zone.key})" if zone is not None else "")
        if zone is None or self.from_on.isChecked() or self.to_on.isChecked():
            return
        now = datetime.now(zone).replace(second=0, microsecond=0, tzinfo=None)
        midnight = datetime.combine(now.date(), time())
        self.from_time.setDateTime(_wall(midnight))
        self.to_time.setDateTime(_wall(now + timedelta(minutes=1)))

    def sales_range(self) -> SalesRange:
        """The options as the report asks for them; a sentence (ValidationError) for a bad count."""
        zone = self._zone()

        def instant(edit: QDateTimeEdit) -> datetime:
            wall = edit.dateTime().toPython()
            assert isinstance(wall, datetime)
            return wall.replace(tzinfo=zone) if zone is not None else wall.astimezone()

        start = instant(self.from_time) if self.from_on.isChecked() else None
        end = instant(self.to_time) if self.to_on.isChecked() else None
        cash = self._kind() is ReportKind.CASHUP
        counted = parse_counted(self.counted.text().replace(",", " ").split()) if cash else {}
        station = self.station.text().strip() or None if cash else None
        return SalesRange(start, end, counted, station)

    def _kind(self) -> ReportKind:
        return ReportKind(self.kind.currentData())

    def _scope(self) -> EventScope | None:
        wanted = self.event_choice.currentData()
        return next((s for s in self.scopes if str(s.id) == wanted), None)

    def choose(self, kind: ReportKind, event_id: str | None = None, series_id: str | None = None) -> None:
        """Set the pickers (tests, and a later "report on this series" action elsewhere)."""
        self.kind.setCurrentIndex(self.kind.findData(kind.value))
        if event_id is not None:
            self.event_choice.setCurrentIndex(self.event_choice.findData(event_id))
        if series_id is not None:
            self.series.setCurrentIndex(self.series.findData(series_id))

    def _update_buttons(self) -> None:
        running = self.busy.isVisible()
        kind = self._kind()
        scoped = kind is ReportKind.CONFLICTS or (
            self._scope() is not None and (kind is not ReportKind.SERIES or self.series.currentData()))
        # Each report asks for its own right (kinds.PERMISSION): a station may cash up, not read metrics.
        allowed = self.ctx.may(PERMISSION[kind])
        self.generate.setToolTip("" if allowed else self.ctx.why_not(PERMISSION[kind]))
        self.generate.setEnabled(allowed and not running and bool(scoped))
        self.save.setEnabled(self.rendered is not None and not running)
        self.print_button.setEnabled(self.rendered is not None and not running)

    # ------------------------------------------------------------------ generating

    def start(self) -> None:
        kind = self._kind()
        event_id = None if kind is ReportKind.CONFLICTS else self.event_choice.currentData()
        series_id = self.series.currentData() if kind in (ReportKind.SERIES, ReportKind.GATES) else None
        store, actor, progress = self.ctx.store, self.ctx.actor, self._progress
        try:
            options = self.sales_range() if kind in RANGED else SalesRange(None, None, {}, None)
        except BoxOfficeError as exc:  # a count typed wrong: said, nothing gathered
            self.status.setText(exc.message)
            return

        def work() -> Rendered:
            # Imported here, on the worker: reportlab stays out of the window's start-up.
            from boxoffice.reports.build import build_report
            from boxoffice.reports.pdf import render_pdf

            report = build_report(store, actor, kind.value, series=series_id, event=event_id,
                                  start=options.start, end=options.end, counted=options.counted,
                                  station=options.station)
            buffer = io.BytesIO()
            pages = render_pdf(report, buffer, progress=progress.pages.emit)
            return Rendered(report, buffer.getvalue(), pages)

        self.busy.show()
        self.status.setText(f"Gathering the {TITLES[kind].lower()}…")
        self._update_buttons()
        self.ctx.ops.spawn("render report", work, self._rendered, self._failed, owner=self)

    def _on_pages(self, pages: int) -> None:
        if self.busy.isVisible():
            self.status.setText(f"Laying out… {pages:,} page{'s' if pages != 1 else ''}")

    def _rendered(self, rendered: Rendered) -> None:
        self.busy.hide()
        self.document.close()
        buffer = QBuffer(self)
        buffer.setData(QByteArray(rendered.pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(buffer)
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer
        error = self.document.error()
        if error != QPdfDocument.Error.None_:
            self.rendered = None
            self.status.setText(f"The preview could not be opened ({error.name}).")
        else:
            self.rendered = rendered
            self.status.setText(f"{rendered.report.title} · {rendered.pages:,} "
                                f"page{'s' if rendered.pages != 1 else ''}")
        self._update_buttons()
        self.shown.emit()

    def _failed(self, exc: BaseException) -> None:
        self.busy.hide()
        self.status.setText(describe_failure(exc))
        self._update_buttons()
        self.loaded.emit()

    # ------------------------------------------------------------------ saving and printing

    def ask_save(self) -> None:
        if self.rendered is None:
            return
        suggested = f"{self.rendered.report.title.replace(':', ' -')}.pdf"
        path, _ = QFileDialog.getSaveFileName(self, "Save report", suggested, "PDF files (*.pdf)")
        if path:
            self.save_to(Path(path), Path(path).with_suffix("") if self.with_csv.isChecked() else None)

    def save_to(self, path: Path, csv_dir: Path | None = None) -> None:
        """Write the PDF (and the CSVs into ``csv_dir``) on a worker thread; ``saved`` says where."""
        rendered = self.rendered
        if rendered is None:
            return

        def work() -> str:
            from boxoffice.reports.csv_export import write_csv
            from boxoffice.reports.pdf import PdfWriteError

            try:
                path.write_bytes(rendered.pdf)
            except OSError as exc:
                raise PdfWriteError(f"Could not save the report to {path}: {exc.strerror}.") from exc
            files = write_csv(rendered.report, csv_dir) if csv_dir is not None else []
            extra = f" and {len(files)} CSV files in {csv_dir}" if files else ""
            return f"Saved to {path}{extra}."

        def done(text: str) -> None:
            self.status.setText(text)
            self.saved.emit(str(path))

        self.ctx.ops.spawn("save report", work, done, self._failed, owner=self)

    def ask_print(self) -> None:
        if self.rendered is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.rendered.report.title)
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, self.document.pageCount())
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> int:
        """Render every page (or the range chosen in the dialog) onto ``printer``; returns pages printed."""
        first, last = printer.fromPage(), printer.toPage()
        if first == 0:
            first, last = 1, self.document.pageCount()
        painter = QPainter()
        if not painter.begin(printer):
            self.status.setText("The printer could not be started; check it in the system settings.")
            return 0
        printed = 0
        try:
            for number in range(first, last + 1):
                if printed:
                    printer.newPage()
                target = painter.viewport()
                size = self.document.pagePointSize(number - 1)
                scale = min(target.width() / size.width(), target.height() / size.height())
                width, height = int(size.width() * scale), int(size.height() * scale)
                pixels = (size * (PRINT_DPI / 72)).toSize()
                image = self.document.render(number - 1, pixels)
                painter.drawImage(QRect(0, 0, width, height), image)
                printed += 1
        finally:
            painter.end()
        self.status.setText(f"Sent {printed:,} page{'s' if printed != 1 else ''} to the printer.")
        log.info("printed %d pages of %s", printed, self.document.metaData(QPdfDocument.MetaDataField.Title))
        return printed


def _wall(moment: datetime) -> QDateTime:
    return QDateTime(QDate(moment.year, moment.month, moment.day), QTime(moment.hour, moment.minute))


__all__ = ["ReportsPage"]
