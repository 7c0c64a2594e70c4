"""Background operations: the one way the windows run database and network work.

Modelled on Anki's ``QueryOp``/``CollectionOp``: the work runs off the GUI
thread, database work on a *single* worker thread so two writes from the same
window never overlap (SQLite would serialise them anyway, but with a busy
timeout instead of an order), and the result comes back to the GUI thread
through a queued Qt signal, where ``success`` or ``failure`` runs. Every
failure a person can act on (a ``BoxOfficeError``) reaches one handler that
shows its sentence; anything else is a bug and is logged with its traceback.

Signals rather than asyncio futures: a queued signal works under any Qt event
loop (qasync's in the app, pytest-qt's in tests), so the same code is tested.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from boxoffice.errors import BoxOfficeError

log = logging.getLogger(__name__)

T = TypeVar("T")

FailureHandler = Callable[[BaseException], None]


@dataclass
class _Job(Generic[T]):
    label: str
    work: Callable[[], T]
    success: Callable[[T], None] | None
    failure: FailureHandler | None
    owner: QObject | None


class Ops(QObject):
    """Runs work on the database thread (``run``) or on a thread of its own (``spawn``).

    ``busy_changed(bool)`` lets the window show a progress indicator;
    ``error(str)`` carries the sentence of a failure nobody else handled.
    """

    busy_changed = Signal(bool)
    error = Signal(str)
    _finished = Signal(object, object, object)  # job, result, exception

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="boxoffice-db")
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        self._finished.connect(self._deliver)

    @property
    def pending(self) -> int:
        """Jobs started and not yet delivered (tests wait for 0)."""
        return self._pending

    def run(self, label: str, work: Callable[[], T], success: Callable[[T], None] | None = None,
            failure: FailureHandler | None = None, owner: QObject | None = None) -> Future[T]:
        """Run ``work()`` on the database thread; ``success(result)`` or ``failure(exc)`` in the GUI thread.

        ``owner``: when that widget is deleted before the result arrives, the
        callbacks are skipped rather than touching a dead object.
        """
        return self._submit(self._db, _Job(label, work, success, failure, owner))

    def spawn(self, label: str, work: Callable[[], T], success: Callable[[T], None] | None = None,
              failure: FailureHandler | None = None, owner: QObject | None = None) -> Future[T]:
        """Like ``run`` but on a thread of its own: for long work (a reader loop, a batch, a sync)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"boxoffice-{label}")
        future = self._submit(executor, _Job(label, work, success, failure, owner))
        executor.shutdown(wait=False)
        return future

    def _submit(self, executor: ThreadPoolExecutor, job: _Job[Any]) -> Future[Any]:
        if self._closed:
            # A timer or a late click after the window closed: nothing left to show the result in.
            log.debug("%s dropped: the window is closing", job.label)
            future: Future[Any] = Future()
            future.cancel()
            return future
        with self._lock:
            self._pending += 1
            first = self._pending == 1
        if first:
            self.busy_changed.emit(True)

        def call() -> Any:
            try:
                result = job.work()
            except BaseException as exc:
                self._finished.emit(job, None, exc)
                raise
            self._finished.emit(job, result, None)
            return result

        return executor.submit(call)

    def _deliver(self, job: _Job[Any], result: Any, exc: BaseException | None) -> None:
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        try:
            if job.owner is not None and not _alive(job.owner):
                log.debug("%s finished after its window closed", job.label)
                return
            if exc is None:
                if job.success is not None:
                    job.success(result)
                return
            log_unexpected(job.label, exc)
            if job.failure is not None:
                job.failure(exc)
            else:
                self.error.emit(describe_failure(exc))
        finally:
            if idle:
                self.busy_changed.emit(False)

    def shutdown(self) -> None:
        """Stop taking work and wait for the database thread (called when the window closes)."""
        self._closed = True
        self._db.shutdown(wait=True, cancel_futures=True)


def log_unexpected(label: str, exc: BaseException) -> None:
    """The one place a failure that is not a ``BoxOfficeError`` (a bug) is logged with its traceback.

    ``describe_failure`` tells the person that "the log has the details": work
    that reports its failure outside ``Ops`` (a thread of its own) calls this
    first, so that it does.
    """
    if not isinstance(exc, BoxOfficeError):
        log.error("%s failed", label, exc_info=(type(exc), exc, exc.__traceback__))


def describe_failure(exc: BaseException) -> str:
    """The sentence for a person: the error's own for ours, a plain apology for a bug."""
    if isinstance(exc, BoxOfficeError):
        return exc.message
    return f"Something went wrong inside Box office ({type(exc).__name__}); the log has the details."


def _alive(obj: QObject) -> bool:
    import shiboken6

    return bool(shiboken6.isValid(obj))
