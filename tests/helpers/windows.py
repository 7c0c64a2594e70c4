"""The main window under test: the factory type the ``make_window`` fixture yields, waiting for its work.

``Festival`` is what the ui ``festival`` fixture returns (an event ``EVENT``
in ``TZ`` with two categories, two gates and a draft series); ``wait_idle``
waits until the window's database thread has nothing pending.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow
from ui.ops import Ops

EVENT = "Harbour Days"
TZ = "Europe/Amsterdam"

WindowFactory = Callable[..., MainWindow]


@dataclass
class Festival:
    event_id: str
    series_id: str
    gates: dict[str, str]
    categories: dict[str, str]


def wait_idle(qtbot: QtBot, ops: Ops, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: ops.pending == 0, timeout=timeout)
