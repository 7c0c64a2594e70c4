"""Background work: the one way the windows run database, network and reader work.

Three kinds, one owner (``Ops``), one place failures are logged:

- ``run``: a short operation on the *single* database thread, so two writes
  from one window never overlap (SQLite would serialise them anyway, but with
  a busy timeout instead of an order). Modelled on Anki's ``QueryOp``.
- ``spawn``: a short operation on a thread of its own (a login, a fetch from
  the server) that must not queue behind database work.
- ``start``: a long-running ``Job`` (an encoding batch, a reader loop, the
  sync): it reports progress, can be cancelled, and is stopped when the
  window closes. Its work gets a ``JobControl`` (the cancel event, ``report``).

The result of each comes back to the GUI thread through a queued Qt signal,
where ``success`` or ``failure`` runs, or, for page code that reads top to
bottom, as an awaitable: ``rows = await ops.call(label, work)`` inside a
coroutine started with ``ops.launch(label, coro)`` (qasync runs asyncio on
Qt's loop in the app; ``asyncio_on_qt`` does the same in tests and benches).
Every failure a person can act on (a ``BoxOfficeError``) reaches one handler
that shows its sentence; anything else is a bug and is logged with its
traceback (``log_unexpected``). No worker ever touches a widget: workers
return values or ``report`` them, and the GUI thread does the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

from boxoffice.errors import BoxOfficeError

log = logging.getLogger(__name__)

T = TypeVar("T")

FailureHandler = Callable[[BaseException], None]


@dataclass
class _Operation(Generic[T]):
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
        self._jobs: set[Job] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
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
        return self._submit(self._db, _Operation(label, work, success, failure, owner))

    def spawn(self, label: str, work: Callable[[], T], success: Callable[[T], None] | None = None,
              failure: FailureHandler | None = None, owner: QObject | None = None) -> Future[T]:
        """Like ``run`` but on a thread of its own: for long work (a reader loop, a batch, a sync)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"boxoffice-{label}")
        future = self._submit(executor, _Operation(label, work, success, failure, owner))
        executor.shutdown(wait=False)
        return future

    def call(self, label: str, work: Callable[[], T], *, own_thread: bool = False) -> asyncio.Future[T]:
        """``run`` (or ``spawn`` with ``own_thread``) as an awaitable: ``rows = await ops.call(...)``.

        For coroutines started with ``launch``. A failure is raised at the
        ``await`` (logged first if it is a bug), so the coroutine decides what to
        say; when the window is closing the future is cancelled.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def ok(result: T) -> None:
            if not future.done():
                future.set_result(result)

        def bad(exc: BaseException) -> None:
            if not future.done():
                future.set_exception(exc)

        submitted = (self.spawn if own_thread else self.run)(label, work, ok, bad)
        if submitted.cancelled():
            future.cancel()
        return future

    def launch(self, label: str, coro: Coroutine[Any, Any, Any],
               owner: QObject | None = None) -> asyncio.Task[Any] | None:
        """Run a page's coroutine on the GUI thread's asyncio loop (qasync's), counted as pending work.

        What the coroutine does not catch is handled here like any other
        failure: logged if it is a bug, its sentence sent on ``error``. When
        ``owner`` is deleted first, the coroutine is cancelled at its next
        ``await`` instead of touching a dead widget.
        """
        if self._closed:
            coro.close()
            log.debug("%s dropped: the window is closing", label)
            return None
        task = asyncio.get_running_loop().create_task(coro, name=label)
        self._tasks.add(task)
        self._count(+1)
        if owner is not None:
            owner.destroyed.connect(lambda *_: task.cancel())

        def finished(done: asyncio.Task[Any]) -> None:
            self._tasks.discard(done)
            try:
                exc = None if done.cancelled() else done.exception()
                if exc is not None:
                    log_unexpected(label, exc)
                    if _alive(self):
                        self.error.emit(describe_failure(exc))
            finally:
                self._count(-1)

        task.add_done_callback(finished)
        return task

    def start(self, label: str, work: Callable[[JobControl], T], *,
              progress: Callable[[Any], None] | None = None, success: Callable[[T], None] | None = None,
              failure: FailureHandler | None = None, owner: QObject | None = None) -> Job:
        """Start a long-running ``Job`` on a thread of its own; see ``Job`` and ``JobControl``.

        ``work(control)`` runs in the worker: it waits on ``control.stop`` (or
        checks ``control.cancelled``) and hands values to ``control.report``,
        which reach ``progress`` (and ``Job.progress``) in the GUI thread, in
        order. It returns its result, which reaches ``success`` (or an
        ``await job``); a failure reaches ``failure``, an awaiting coroutine,
        or else the window's error sentence. Closing the window cancels it.
        """
        job = Job(label, work, self, success=success, failure=failure, owner=owner)
        if progress is not None:
            job.progress.connect(progress)
        if self._closed:
            log.debug("%s not started: the window is closing", label)
            job.control.cancel()
            return job
        self._jobs.add(job)
        job._begin()
        return job

    @property
    def jobs(self) -> list[Job]:
        """The long-running jobs not yet delivered (the window's shutdown stops them)."""
        return list(self._jobs)

    def _job_ended(self, job: Job) -> None:
        self._jobs.discard(job)

    def _count(self, step: int) -> None:
        with self._lock:
            self._pending += step
            now = self._pending
        if step > 0 and now == 1:
            self.busy_changed.emit(True)
        elif step < 0 and now == 0 and _alive(self):
            self.busy_changed.emit(False)

    def _submit(self, executor: ThreadPoolExecutor, job: _Operation[Any]) -> Future[Any]:
        if self._closed:
            # A timer or a late click after the window closed: nothing left to show the result in.
            log.debug("%s dropped: the window is closing", job.label)
            future: Future[Any] = Future()
            future.cancel()
            return future
        self._count(+1)

        def call() -> Any:
            try:
                result = job.work()
            except BaseException as exc:
                self._finished.emit(job, None, exc)
                raise
            self._finished.emit(job, result, None)
            return result

        return executor.submit(call)

    def _deliver(self, job: _Operation[Any], result: Any, exc: BaseException | None) -> None:
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
            self._count(-1)

    def cancel_all(self) -> None:
        """Cancel the page coroutines and ask every job to stop, without waiting (the window is closing)."""
        for task in list(self._tasks):
            task.cancel()
        for job in list(self._jobs):
            job.cancel()

    def shutdown(self, job_timeout: float = 10.0) -> None:
        """Stop taking work, cancel the coroutines and jobs, and wait for them and the database thread.

        Called when the window closes. Each job is told to stop, then all are
        waited for together, up to ``job_timeout`` (a reader's wait answers
        within a second; a job still running then is named in the log).
        """
        self._closed = True
        jobs = list(self._jobs)
        self.cancel_all()
        deadline = time.monotonic() + job_timeout
        for job in jobs:
            if not job.wait(max(0.0, deadline - time.monotonic())):
                log.warning("%s still running %.0f s after the window closed", job.label, job_timeout)
        self._jobs = {job for job in self._jobs if job.running}  # the rest are over, delivered or not
        self._db.shutdown(wait=True, cancel_futures=True)


class JobControl:
    """What a long job's work holds: the cancel event to wait on, and ``report`` for progress.

    Lives in the worker; every method may be called from any thread.
    """

    def __init__(self, job: Job) -> None:
        self._job = job
        self.stop = threading.Event()  #: set by ``cancel``: pass it to waits that take an event
        self._lock = threading.Lock()
        self._on_cancel: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self.stop.is_set()

    def report(self, value: object) -> None:
        """Hand ``value`` to the GUI thread (``Job.progress``), in order; never blocks the worker."""
        self._job._emit_progress(value)

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on cancel (at once if already cancelled): to stop a helper's own wait."""
        with self._lock:
            if not self.stop.is_set():
                self._on_cancel.append(callback)
                return
        callback()

    def cancel(self) -> None:
        with self._lock:
            if self.stop.is_set():
                return
            self.stop.set()
            callbacks, self._on_cancel = self._on_cancel, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("%s: a cancel callback failed", self._job.label)


class Job(QObject):
    """A long-running piece of work on a thread of its own, made by ``Ops.start``.

    ``progress(value)`` carries what the work reports; ``finished(result)`` or
    ``failed(exception)`` comes once at the end; all three in the GUI thread.
    ``await job`` gives the result (or raises the failure) in a coroutine:
    start the job in that coroutine, so it is awaited before it can end (a
    failure nobody awaits or handles goes to the window's error line).
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    _progressed = Signal(object)
    _ended = Signal(object, object)  # result, exception

    def __init__(self, label: str, work: Callable[[JobControl], Any], ops: Ops, *,
                 success: Callable[[Any], None] | None, failure: FailureHandler | None,
                 owner: QObject | None) -> None:
        super().__init__(ops)
        self.label = label
        self.control = JobControl(self)
        self._ops = ops
        self._work = work
        self._success = success
        self._failure = failure
        self._owner = owner
        self._over = threading.Event()  # the work has returned or raised
        self._delivered = False
        self._outcome: tuple[Any, BaseException | None] | None = None
        self._waiters: list[asyncio.Future[Any]] = []
        self._progressed.connect(self._on_progress)
        self._ended.connect(self._on_end)

    # -- from the GUI thread -----------------------------------------------------------

    def cancel(self) -> None:
        """Ask the work to stop (it ends at its next wait); it still delivers its result."""
        self.control.cancel()

    @property
    def running(self) -> bool:
        return not self._over.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work has returned (shutdown and tests only; never from a click)."""
        return self._over.wait(timeout)

    def __await__(self) -> Generator[Any, None, Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._outcome is not None:
            _settle(future, *self._outcome)
        else:
            self._waiters.append(future)
        return future.__await__()

    # -- the worker ----------------------------------------------------------------------

    def _begin(self) -> None:
        threading.Thread(target=self._main, name=f"boxoffice-{self.label}", daemon=True).start()

    def _main(self) -> None:
        try:
            result = self._work(self.control)
        except BaseException as exc:
            self._over.set()
            self._send(self._ended, None, exc)
            return
        self._over.set()
        self._send(self._ended, result, None)

    def _emit_progress(self, value: object) -> None:
        self._send(self._progressed, value)

    def _send(self, signal: Any, *args: object) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window (and this Job with its Ops) is gone: nobody left to tell
            log.debug("%s: %s after its window closed", self.label, args)

    # -- back in the GUI thread ---------------------------------------------------------------

    def _on_progress(self, value: object) -> None:
        if not self._delivered and (self._owner is None or _alive(self._owner)):
            self.progress.emit(value)

    def _on_end(self, result: Any, exc: BaseException | None) -> None:
        self._delivered = True
        self._outcome = (result, exc)
        self._ops._job_ended(self)
        waiters, self._waiters = self._waiters, []
        if exc is not None:
            log_unexpected(self.label, exc)
        for future in waiters:
            _settle(future, result, exc)
        if self._owner is not None and not _alive(self._owner):
            log.debug("%s finished after its window closed", self.label)
            return
        if exc is None:
            if self._success is not None:
                self._success(result)
            self.finished.emit(result)
            return
        if self._failure is not None:
            self._failure(exc)
        elif not waiters:
            self._ops.error.emit(describe_failure(exc))
        self.failed.emit(exc)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is None:
        future.set_result(result)
    else:
        future.set_exception(exc)


@contextlib.contextmanager
def asyncio_on_qt() -> Iterator[asyncio.AbstractEventLoop]:
    """Let coroutines run on Qt's event loop where nothing runs qasync's loop (tests, benches).

    The app runs qasync's loop itself (``ui.app.run_gui``). Elsewhere Qt's loop
    is spun by someone else (pytest-qt's waits, a bench's ``processEvents``);
    qasync schedules asyncio callbacks as Qt timers, so naming its loop the
    running one for this thread is enough for ``Ops.launch`` and ``await``.
    """
    running = asyncio._get_running_loop()
    if running is not None:
        yield running
        return
    import qasync

    loop = qasync.QEventLoop(QCoreApplication.instance())
    asyncio._set_running_loop(loop)
    try:
        yield loop
    finally:
        asyncio._set_running_loop(None)
        loop.close()


def log_unexpected(label: str, exc: BaseException) -> None:
    """The one place a failure that is not a ``BoxOfficeError`` (a bug) is logged with its traceback.

    ``describe_failure`` tells the person that "the log has the details": work
    that reports its failure outside ``Ops`` (a thread of its own) calls this
    first, so that it does.
    """
    if isinstance(exc, BoxOfficeError) or getattr(exc, "_boxoffice_logged", False):
        return
    log.error("%s failed", label, exc_info=(type(exc), exc, exc.__traceback__))
    with contextlib.suppress(AttributeError):  # logged once, though it passes through an await and a task
        exc._boxoffice_logged = True  # type: ignore[attr-defined]


def describe_failure(exc: BaseException) -> str:
    """The sentence for a person: the error's own for ours, a plain apology for a bug."""
    if isinstance(exc, BoxOfficeError):
        return exc.message
    return f"Something went wrong inside Box office ({type(exc).__name__}); the log has the details."


def _alive(obj: QObject) -> bool:
    import shiboken6

    return bool(shiboken6.isValid(obj))
