"""The encoder over ``udp:`` speaks nfcpy's protocol only, and says so when the peer stops answering.

The peer is ``StrictUdpPeer``: written from nfcpy's driver, it dies on any
datagram the driver would not send (as an independently written tag server
died on the encoder's old ``BEEP`` after band 1). The reader side is
nfcpy's unchanged ``udp`` driver under ``NfcpyReader``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from boxoffice.domain.enums import BandStatus
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from hardware.readers.errors import ReaderNotAnsweringError
from hardware.readers.nfcpy_reader import NfcpyReader
from hardware.readers.reader import ReaderEvent, ReaderEventKind
from hardware.readers.sim import SimulatedField, SimulatedMifareClassic, blank_bands
from hardware.readers.sim.ntag import WRITE
from hardware.station.encode_job import BatchParams, EncodeJob, EventKind, JobEvent
from tests.hardware.encoding_helpers import EVENT, SERIES, band_rows, make_festival, verify_band
from tests.hardware.strict_udp_peer import StrictUdpPeer

#: From the first unanswered datagram to the sentence: the driver's 1 s poll wait, plus a busy machine.
SAY_SO_WITHIN = 6.0


@pytest.fixture
def festival(store: Store, owner: Actor) -> None:
    make_festival(store, owner)


class Events:
    """Job and reader events as they come, with a condition to wait on."""

    def __init__(self) -> None:
        self.job: list[JobEvent] = []
        self.reader: list[tuple[float, ReaderEvent]] = []
        self.changed = threading.Condition()

    def on_job(self, event: JobEvent) -> None:
        with self.changed:
            self.job.append(event)
            self.changed.notify_all()

    def on_reader(self, event: ReaderEvent) -> None:
        with self.changed:
            self.reader.append((time.monotonic(), event))
            self.changed.notify_all()

    def wait(self, predicate, timeout: float) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), "the event did not come in time"

    def reader_kinds(self) -> list[ReaderEventKind]:
        return [e.kind for _, e in self.reader]

    @property
    def bands(self):
        return [e.band for e in self.job if e.band is not None]


@pytest.fixture
def peer() -> Iterator[StrictUdpPeer]:
    field = SimulatedField(blank_bands(12, seed=31), auto_feed=True)
    with StrictUdpPeer(field) as p:
        yield p


def start_job(peer: StrictUdpPeer, store: Store, owner: Actor, count: int | None,
              events: Events) -> tuple[NfcpyReader, EncodeJob]:
    reader = NfcpyReader(peer.path)
    reader.on_event(events.on_reader)
    reader.open()
    job = EncodeJob(reader, store, owner, BatchParams(EVENT, "VIP", (SERIES,), count, "Box 1"),
                    on_event=events.on_job)
    return reader, job.start()


def test_several_bands_in_a_row_through_a_strict_peer(peer: StrictUdpPeer, store: Store, owner: Actor,
                                                      festival: None) -> None:
    field = peer.field
    tags = list(field.stack) + ([field.tag] if field.tag else [])
    field.stack.insert(1, SimulatedMifareClassic(bytes.fromhex("DEADBEEF")))  # the third tap: a hotel card
    events = Events()
    reader, job = start_job(peer, store, owner, 6, events)
    try:
        result = job.join(120)
    finally:
        job.cancel()
        reader.close()
    assert peer.violations == [], f"the encoder sent what nfcpy's udp driver never sends: {peer.violations[:3]}"
    assert not peer.silent
    assert result.status == "completed" and result.progress.done == 6
    assert [b.outcome.value for b in result.bands] == ["ok", "ok", "foreign_tag", "ok", "ok", "ok", "ok"]
    assert events.reader == []  # never "not answering" while it answers
    assert {d.split(b" ")[0] for d in peer.received} <= {b"106A", b"RFOFF"}
    by_uid = {t.uid.hex().upper(): t for t in tags}
    rows = band_rows(store)
    assert len(rows) == 6 and all(r.status is BandStatus.ACTIVE for r in rows)
    for row in rows:
        verify_band(store, owner, by_uid[row.uid])
    assert field.beeps == 0  # nothing stood in for a beep: the person saw the station wait for the band to go


@pytest.mark.slow
def test_a_peer_that_goes_silent_mid_session_is_reported_within_seconds(
        peer: StrictUdpPeer, store: Store, owner: Actor, festival: None) -> None:
    writes = 0

    def mid_second_band(frame: bytes) -> bool:  # silent a few pages into the second band's record
        nonlocal writes
        if peer.field.finished and frame[:1] == bytes([WRITE]):
            writes += 1
        return writes >= 5

    peer.go_silent_when = mid_second_band
    events = Events()
    reader, job = start_job(peer, store, owner, 3, events)
    try:
        events.wait(lambda: ReaderEventKind.NOT_ANSWERING in events.reader_kinds(), 30)
        assert peer.silent_since is not None
        said_at, said = next((t, e) for t, e in events.reader if e.kind is ReaderEventKind.NOT_ANSWERING)
        assert said_at - peer.silent_since < SAY_SO_WITHIN
        assert said.message.startswith(f"The reader {peer.path} stopped answering")
        events.wait(lambda: len(events.bands) >= 2, SAY_SO_WITHIN)
        first, second = events.bands[:2]
        assert first.outcome.value == "ok"
        assert second.outcome.value == "removed" and second.reader_gone
        assert "stopped answering" in second.message and "taken away" not in second.message
        assert job.progress.done == 1
        # The peer comes back: the reader says so, and the batch goes on where it stopped.
        peer.answer_again()
        result = job.join(60)
    finally:
        job.cancel()
        reader.close()
    assert peer.violations == []
    assert events.reader_kinds()[-1] is ReaderEventKind.REPLUGGED
    assert result.status == "completed" and result.progress.done == 3
    second_uid = events.bands[1].uid
    assert [b.uid for b in result.bands if b.outcome.value == "ok"].count(second_uid) == 1  # finished after all
    assert all(r.status is BandStatus.ACTIVE for r in band_rows(store))


@pytest.mark.slow
def test_a_peer_that_goes_silent_between_bands_is_reported_within_seconds(
        peer: StrictUdpPeer, store: Store, owner: Actor, festival: None) -> None:
    events = Events()
    reader, job = start_job(peer, store, owner, None, events)
    try:
        events.wait(lambda: any(b.outcome.value == "ok" for b in events.bands), 30)
        peer.go_silent()
        events.wait(lambda: ReaderEventKind.NOT_ANSWERING in events.reader_kinds(), 30)
        said_at = next(t for t, e in events.reader if e.kind is ReaderEventKind.NOT_ANSWERING)
        assert peer.silent_since is not None and said_at - peer.silent_since < SAY_SO_WITHIN
        assert any(e.kind is EventKind.READER and "stopped answering" in e.message for e in events.job)
        asked = time.monotonic()
        job.cancel()
        result = job.join(10)
        assert time.monotonic() - asked < 3  # cancel still answers while the peer is silent
    finally:
        job.cancel()
        reader.close()
    assert result.status == "cancelled"
    assert peer.violations == []


def test_a_silent_peer_is_a_sentence_for_the_person_at_the_counter() -> None:
    error = ReaderNotAnsweringError("udp:127.0.0.1:54321", 1.2)
    assert str(error) == ("The reader udp:127.0.0.1:54321 stopped answering (nothing for 1 s). Check that it "
                          "is running and reachable; work goes on where it stopped when it answers again.")
    assert error.code == "reader_not_answering"


@pytest.mark.slow
def test_the_strict_peer_dies_on_what_nfcpy_never_sends() -> None:
    """The peer itself: a BEEP (what the encoder used to send) silences it for good."""
    import socket

    field = SimulatedField(blank_bands(1, seed=2), auto_feed=True)
    with StrictUdpPeer(field) as peer:
        host, port = peer.path.split(":")[1:]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(2)
            sock.sendto(b"106A 26", (host, int(port)))
            assert sock.recvfrom(64)[0] == b"106A 4400"
            sock.sendto(b"BEEP", (host, int(port)))
            sock.sendto(b"106A 26", (host, int(port)))
            with pytest.raises(TimeoutError):
                sock.recvfrom(64)
        assert peer.violations == [b"BEEP"] and peer.silent
