"""The composition root: the one place that wires a store, a sync worker and a reader into the windows.

``run_gui`` is what ``boxoffice`` (no arguments) and ``boxoffice gui`` call.
qasync runs asyncio on Qt's event loop, so coroutines (timers, HTTP) and Qt
signals share the GUI thread; blocking work goes through ``ui.ops``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from boxoffice.errors import BoxOfficeError, IdentityError
from boxoffice.services.actor import Actor, resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.opening import open_store

# Imported for its effect: a central server's database opened here keeps its change log (without
# it, the store refuses to write a server's database at all).
from boxoffice.sync import changelog as _changelog  # noqa: F401
from boxoffice.sync.state import ServerLogin
from ui import settings as S
from ui.context import AppContext
from ui.fonts import install_fonts
from ui.heap import settle_heap
from ui.log_file import install_log_file
from ui.main_window import MainWindow
from ui.ops import Ops
from ui.pages.encode_page import EncodePage, ReaderFactory
from ui.pages.lookup_page import LookupPage
from ui.pages.monitor_page import MonitorPage
from ui.pages.reports_page import ReportsPage
from ui.pages.sales_page import SalesPage
from ui.pages.series_page import SeriesPage
from ui.resources import app_icon
from ui.sync_worker import SyncWorker

log = logging.getLogger(__name__)

PAGE_TITLES = ("Series", "Encode", "Sales", "Lookup", "Gates", "Reports")
#: The window size screenshots are taken at unless told otherwise: a 13" laptop's.
SCREENSHOT_SIZE = (1280, 800)


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    app = QApplication(sys.argv[:1])
    app.setOrganizationName(S.ORGANIZATION)
    app.setApplicationName(S.APPLICATION)
    app.setApplicationDisplayName("Box office")
    # The .desktop file's name (packaging/linux/boxoffice.desktop): Wayland matches the window to it.
    app.setDesktopFileName("boxoffice")
    icon = app_icon()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    install_fonts(app)
    return app


def build_pages(ctx: AppContext, reader_factory: ReaderFactory | None = None) -> list[QWidget]:
    """The pages; the Encode, Sales and Lookup pages use ``reader_factory``, else the settings' reader."""
    factory = reader_factory or S.configured_reader
    return [
        SeriesPage(ctx),
        EncodePage(ctx, reader_factory),
        SalesPage(ctx, reader_factory),
        LookupPage(ctx, factory),
        MonitorPage(ctx),
        ReportsPage(ctx),
    ]


def build_window(store: Store, actor: Actor, *, station: str | None = None,
                 on_close: Callable[[], None] | None = None,
                 reader_factory: ReaderFactory | None = None) -> tuple[MainWindow, AppContext]:
    """The main window over ``store`` as ``actor``; ``reader_factory`` overrides the settings' reader."""
    install_fonts()  # once per process; here too for a QApplication made elsewhere (tests, the demo)
    ops = Ops()
    ctx = AppContext(store=store, actor=actor, ops=ops, station=station)
    window = MainWindow(ctx, build_pages(ctx, reader_factory), on_close=on_close)
    ops.setParent(window)
    for page in window.pages:
        if isinstance(page, EncodePage | SalesPage):
            page.reader_status.connect(window.status.show_reader)
    return window, ctx


def current_actor(store: Store, as_email: str | None) -> tuple[Actor, str | None]:
    """Who the window acts as: the member named, else the station's last login, else the chosen member."""
    station = None
    try:
        login = ServerLogin.load(store)
        station = login.station
        if as_email is None:
            as_email = login.email
    except BoxOfficeError:
        pass
    return resolve_actor(store, as_email), station


