"""Keeps a logged-in station in sync as an ``Ops`` job, reporting to the status bar by signal.

The sync client blocks (long-poll, back-off sleeps), so it never runs on the
GUI thread; it runs as a long ``Ops`` job, and ``stop()`` (or the window
closing, which cancels every job) sets its stop event: it ends within one
long-poll wait.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from boxoffice.errors import BoxOfficeError
from boxoffice.store.database import Store
from boxoffice.sync.state import ServerLogin
from ui.ops import Job, JobControl, Ops

log = logging.getLogger(__name__)

#: Said when sync stops on a bug; the traceback is in the log (``Ops`` logs it).
STOPPED = "Sync stopped after an error; the log has the details."


class SyncWorker(QObject):
    status = Signal(object)  # SyncStatus, in the GUI thread
    failed = Signal(str)

    #: Rows per pull page. Smaller than the command line's: decoding a page holds the GIL, and
    #: 2,000 rows keep each hold short enough not to stall the window (measured: 20,000-row pages
    #: gave stalls of ~200 ms, 2,000-row pages under 80 ms, for about 25 % more pull time).
    page_size = 2_000

    def __init__(self, store: Store, ops: Ops, wait: float = 5.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.wait = wait
        self._ops = ops
        self.job: Job | None = None

    def start(self) -> bool:
        """Start syncing if this database is logged in to a server; False if it is not.

        A login without a saved token is reported by ``failed``.
        """
        try:
            ServerLogin.load(self.store)
        except BoxOfficeError:
            log.info("this database is not logged in to a server: working locally")
            return False
        self.job = self._ops.start("sync", self._sync, progress=self.status.emit, success=self._ended,
                                   failure=self._broke)
        return True

    def _sync(self, control: JobControl) -> str | None:
        # Importing httpx and building its client (an SSL context loading the CA bundle) hold
        # the GIL for tens of milliseconds: done here, not on the GUI thread that called start().
        from boxoffice.sync.client import SyncClient

        try:
            client = SyncClient.from_store(self.store, page_size=self.page_size)
        except BoxOfficeError as exc:
            log.info("not syncing: %s", exc.message)
            return exc.message
        with client:
            client.run(control.stop, on_status=control.report, wait=self.wait)
        return None

    def _ended(self, why_not: str | None) -> None:
        if why_not is not None:
            self.failed.emit(why_not)

    def _broke(self, exc: BaseException) -> None:
        # A bug in sync must not take the window down with it; Ops has logged its traceback.
        self.failed.emit(exc.message if isinstance(exc, BoxOfficeError) else STOPPED)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop syncing and wait for the sync to end (the window is closing; not from a click)."""
        if self.job is not None:
            self.job.cancel()
            self.job.wait(timeout)
