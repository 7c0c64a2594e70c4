"""The stall meter names what blocked the GUI thread: its stack, and the longest garbage collection."""

from __future__ import annotations

import gc
import time

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from ui.stall_meter import StallMeter


def block_the_loop_for_a_while() -> None:
    time.sleep(0.6)


def test_a_blocked_loop_is_measured_with_the_stack_that_blocked_it(qtbot: QtBot) -> None:
    meter = StallMeter(interval_ms=5, catch_ms=100)
    meter.start()
    ran: list[bool] = []
    QTimer.singleShot(50, lambda: (block_the_loop_for_a_while(), ran.append(True)))
    qtbot.waitUntil(lambda: bool(ran), timeout=10_000)
    qtbot.wait(50)
    meter.stop()
    assert meter.worst_ms >= 500
    assert "block_the_loop_for_a_while" in meter.worst_stack
    assert "block_the_loop_for_a_while" in meter.report()


@pytest.mark.slow
@pytest.mark.usefixtures("settled_heap")
def test_a_stack_is_kept_only_for_a_stall_and_the_collector_is_timed(qtbot: QtBot) -> None:
    meter = StallMeter(interval_ms=5, catch_ms=300)
    meter.start()
    gc.collect(0)  # the youngest generation only: quick whatever the suite left in this process
    qtbot.wait(100)
    meter.stop()
    # Nothing here blocks on purpose; should the machine stall the loop anyway, the kept stack
    # belongs to a stall at least as long as the bound.
    assert meter.worst_stack == "" or meter.worst_ms >= 300 - 5
    assert meter.longest_gc_generation >= 0 and meter.longest_gc > 0
    assert "longest garbage collection" in meter.report()
    assert gc.callbacks.count(meter._collected) == 0  # stop() leaves the collector as it found it
