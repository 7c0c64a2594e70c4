"""Waiting for a band the way a station does: Cancel, timeouts, a cable pulled and plugged back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import ndef
import pytest

from hardware.readers.errors import ReaderUnpluggedError
from hardware.readers.nfcpy_reader import NfcpyReader
from hardware.readers.reader import ReaderEvent, ReaderEventKind, TagSession
from hardware.readers.sim import SimulatedField, SimulatedNtag
from hardware.readers.sim.device import simulated_reader


class Waiter:
    """``wait_for_tag`` in a worker thread, as the desktop runs it."""

    def __init__(self, reader: NfcpyReader, timeout: float | None = None) -> None:
        self.cancel = threading.Event()
        self.result: TagSession | None = None
        self.error: BaseException | None = None
        self.returned_at = 0.0
        self._thread = threading.Thread(target=self._run, args=(reader, timeout), daemon=True)
        self._thread.start()

    def _run(self, reader: NfcpyReader, timeout: float | None) -> None:
        try:
            self.result = reader.wait_for_tag(self.cancel, timeout)
        except BaseException as error:
            self.error = error
        finally:
            self.returned_at = time.monotonic()

    def join(self, seconds: float = 10.0) -> TagSession | None:
        self._thread.join(seconds)
        assert not self._thread.is_alive(), "wait_for_tag did not return"
        if self.error is not None:
            raise self.error
        return self.result


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_cancel_answers_within_a_second(reader: NfcpyReader) -> None:
    waiter = Waiter(reader)
    time.sleep(0.3)  # well into the polling loop
    cancelled_at = time.monotonic()
    waiter.cancel.set()
    assert waiter.join() is None
    assert waiter.returned_at - cancelled_at < 1.0


def test_a_timeout_gives_none(reader: NfcpyReader) -> None:
    started = time.monotonic()
    assert reader.wait_for_tag(threading.Event(), timeout=0.3) is None
    assert time.monotonic() - started < 1.3


def test_a_band_tapped_while_waiting_is_found(reader: NfcpyReader, field: SimulatedField,
                                             band: SimulatedNtag) -> None:
    waiter = Waiter(reader)
    time.sleep(0.2)
    field.place(band)
    session = waiter.join()
    assert session is not None and session.uid == band.uid
    session.close()


def test_wait_removed_answers_cancel_too(reader: NfcpyReader, field: SimulatedField, band: SimulatedNtag) -> None:
    field.place(band)
    session = reader.wait_for_tag(threading.Event(), timeout=5)
    assert session is not None
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    assert session.wait_removed(cancel) is False  # nobody takes it away (no auto-feed)
    assert time.monotonic() - started < 1.3
    beeps = 0 if reader.path.startswith("udp") else 1  # nfcpy's udp driver has no buzzer: nothing is sent
    assert field.beeps == beeps
    session.close()
    assert field.beeps == beeps  # one beep per band, where the reader can beep


def test_unplugged_and_replugged_reader_sends_events_and_keeps_waiting(field: SimulatedField,
                                                                      band: SimulatedNtag) -> None:
    events: list[ReaderEvent] = []
    with simulated_reader(field) as reader:
        reader.on_event(events.append)
        waiter = Waiter(reader)
        time.sleep(0.2)
        field.unplug()
        wait_until(lambda: len(events) == 1)
        assert events[0].kind is ReaderEventKind.UNPLUGGED
        assert "unplugged" in events[0].message
        field.replug()
        wait_until(lambda: len(events) == 2)
        assert events[1].kind is ReaderEventKind.REPLUGGED
        field.place(band)
        session = waiter.join()
        assert session is not None and session.uid == band.uid
        session.close()


def test_cancel_while_the_reader_is_unplugged(field: SimulatedField) -> None:
    with simulated_reader(field) as reader:
        field.unplug()
        waiter = Waiter(reader)
        time.sleep(0.4)
        cancelled_at = time.monotonic()
        waiter.cancel.set()
        assert waiter.join() is None
        assert waiter.returned_at - cancelled_at < 1.0


def test_reader_pulled_mid_session(field: SimulatedField, band: SimulatedNtag) -> None:
    events: list[ReaderEvent] = []
    with simulated_reader(field) as reader:
        reader.on_event(events.append)
        field.place(band)
        session = reader.wait_for_tag(threading.Event(), timeout=5)
        assert session is not None
        field.unplug()
        with pytest.raises(ReaderUnpluggedError, match="unplugged"):
            session.run(lambda tag: setattr(tag.ndef, "records", [ndef.TextRecord("x")]))
        assert [e.kind for e in events] == [ReaderEventKind.UNPLUGGED]
        session.close()  # closing after the loss must not raise


def test_a_failing_event_listener_does_not_stop_the_reader(field: SimulatedField, band: SimulatedNtag) -> None:
    def broken(event: ReaderEvent) -> None:
        raise RuntimeError("listener bug")

    with simulated_reader(field) as reader:
        reader.on_event(broken)
        waiter = Waiter(reader)
        time.sleep(0.1)
        field.unplug()
        time.sleep(0.2)
        field.replug()
        field.place(band)
        session = waiter.join()
        assert session is not None
        session.close()
