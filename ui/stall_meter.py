"""Measures how long the GUI thread's event loop goes without turning: the stalls a person feels.

A timer asks to run every ``interval_ms``; the time between two runs beyond
that interval is a stall (the loop was busy with something else). Used by
tests and the GUI benchmark around a batch or a sync to show that the work
really happens off the GUI thread.

A stall that a test catches once in many loaded runs is useless without its
cause, so a watcher thread looks at the GUI thread's stack whenever the loop
has not turned for ``catch_ms``, and the meter keeps the stack seen during
the worst stall (``worst_stack``) for the failure message. A stall that no
thread can look at (the GIL held throughout) is often the garbage collector
walking a large heap, so the meter also keeps the longest collection.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import traceback

from PySide6.QtCore import QObject, QTimer


class StallMeter(QObject):
    def __init__(self, interval_ms: int = 5, catch_ms: int = 300, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval_ms / 1000
        self.catch = catch_ms / 1000
        self.gaps: list[float] = []
        self.worst_stack = ""
        self._last: float | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._gui_thread = threading.get_ident()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._stack_now = ""
        self._stack_since: float | None = None
        self.longest_gc = 0.0
        self.longest_gc_generation = -1
        self._gc_started: float | None = None

    def start(self) -> None:
        self.gaps.clear()
        self.worst_stack = ""
        self._gui_thread = threading.get_ident()
        self.longest_gc, self.longest_gc_generation = 0.0, -1
        gc.callbacks.append(self._collected)
        self._last = time.perf_counter()
        self._timer.start()
        self._stop.clear()
        self._watcher = threading.Thread(target=self._watch, name="stall-watcher", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()
        if self._collected in gc.callbacks:
            gc.callbacks.remove(self._collected)
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            gap = max(0.0, now - self._last - self.interval)
            if self._stack_now and self._stack_since == self._last and gap >= max(self.gaps, default=0.0):
                self.worst_stack = self._stack_now
            self.gaps.append(gap)
        self._last = now

    def _collected(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started is not None:
            took = time.perf_counter() - self._gc_started
            if took > self.longest_gc:
                self.longest_gc, self.longest_gc_generation = took, info["generation"]

    def _watch(self) -> None:
        """Samples the GUI thread's stack once per stall, as soon as the stall is ``catch_ms`` old."""
        while not self._stop.wait(self.catch / 3):
            last = self._last
            if last is None or last == self._stack_since or time.perf_counter() - last < self.catch:
                continue
            frame = sys._current_frames().get(self._gui_thread)
            if frame is None:
                continue
            stack = "".join(traceback.format_stack(frame))
            self._stack_now, self._stack_since = stack, last

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

    def report(self) -> str:
        """The worst stall and, when one was caught, where the GUI thread was during it."""
        where = f"\nGUI thread during the worst stall:\n{self.worst_stack}" if self.worst_stack else ""
        collector = (f", longest garbage collection {self.longest_gc * 1000:.1f} ms "
                     f"(generation {self.longest_gc_generation}, {len(gc.get_objects()):,} objects tracked)")
        return f"worst stall {self.worst_ms:.1f} ms{collector}{where}"
