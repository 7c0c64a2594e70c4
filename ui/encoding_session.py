"""One encoding batch as the desktop runs it: the reader and the job as one ``Ops`` job.

The page asks (what to encode) and shows (prompt, counters, log, tones); the
session owns the batch. Its work runs in the job's thread: it makes the
reader, opens it, runs ``hardware.station.encode_job.EncodeJob`` and closes
the reader, whatever happens. Everything it learns on the way (job events,
reader events, the reader's state, the ``EncodeJob`` itself once it exists)
goes through ``JobControl.report`` and comes out here, in the GUI thread, as
a typed signal. Nothing in the worker touches a widget or an attribute the
GUI thread reads.

Pause, resume and the next ticket go to the ``EncodeJob`` (whose controls
are thread-safe) once it has been reported; asked for earlier (the reader
still opening), they are kept and handed over when it arrives. Stop is the
job's cancel, which also reaches the ``EncodeJob`` from any thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from hardware.readers.reader import Reader, ReaderEvent
from hardware.station.encode_job import BatchParams, EncodeJob, JobEvent, JobResult
from ui.ops import Job, JobControl, Ops

log = logging.getLogger(__name__)

ReaderFactory = Callable[[], Reader]


@dataclass(frozen=True)
class ReaderState:
    """The reader as the status bar shows it: words, and whether all is well."""

    text: str
    ok: bool


class EncodingSession(QObject):
    """Emits ``job_event(JobEvent)``, ``reader_event(ReaderEvent)`` and ``reader_state(str, bool)``.

    ``await session`` (or the ``job``'s ``finished``/``failed`` signals) gives
    the ``JobResult``, or raises what stopped the batch.
    """

    job_event = Signal(object)
    reader_event = Signal(object)
    reader_state = Signal(str, bool)

    def __init__(self, ops: Ops, reader_factory: ReaderFactory, store: Store, actor: Actor,
                 params: BatchParams, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._factory = reader_factory
        self._store = store
        self._actor = actor
        self.params = params
        self.encode_job: EncodeJob | None = None  # set in the GUI thread, when the worker reports it
        self.job: Job | None = None
        self._paused = False
        self._ticket: str | None = None

    def start(self) -> Job:
        self.job = self._ops.start("encode", self._work, progress=self._arrived, owner=self)
        return self.job

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def __await__(self) -> Generator[Any, None, JobResult]:
        assert self.job is not None, "start() first"
        return self.job.__await__()

    # -- controls, from the GUI thread ---------------------------------------------------

    def pause(self) -> None:
        self._paused = True
        if self.encode_job is not None:
            self.encode_job.pause()

    def resume(self) -> None:
        self._paused = False
        if self.encode_job is not None:
            self.encode_job.resume()

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def link_next_ticket(self, code: str | None) -> None:
        self._ticket = code
        if self.encode_job is not None:
            self.encode_job.link_next_ticket(code)

    # -- the worker ---------------------------------------------------------------------

    def _work(self, control: JobControl) -> JobResult:
        reader = self._factory()  # a driver that cannot even be made fails the job: said on the page
        reader.on_event(control.report)
        try:
            reader.open()
            control.report(ReaderState(f"{reader.name}, connected", True))
            job = EncodeJob(reader, self._store, self._actor, self.params, on_event=control.report)
            control.report(job)
            control.on_cancel(job.cancel)  # at once when Stop came while the reader was opening
            return job.run()
        finally:
            reader.close()
            control.report(ReaderState(f"{reader.name}, idle", True))

    # -- back in the GUI thread -----------------------------------------------------------------

    def _arrived(self, value: object) -> None:
        if isinstance(value, JobEvent):
            self.job_event.emit(value)
        elif isinstance(value, ReaderEvent):
            self.reader_event.emit(value)
        elif isinstance(value, ReaderState):
            self.reader_state.emit(value.text, value.ok)
        elif isinstance(value, EncodeJob):
            self.encode_job = value
            if self._paused:
                value.pause()
            if self._ticket is not None:
                value.link_next_ticket(self._ticket)
        else:
            log.warning("an encoding session reported %r", value)
