"""Keeps a logged-in station in sync from a thread of its own, reporting to the status bar by signal.

The sync client blocks (long-poll, back-off sleeps), so it never runs on the
GUI thread; ``stop()`` sets its event and the thread ends within one
long-poll wait.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from boxoffice.errors import BoxOfficeError
from boxoffice.store.database import Store
from boxoffice.sync.state import ServerLogin

log = logging.getLogger(__name__)


class SyncWorker(QObject):
    status = Signal(object)  # SyncStatus, from the worker thread (queued to the GUI thread)
    failed = Signal(str)

    #: Rows per pull page. Smaller than the command line's: decoding a page holds the GIL, and
    #: 2,000 rows keep each hold short enough not to stall the window (measured: 20,000-row pages
    #: gave stalls of ~200 ms, 2,000-row pages under 80 ms, for about 25 % more pull time).
    page_size = 2_000

    def __init__(self, store: Store, wait: float = 5.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.wait = wait
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start syncing if this database is logged in to a server; False if it is not.

        A login without a saved token is reported by ``failed`` from the sync thread.
        """
        try:
            ServerLogin.load(self.store)
        except BoxOfficeError:
            log.info("this database is not logged in to a server: working locally")
            return False

        def loop() -> None:
            # Importing httpx and building its client (an SSL context loading the CA bundle) hold
            # the GIL for tens of milliseconds: done here, not on the GUI thread that called start().
            from boxoffice.sync.client import SyncClient

            try:
                client = SyncClient.from_store(self.store, page_size=self.page_size)
            except BoxOfficeError as exc:
                log.info("not syncing: %s", exc.message)
                self.failed.emit(exc.message)
                return
            try:
                with client:
                    client.run(self._stop, on_status=self.status.emit, wait=self.wait)
            except Exception:  # a bug in sync must not take the window down with it
                log.exception("sync stopped")
                self.failed.emit("Sync stopped after an error; the log has the details.")

        self._thread = threading.Thread(target=loop, name="boxoffice-sync", daemon=True)
        self._thread.start()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
