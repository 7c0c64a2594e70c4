"""One chart per gate (allowed and denied scans per minute), all sharing one time axis.

pyqtgraph, drawn only from the GUI thread with ``setData``; ``update`` gets
the board and redraws only the gates whose version changed since the last
draw. The X axis is in seconds of the event's local time (UTC epoch shifted by
the event's offset) so the axis reads the clock the gate supervisor sees.
The default view is the last 60 minutes; the mouse zooms and pans back over
the whole day, and every chart follows (``setXLink``).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QWidget

from boxoffice.monitor.board import GateBoard
from ui.style import ERROR_COLOR, OK_COLOR

log = logging.getLogger(__name__)

PLOT_HEIGHT = 110
DEFAULT_SPAN_S = 60 * 60


class GateCharts(pg.GraphicsLayoutWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gateCharts")
        self.setBackground("w")
        self.plots: dict[uuid.UUID, pg.PlotItem] = {}
        self.curves: dict[uuid.UUID, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._drawn: dict[uuid.UUID, int] = {}
        self._x: np.ndarray = np.zeros(0)
        self._shift = 0.0
        self._start = self._end = 0.0
        self._day: object = None
        #: GUI-thread time spent painting the charts (the benchmark adds it to the update slots').
        self.paint_seconds = 0.0

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.perf_counter()
        super().paintEvent(event)
        self.paint_seconds += time.perf_counter() - started

    def prepare(self, gates: list[tuple[uuid.UUID, str]]) -> None:
        """One plot per gate (building 24 PlotItems takes a few hundred ms: the page calls this
        while the board is still loading on the database thread, and again does nothing)."""
        if [(g, self.plots[g].titleLabel.text) for g in self.plots] == gates:
            return
        self.clear()
        self.plots.clear()
        self.curves.clear()
        self._drawn.clear()
        first: pg.PlotItem | None = None
        for row, (gate_id, name) in enumerate(gates):
            axis = pg.DateAxisItem(orientation="bottom", utcOffset=0)
            # No context menu: it was a third of each plot's construction; the page has buttons
            # for the two views a supervisor wants (the last hour, the whole day).
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": axis}, enableMenu=False)
            plot.setTitle(name, size="9pt", justify="left")
            plot.setMinimumHeight(PLOT_HEIGHT)
            plot.setMaximumHeight(PLOT_HEIGHT * 1.6)
            # No grid: its alpha-blended lines were 80 % of a repaint (148 ms of 24 charts, 31 ms without).
            plot.setLabel("left", "scans/min")
            plot.setMouseEnabled(x=True, y=False)
            plot.enableAutoRange(axis="y")
            plot.setAutoVisible(y=True)
            if first is None:  # the legend, on the top chart; it lists only curves plotted after it
                legend = plot.addLegend(offset=(-10, 5), labelTextSize="8pt")
                legend.setLabelTextColor("k")
            allowed = plot.plot(pen=pg.mkPen(OK_COLOR, width=1.5), name="allowed")
            denied = plot.plot(pen=pg.mkPen(ERROR_COLOR, width=1.5), name="denied")
            self.plots[gate_id] = plot
            self.curves[gate_id] = (allowed, denied)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
        self.setMinimumHeight(max(1, len(gates)) * PLOT_HEIGHT)

    def rebuild(self, board: GateBoard, now: datetime) -> None:
        """A new board (another event, or a new day): its day as the limits, the last hour in view."""
        self.prepare([(g, line.name) for g, line in board.gates.items()])
        self._drawn.clear()
        offset = board.day_start.astimezone(board.tz).utcoffset()
        self._shift = offset.total_seconds() if offset else 0.0
        start = board.day_start.timestamp() + self._shift
        # Each bucket is drawn at the middle of its minute.
        self._x = start + 30.0 + 60.0 * np.arange(board.minutes, dtype=float)
        for plot in self.plots.values():
            plot.setLimits(xMin=start, xMax=start + 60.0 * board.minutes, yMin=0)
        self._day = board.day
        self._start, self._end = start, start + 60.0 * board.minutes
        self.show_last_hour(now)
        self.update_from(board)

    def show_last_hour(self, now: datetime) -> None:
        if self.plots:
            end = now.timestamp() + self._shift
            next(iter(self.plots.values())).setXRange(end - DEFAULT_SPAN_S, end + 60, padding=0)

    def show_day(self) -> None:
        if self.plots:
            next(iter(self.plots.values())).setXRange(self._start, self._end, padding=0)

    def update_from(self, board: GateBoard) -> int:
        """setData for the gates that changed since the last draw; how many were redrawn."""
        redrawn = 0
        for gate_id, line in board.gates.items():
            if self._drawn.get(gate_id) == line.version:
                continue
            allowed, denied = self.curves[gate_id]
            allowed.setData(self._x, np.asarray(line.allowed, dtype=float))
            denied.setData(self._x, np.asarray(line.denied, dtype=float))
            self._drawn[gate_id] = line.version
            redrawn += 1
        return redrawn

    def data_of(self, gate_id: uuid.UUID) -> tuple[np.ndarray, np.ndarray]:
        """(allowed, denied) per minute as the chart holds them now (tests read these)."""
        allowed, denied = self.curves[gate_id]
        return allowed.yData, denied.yData

    def x_range(self) -> tuple[float, float]:
        first = next(iter(self.plots.values()))
        low, high = first.viewRange()[0]
        return float(low), float(high)