def run_gui(db: str, as_email: str | None = None, screenshot_dir: Path | None = None, *,
            exit_when_ready: bool = False, stop_after: float | None = None,
            first_page: str | None = None,
            screenshot_sizes: Sequence[tuple[int, int]] = (SCREENSHOT_SIZE,)) -> int:
    """Open the main window over ``db`` and run until it closes (or until the screenshots are taken).

    ``stop_after`` closes the window after that many seconds; ``first_page`` opens on that page
    instead of the last one used.
    """
    import qasync

    install_log_file()
    app = application()
    store = open_store(db)
    try:
        actor, station = current_actor(store, as_email)
    except IdentityError:
        # Nobody is known to act here yet (a fresh database, or several members and no choice):
        # ask, before any window opens. Refusing the dialog quits.
        who = ask_who(store)
        if who is None:
            store.dispose()
            return 1
        actor, station = current_actor(store, who)
    except BoxOfficeError:
        store.dispose()
        raise
    qs = S.qsettings()
    station = station or S.STATION_NAME.read(qs) or None
    closed = asyncio.Event()

    def on_close() -> None:
        sync.stop()
        closed.set()

    window, ctx = build_window(store, actor, station=station, on_close=on_close)
    sync = SyncWorker(store, ctx.ops, wait=S.SYNC_WAIT.read(qs))
    sync.status.connect(window.status.show_sync)
    sync.failed.connect(lambda text: window.status.showMessage(text, 8000))
    if first_page is not None:
        window.show_page(first_page)
    window.show()
    settle_heap()
    sync.start()
    restore_signals = close_on_signals(window)
    if stop_after is not None:
        QTimer.singleShot(int(stop_after * 1000), window.close)
    if screenshot_dir is not None:
        QTimer.singleShot(0, lambda: take_screenshots(window, screenshot_dir, window.close,
                                                      sizes=screenshot_sizes))
    if exit_when_ready:
        first = window.pages[window.stack.currentIndex()]
        ready = getattr(first, "loaded", None)

        def say_ready() -> None:
            print("ready", flush=True)
            window.close()

        if ready is not None:
            ready.connect(say_ready)
        else:
            QTimer.singleShot(0, say_ready)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            loop.run_until_complete(closed.wait())
    finally:
        restore_signals()
        ctx.ops.shutdown()
        store.dispose()
    return 0


def close_on_signals(window: QWidget) -> Callable[[], None]:
    """Ctrl+C or SIGTERM in the terminal closes the window the ordinary way (settings saved, sync stopped).

    Python runs a signal handler only between bytecodes, and Qt's event loop
    is C++; a quarter-second timer gives Python a turn, so the handler runs
    within 250 ms. Returns what puts the previous handlers back.
    """
    if threading.current_thread() is not threading.main_thread():  # signals go to the main thread only
        return lambda: None

    def on_signal(signum: int, _frame: object) -> None:
        log.info("%s: closing the window", signal.Signals(signum).name)
        window.close()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    ticker = QTimer(window)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)

    def restore() -> None:
        ticker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def ask_who(store: Store) -> str | None:
    """The login dialog, modal, before the main window exists; the e-mail of who acts, or None."""
    from ui.dialogs.login import LoginDialog

    ops = Ops()
    dialog = LoginDialog(store, ops)
    try:
        accepted = dialog.exec() == LoginDialog.DialogCode.Accepted
    finally:
        ops.shutdown()
    return dialog.email if accepted else None


def take_screenshots(window: MainWindow, out: Path, done: Callable[[], object],
                     settle_ms: int = 1500, sizes: Sequence[tuple[int, int]] = (SCREENSHOT_SIZE,)) -> None:
    """Show each page, let it load, save ``NN-title.png`` of the whole window, then call ``done``.

    With several ``sizes``, each page is saved at each size; the first size's files are named
    ``NN-title.png``, the others ``NN-title-WxH.png``.
    """
    out.mkdir(parents=True, exist_ok=True)
    window.resize(*sizes[0])
    titles = [str(getattr(p, "title", "")) for p in window.pages]

    def shoot(index: int) -> None:
        if index >= len(titles):
            log.info("screenshots saved in %s", out)
            window.resize(*sizes[0])
            done()
            return
        window.show_page(titles[index])
        page = window.pages[index]
        settle = int(getattr(page, "screenshot_settle_ms", settle_ms))
        prepare = getattr(page, "prepare_screenshot", None)
        if callable(prepare):
            QTimer.singleShot(settle_ms // 2, prepare)

        def grab(size_index: int) -> None:
            width, height = sizes[size_index]
            suffix = "" if size_index == 0 else f"-{width}x{height}"
            path = out / f"{index + 1:02d}-{titles[index].lower()}{suffix}.png"
            window.grab().save(str(path))
            print(path, flush=True)
            if size_index + 1 < len(sizes):
                window.resize(*sizes[size_index + 1])
                QTimer.singleShot(300, lambda: grab(size_index + 1))  # let the layout settle at the new size
            else:
                window.resize(*sizes[0])
                shoot(index + 1)

        QTimer.singleShot(settle, lambda: grab(0))

    shoot(0)


def offscreen_default() -> None:
    """Without a display (a CI box, ssh), use Qt's offscreen platform instead of failing to start."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") \
            and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
