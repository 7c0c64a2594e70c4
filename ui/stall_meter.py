"""Measures how long the GUI thread's event loop goes without turning: the stalls a person feels.

A timer asks to run every ``interval_ms``; the time between two runs beyond
that interval is a stall (the loop was busy with something else). Used by
tests and the GUI benchmark around a batch or a sync to show that the work
really happens off the GUI thread.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer


class StallMeter(QObject):
    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval_ms / 1000
        self.gaps: list[float] = []
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append(max(0.0, now - self._last - self.interval))
        self._last = now

    @property
    def worst_ms(self) -> float:
        return max(self.gaps, default=0.0) * 1000

    def percentile_ms(self, q: float) -> float:
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def over(self, ms: float) -> int:
        return sum(1 for g in self.gaps if g * 1000 > ms)
