"""Real widgets over real SQLite files, offscreen; each test's QSettings in its own folder.

Background work really runs on the database thread (``ui.ops``); tests wait
for its results with ``qtbot.waitUntil`` instead of a fake synchronous pool,
so the threading the app uses is the threading under test.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from boxoffice.domain.enums import GateKind, Role
from boxoffice.services import events
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from tests.helpers import sync_fixtures
from tests.helpers.sync import no_keyring
from tests.helpers.windows import EVENT, TZ, Festival, WindowFactory
from ui.app import build_window
from ui.heap import settle_heap
from ui.main_window import MainWindow
from ui.ops import asyncio_on_qt

#: How long a test's background work may take to notice that its window closed.
WORK_STOP_BOUND_S = 15.0


def _running_work(before: set[int | None]) -> list[str]:
    """Threads of ours started during the test and still alive, the database thread aside.

    The database thread (``boxoffice-db``) idles between jobs for as long as its
    window's ``Ops`` lives; every other ``boxoffice-*`` thread is work: a
    batch, a sync, a reader loop, or an ``Ops.spawn`` job.
    """
    return sorted(t.name for t in threading.enumerate()
                  if t.ident not in before and t.is_alive() and t.name.startswith("boxoffice-")
                  and not t.name.startswith("boxoffice-db"))


@pytest.fixture(autouse=True)
def _no_work_left_running() -> Iterator[None]:
    """A UI test that leaves background work running fails, naming it (as napari's suite does).

    Set up before the test's own fixtures, so checked after they have closed
    its windows: work still running then would outlive the window in the app
    too. Waits (bounded) for work that is already stopping.
    """
    before = {t.ident for t in threading.enumerate()}
    yield
    deadline = time.monotonic() + WORK_STOP_BOUND_S
    while _running_work(before) and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.05)
    left = _running_work(before)
    if left:
        pytest.fail(f"background work still running {WORK_STOP_BOUND_S:g} s after the test: {', '.join(left)}")


@pytest.fixture(autouse=True)
def _asyncio_on_qt(qapp: QApplication) -> Iterator[None]:
    """The pages' coroutines run on Qt's loop, as qasync runs them in the app (``ui.ops.asyncio_on_qt``).

    A coroutine still pending once the test's windows have closed (their
    ``Ops`` cancel theirs) fails the test, naming it, like a thread left running.
    """
    with asyncio_on_qt() as loop:
        yield
        deadline = time.monotonic() + WORK_STOP_BOUND_S
        while _pending_tasks(loop) and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.02)
        left = _pending_tasks(loop)
        if left:
            pytest.fail(f"coroutines still pending {WORK_STOP_BOUND_S:g} s after the test: {', '.join(left)}")


def _pending_tasks(loop: asyncio.AbstractEventLoop) -> list[str]:
    return sorted(task.get_name() for task in asyncio.all_tasks(loop) if not task.done())


@pytest.fixture(autouse=True)
def _own_qsettings(tmp_path: Path) -> Iterator[None]:
    # QSettings(org, app) uses the native format (INI files on Linux): point both formats here.
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield


@pytest.fixture
def settled_heap() -> Iterator[None]:
    """The heap as run_gui leaves it once the window is up (``ui.heap.settle_heap``).

    A stall test measures the window, not the suite: without this, a full
    garbage collection triggered by the work under test walks every object
    the earlier tests left in this process (seconds, in a full loaded run).
    """
    settle_heap()
    yield
    gc.unfreeze()


@pytest.fixture
def festival(store: Store, owner: Actor) -> Festival:
    """An event with two categories, two gates and one draft series starting tomorrow."""
    ev = events.create_event(store, owner, EVENT, TZ)
    cats = {name: str(events.add_category(store, owner, EVENT, name).id) for name in ("GA", "VIP")}
    gates = {
        "Quay": str(events.add_gate(store, owner, EVENT, "Quay", GateKind.ENTRY).id),
        "Exit": str(events.add_gate(store, owner, EVENT, "Exit", GateKind.EXIT).id),
    }
    start = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    change = svc.create_series(store, owner, EVENT, "Friday", start, start + timedelta(hours=8), 500)
    return Festival(str(ev.id), str(change.series.id), gates, cats)


@pytest.fixture
def make_window(qtbot: QtBot, store: Store) -> Iterator[WindowFactory]:
    made: list[MainWindow] = []

    def make(actor: Actor, over: Store | None = None, station: str = "Desk 1") -> MainWindow:
        window, _ctx = build_window(over or store, actor, station=station)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
        made.append(window)
        return window

    yield make
    import shiboken6

    # pytest-qt closes and deletes the windows before this runs, sometimes while a result is on
    # its way: an Ops deleted meanwhile never delivers it (its pending count stays up), so the
    # wait ends at delivery or deletion, and shutdown (plain Python) then waits for the thread.
    for window in made:
        ops = window.ctx.ops
        qtbot.waitUntil(lambda ops=ops: not shiboken6.isValid(ops) or ops.pending == 0, timeout=60_000)
        ops.shutdown()


# The sync tests' fixtures, shared by name (a test here asks for ``server`` or ``station``).
server = sync_fixtures.server
station = sync_fixtures.station


@pytest.fixture
def _no_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tests/sync``'s autouse ``_no_keyring``; not autouse here: a module that logs in asks for it."""
    no_keyring(tmp_path, monkeypatch)


def role_actor(actors: dict[Role, Actor], role: Role) -> Actor:
    return actors[role]
