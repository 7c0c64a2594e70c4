"""The bulk encoding job: a box of blank bands through one reader, one band after another.

Runs in a worker thread (the reader blocks) and reports through a callback,
also called in that thread: a GUI hands the events on to its own thread, the
CLI prints them. Per band the order is fixed, because it is what makes a
crash harmless (DESIGN, "Wristbands"):

1. ``plan_band`` reserves a *pending* row (committed) and returns what to write;
2. the band is written, read back and compared, then password-protected
   (``BandWriter``);
3. ``activate_band`` makes the row active, assigns the band to the series and
   records the tap's ``ok`` outcome, in one transaction (a failed tap's
   outcome is recorded on its own with ``record_outcome``).

A process killed anywhere leaves either no row or a pending row; the next
tap of that band gets the same plan back (``resumed``) and the writer
finishes whatever is missing on the band. No band is ever active without a
verified, protected tag behind it.

A band tapped again within the batch is recognised before the database is
asked and counted once. Pause and Cancel take effect between bands, never in
the middle of a write; waiting for a band or for its removal answers within
a second (``Reader.wait_for_tag`` polls its event).
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from boxoffice.domain.enums import EncodeOutcome as Outcome
from boxoffice.errors import AlreadyEncodedError, BoxOfficeError, LimitExceededError
from boxoffice.services import encoding_bands, encoding_batches, encoding_manifest, keys
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from hardware.readers.errors import ForeignTagError, ReaderUnpluggedError, TagError
from hardware.readers.reader import Reader, TagSession
from hardware.station.band_writer import BandContent, BandWriter, Found

log = logging.getLogger(__name__)


class JobState(enum.StrEnum):
    NEW = "new"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


class EventKind(enum.StrEnum):
    STARTED = "started"
    BAND = "band"  # one tap handled; ``band`` says how
    PAUSED = "paused"
    RESUMED = "resumed"
    READER = "reader"  # the reader was unplugged or came back; ``message`` says which
    FINISHED = "finished"


@dataclass(frozen=True)
class BatchParams:
    event_ref: str
    category_ref: str
    series_refs: tuple[str, ...]
    count: int | None  # None: open-ended, until Cancel
    station: str | None = None
    # Tickets to link, one to each band encoded, in order (the Sales page: one band per ticket sold);
    # a ticket scanned with ``link_next_ticket`` goes before them.
    ticket_refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Progress:
    done: int = 0  # bands encoded and active
    failed: int = 0  # taps that did not end with an encoded band (a band tapped again may still finish)
    duplicates: int = 0  # bands already encoded before this batch
    requested: int | None = None

    @property
    def complete(self) -> bool:
        return self.requested is not None and self.done >= self.requested


@dataclass(frozen=True)
class BandReport:
    """One tap, for the person at the counter (``message``) and for the log (the rest)."""

    uid: str
    outcome: Outcome
    message: str
    label: str | None = None
    band_id: uuid.UUID | None = None
    resumed: bool = False  # finished a band an earlier tap (or a crashed run) had started
    repeat: bool = False  # the same band tapped again in this batch: not counted twice
    seconds: float = 0.0
    reader_gone: bool = False  # the reader, not the band, failed (unplugged, stopped answering)


@dataclass(frozen=True)
class JobEvent:
    kind: EventKind
    progress: Progress
    band: BandReport | None = None
    message: str = ""


@dataclass
class JobResult:
    batch_id: uuid.UUID
    status: str  # as given to finish_batch: "completed" or "cancelled"
    progress: Progress
    manifest: Any  # encoding_manifest.Manifest (.to_csv(), .to_json())
    bands: list[BandReport] = field(default_factory=list)


EventCallback = Callable[[JobEvent], None]


class EncodeJob:
    """Encode ``params.count`` bands (or until cancelled) on ``reader``; see the module docstring.

    ``reader`` must be open. ``start()`` runs the job in a worker thread and
    ``join()`` returns its ``JobResult``; ``run()`` runs it in the calling thread.
    """

    def __init__(self, reader: Reader, store: Store, actor: Actor, params: BatchParams, *,
                 on_event: EventCallback | None = None, writer: BandWriter | None = None) -> None:
        if params.count is not None and params.count < 1:
            raise ValueError("count is at least 1, or None for an open-ended batch")
        self.reader = reader
        self.store = store
        self.actor = actor
        self.params = params
        self.writer = writer or BandWriter()
        self._on_event = on_event
        self._cancel = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._interrupt = threading.Event()  # set by cancel() and pause(): stops any wait on the reader
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()
        self._result: JobResult | None = None
        self._error: BaseException | None = None
        self.state = JobState.NEW
        self.batch_id: uuid.UUID | None = None
        self.progress = Progress(requested=params.count)
        self._encoded: dict[str, BandReport] = {}  # UID -> its OK report, for repeat taps
        self._next_ticket: str | None = None
        self._queued_tickets: deque[str] = deque(params.ticket_refs)
        self.bands: list[BandReport] = []
        reader.on_event(lambda event: self._emit(EventKind.READER, message=event.message))

    # -- control, from any thread ---------------------------------------------------------

    def start(self) -> EncodeJob:
        self._thread = threading.Thread(target=self._run_in_thread, name="encode-job", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> JobResult:
        """Wait for the job; re-raises what stopped it, if anything did.

        Waits on an event rather than ``Thread.join``, which a KeyboardInterrupt
        can leave believing the thread has ended.
        """
        if self._thread is not None and not self._finished.wait(timeout):
            raise TimeoutError("the encoding job is still running")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        """Stop after the band being written (if any); the batch is finished as cancelled."""
        self._cancel.set()
        self._interrupt.set()
        self._resume.set()

    def pause(self) -> None:
        """Stop taking bands after the current one, until ``resume()``."""
        with self._lock:
            if self._cancel.is_set():
                return
            self._resume.clear()
            self._interrupt.set()

    def resume(self) -> None:
        with self._lock:
            self._resume.set()
            if not self._cancel.is_set():
                self._interrupt.clear()

    def link_next_ticket(self, code: str | None) -> None:
        """Link the next band encoded to this ticket (a scanned code), or stop linking with None.

        Kept until a band is encoded with it, so a tap that fails (removed too
        early, a duplicate) does not lose the ticket the person just scanned.
        """
        with self._lock:
            self._next_ticket = code.strip() if code and code.strip() else None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- the job ---------------------------------------------------------------------

    def _run_in_thread(self) -> None:
        try:
            self.run()
        except BaseException as error:  # handed to join(), which re-raises it in the caller
            log.exception("the encoding job stopped")
            self._error = error
        finally:
            self._finished.set()

    def run(self) -> JobResult:
        params = self.params
        batch = encoding_batches.start_batch(
            self.store, self.actor, event_ref=params.event_ref, category_ref=params.category_ref,
            series_refs=list(params.series_refs), requested=params.count, station=params.station,
        )
        self.batch_id = batch.id
        self.state = JobState.RUNNING
        self._emit(EventKind.STARTED, message=f"Batch started: {self._goal()}.")
        status = "cancelled"
        try:
            while not self._cancel.is_set():
                if self.progress.complete:
                    status = "completed"
                    break
                if not self._resume.is_set():
                    self._wait_paused()
                    continue
                session = self.reader.wait_for_tag(self._interrupt)
                if session is None:
                    continue
                with session:
                    report = self._handle(session)
                    # A band that left mid-write is gone already and may be back on the reader at any
                    # moment to be finished: waiting for it to leave would wait for the wrong thing.
                    if report.outcome is not Outcome.REMOVED:
                        self._wait_removed(session)
        finally:
            self.state = JobState.FINISHED
            finished = encoding_batches.finish_batch(self.store, self.actor, self.batch_id, status=status)
            log.info("batch %s finished as %s: %s", self.batch_id, status, self.progress)
        manifest = encoding_manifest.batch_manifest(self.store, self.actor, self.batch_id)
        self._result = JobResult(self.batch_id, getattr(finished, "status", status), self.progress,
                                 manifest, list(self.bands))
        self._emit(EventKind.FINISHED, message=self._summary(status))
        return self._result

    def _wait_removed(self, session: TagSession) -> None:
        """Beep, then wait for the band to go; an unplugged reader ends the wait (it is waited for next)."""
        try:
            session.wait_removed(self._interrupt)
        except ReaderUnpluggedError:
            log.info("the reader went away while a band was on it")

    def _wait_paused(self) -> None:
        self.state = JobState.PAUSED
        self._emit(EventKind.PAUSED, message="Paused: no bands are taken until you resume.")
        self._resume.wait()
        if not self._cancel.is_set():
            self.state = JobState.RUNNING
            self._emit(EventKind.RESUMED, message="Resumed: tap the next band.")

    def _handle(self, session: TagSession) -> BandReport:
        started = time.perf_counter()
        report = self._encode(session)
        report = replace(report, seconds=time.perf_counter() - started)
        self.bands.append(report)
        if report.outcome is Outcome.OK and not report.repeat:
            self._encoded[report.uid] = report
            self.progress = replace(self.progress, done=self.progress.done + 1)
        elif report.outcome is Outcome.DUPLICATE and not report.repeat:
            self.progress = replace(self.progress, duplicates=self.progress.duplicates + 1)
        elif not report.repeat:
            self.progress = replace(self.progress, failed=self.progress.failed + 1)
        self._emit(EventKind.BAND, band=report, message=report.message)
        return report

    def _encode(self, session: TagSession) -> BandReport:
        """One tap: plan (pending row) -> write, verify, protect -> active. Never raises for a band."""
        uid = session.uid.hex().upper()
        earlier = self._encoded.get(uid)
        if earlier is not None:
            return replace(earlier, message=f"{earlier.label or 'This band'} is already encoded in this "
                           "batch. Take it away and tap the next band.", repeat=True, resumed=False)
        if not session.is_wristband:
            return self._failed(uid, Outcome.FOREIGN_TAG, str(ForeignTagError(session.description)))
        assert self.batch_id is not None
        try:
            with self._lock:
                ticket = self._next_ticket
                queued = ticket is None and bool(self._queued_tickets)
                if queued:
                    ticket = self._queued_tickets[0]
            plan = encoding_bands.plan_band(self.store, self.actor, batch_id=self.batch_id, uid=uid,
                                            ticket_ref=ticket)
        except AlreadyEncodedError as error:
            return self._failed(uid, Outcome.DUPLICATE, str(error), error.label)
        except BoxOfficeError as error:  # e.g. an unknown ticket code: the person must hear why
            return self._failed(uid, Outcome.WRITE_FAILED, str(error))
        content = BandContent(plan.record_type, plan.record_payload, plan.password, plan.pack)
        try:
            written = self.writer.write(session, content, lambda: self._older_keys(uid))
        except TagError as error:
            return self._failed(uid, Outcome(error.outcome), str(error), plan.label, plan.band_id)
        except ReaderUnpluggedError as error:  # the reader's own UNPLUGGED event tells the rest
            report = self._failed(uid, Outcome.REMOVED, str(error), plan.label, plan.band_id)
            return replace(report, reader_gone=True)
        if plan.resumed and written.found is Found.SAME:
            message = f"{plan.label} encoded: the band an earlier tap had written is now finished."
        elif plan.resumed:
            message = f"{plan.label} encoded: its interrupted write was finished."
        else:
            message = f"{plan.label} encoded."
        if ticket is not None:
            message = f"{message[:-1]}, linked to ticket {ticket}."
        try:
            # The ok outcome is recorded in the activation's own transaction (one fewer per band).
            encoding_bands.activate_band(self.store, self.actor, batch_id=self.batch_id, band_id=plan.band_id,
                                         ok_message=message)
        except LimitExceededError as error:  # every next band would be refused too: stop the batch
            self.cancel()
            return self._failed(uid, Outcome.WRITE_FAILED, f"{error} The band stays unused; the batch stops.",
                                plan.label, plan.band_id)
        except BoxOfficeError as error:  # e.g. another station activated it meanwhile: the row decides
            return self._failed(uid, Outcome.WRITE_FAILED, str(error), plan.label, plan.band_id)
        if ticket is not None:
            with self._lock:
                if queued and self._queued_tickets and self._queued_tickets[0] == ticket:
                    self._queued_tickets.popleft()
                elif self._next_ticket == ticket:
                    self._next_ticket = None
        return BandReport(uid, Outcome.OK, message, plan.label, plan.band_id, resumed=plan.resumed)

    def _older_keys(self, uid: str) -> list[tuple[bytes, bytes]]:
        """Every password this UID may carry from earlier events of the organization."""
        return keys.passwords_for(self.store, self.actor, uid)

    def _failed(self, uid: str, outcome: Outcome, message: str, label: str | None = None,
                band_id: uuid.UUID | None = None) -> BandReport:
        self._record(uid, outcome, message)
        return BandReport(uid, outcome, message, label, band_id)

    def _record(self, uid: str, outcome: Outcome, message: str) -> None:
        assert self.batch_id is not None
        try:
            encoding_batches.record_outcome(self.store, self.actor, batch_id=self.batch_id, uid=uid,
                                            outcome=outcome.value, message=message)
        except BoxOfficeError:  # the tag's outcome must still reach the person
            log.exception("could not record the outcome %s of band %s", outcome, uid)

    # -- events ------------------------------------------------------------------------

    def _emit(self, kind: EventKind, *, band: BandReport | None = None, message: str = "") -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(JobEvent(kind, self.progress, band, message))
        except Exception:  # a broken listener must not stop a box-office station
            log.exception("encoding event callback failed")

    def _goal(self) -> str:
        count = self.params.count
        return "bands until you stop" if count is None else f"{count} band{'s' if count != 1 else ''}"

    def _summary(self, status: str) -> str:
        p = self.progress
        how = "Batch completed" if status == "completed" else "Batch cancelled"
        return (f"{how}: {p.done} encoded, {p.failed} failed, {p.duplicates} "
                f"duplicate{'s' if p.duplicates != 1 else ''}.")
