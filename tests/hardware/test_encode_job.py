"""The bulk encoding job end to end: nfcpy's tag code on simulated NTAG213s, a real SQLite file, no mocks.

Every test taking ``reader`` runs in process and over nfcpy's ``udp`` driver.
Bands are read back at the end the way a gate reads them (nfcpy, no
password) and their signatures checked against the event's public keys.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from boxoffice.domain import payload as pl
from boxoffice.domain.enums import BandStatus
from boxoffice.errors import BadSignatureError
from boxoffice.services import keys
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from hardware.readers.errors import TagRefusedError
from hardware.readers.nfcpy_reader import NfcpyReader
from hardware.readers.sim import (
    SimulatedField,
    SimulatedMifareClassic,
    SimulatedNtag,
    SimulatedUltralight,
    blank_bands,
)
from hardware.readers.sim.device import simulated_reader
from hardware.station.encode_job import BatchParams, EncodeJob, EventKind, JobEvent, JobResult, JobState
from tests.hardware.encoding_helpers import EVENT, SERIES, band_rows, make_festival, read_record, verify_band


@pytest.fixture
def festival(store: Store, owner: Actor) -> None:
    make_festival(store, owner)


def box(field: SimulatedField, tags: list, auto_feed: bool = True) -> None:
    """Replace the field's stack with ``tags`` and let the simulated person feed them one by one."""
    field.remove()
    field.stack.clear()
    field.stack.extend(tags)
    field.auto_feed = auto_feed
    if auto_feed:
        field.tap_next()


class Run:
    """An ``EncodeJob`` in its worker thread, with every event it sent."""

    def __init__(self, reader: NfcpyReader, store: Store, actor: Actor, count: int | None,
                 category: str = "VIP", hook: Callable[[JobEvent], None] | None = None) -> None:
        self.hook = hook  # runs in the job's thread, before the job goes on: a person's timely reaction
        self.events: list[JobEvent] = []
        self.seen = threading.Condition()
        self.job = EncodeJob(reader, store, actor, BatchParams(EVENT, category, (SERIES,), count, "Box 1"),
                             on_event=self._on_event)

    def _on_event(self, event: JobEvent) -> None:
        if self.hook is not None:
            self.hook(event)
        with self.seen:
            self.events.append(event)
            self.seen.notify_all()

    def start(self) -> Run:
        self.job.start()
        return self

    def wait_for(self, predicate, timeout: float = 20.0) -> None:
        with self.seen:
            assert self.seen.wait_for(lambda: predicate(self.events), timeout), "the job did not get there"

    def finish(self, timeout: float = 60.0) -> JobResult:
        try:
            return self.job.join(timeout)
        finally:
            self.job.cancel()

    @property
    def bands(self):
        return [e.band for e in self.events if e.band is not None]


@pytest.fixture
def run(reader: NfcpyReader, store: Store, owner: Actor, festival: None) -> Iterator:
    started: list[Run] = []

    def make(count: int | None, category: str = "VIP", hook: Callable[[JobEvent], None] | None = None) -> Run:
        started.append(Run(reader, store, owner, count, category, hook))
        return started[-1].start()

    yield make
    for r in started:
        r.job.cancel()


def assert_every_active_band_verifies(store: Store, owner: Actor, tags: list[SimulatedNtag]) -> None:
    """No band active without a verified tag behind it, and none registered twice."""
    rows = band_rows(store)
    by_uid = {t.uid.hex().upper(): t for t in tags}
    assert len({r.uid for r in rows}) == len(rows)
    for row in rows:
        if row.status is BandStatus.ACTIVE:
            fields = verify_band(store, owner, by_uid[row.uid])
            assert row.payload is not None and row.assigned
            assert pl.parse_payload(row.payload)[0] == fields


@pytest.mark.slow
def test_two_hundred_bands_in_a_row(run, field: SimulatedField, store: Store, owner: Actor) -> None:
    tags = blank_bands(200, seed=5)
    box(field, list(tags))
    result = run(200).finish()
    assert result.status == "completed"
    assert (result.progress.done, result.progress.failed, result.progress.duplicates) == (200, 0, 0)
    assert [b.outcome.value for b in result.bands] == ["ok"] * 200
    assert result.bands[0].label == "VIP #0001" and result.bands[-1].label == "VIP #0200"
    rows = band_rows(store)
    assert len(rows) == 200 and all(r.status is BandStatus.ACTIVE for r in rows)
    assert_every_active_band_verifies(store, owner, tags)
    assert all(t.auth0 == 4 for t in tags)
    assert result.manifest.encoded == 200 and result.manifest.counts == {"ok": 200}
    assert len(result.manifest.to_csv().splitlines()) == 201


def test_a_torn_band_is_finished_when_tapped_again(run, field: SimulatedField, store: Store,
                                                   owner: Actor) -> None:
    tags = blank_bands(3, seed=6)
    box(field, list(tags))

    def pull_the_next_band(event: JobEvent) -> None:  # the second band is pulled during its record write
        if event.band is not None and event.progress.done == 1 and event.band.outcome.value == "ok":
            field.tear_after(10)  # and put back on top of the box ("tap again")

    r = run(3, hook=pull_the_next_band)
    result = r.finish()
    outcomes = [(b.uid, b.outcome.value) for b in result.bands]
    torn_uid = tags[1].uid.hex().upper()
    assert outcomes == [(tags[0].uid.hex().upper(), "ok"), (torn_uid, "removed"), (torn_uid, "ok"),
                        (tags[2].uid.hex().upper(), "ok")]
    assert "pulled away while it was being written" in result.bands[1].message
    assert result.bands[2].resumed and "interrupted write was finished" in result.bands[2].message
    assert (result.progress.done, result.progress.failed) == (3, 1)
    assert_every_active_band_verifies(store, owner, tags)
    assert result.manifest.counts == {"ok": 3, "removed": 1}


def test_a_band_taken_away_mid_write_completes_on_the_next_tap(run, field: SimulatedField, store: Store,
                                                               owner: Actor) -> None:
    tags = blank_bands(2, seed=8)
    by_uid = {t.uid.hex().upper(): t for t in tags}
    box(field, list(tags))
    removed: list[str] = []

    def put_back(event: JobEvent) -> None:  # the person picks the band up again from the counter
        if event.band is not None and event.band.outcome.value == "removed" and not removed:
            removed.append(event.band.uid)
            field.stack.appendleft(by_uid[event.band.uid])

    field.remove_after(30)  # the first band is lifted off the reader half-way
    r = run(2, hook=put_back)
    result = r.finish()
    assert removed == [tags[0].uid.hex().upper()]
    assert [b.outcome.value for b in result.bands] == ["removed", "ok", "ok"]
    assert "taken away too early" in result.bands[0].message or "pulled away" in result.bands[0].message
    assert result.bands[1].uid == removed[0] and result.bands[1].resumed
    assert_every_active_band_verifies(store, owner, tags)


def test_foreign_tags_and_mifare_classic_are_refused_with_a_clear_message(
        run, field: SimulatedField, store: Store, owner: Actor) -> None:
    tags = blank_bands(2, seed=9)
    box(field, [tags[0], SimulatedMifareClassic(bytes.fromhex("DEADBEEF")),
                SimulatedUltralight(bytes.fromhex("04112233445566")), tags[1]])
    result = run(2).finish()
    assert [b.outcome.value for b in result.bands] == ["ok", "foreign_tag", "foreign_tag", "ok"]
    assert "MIFARE Classic card" in result.bands[1].message and "not a festival wristband" in \
        result.bands[1].message
    assert "Ultralight" in result.bands[2].message
    assert (result.progress.done, result.progress.failed) == (2, 2)
    assert {r.uid for r in band_rows(store)} == {t.uid.hex().upper() for t in tags}  # no row for a foreign tag


def test_a_band_locked_by_another_system_is_refused_and_never_active(run, field: SimulatedField,
                                                                    store: Store, owner: Actor) -> None:
    tags = blank_bands(3, seed=10)
    tags[1].set_password(b"\xde\xad\xbe\xef", b"\x01\x02", auth0=4, authlim=5)
    before = bytes(tags[1].memory)
    box(field, list(tags))
    result = run(2).finish()
    assert [b.outcome.value for b in result.bands] == ["ok", "locked", "ok"]
    assert "password this station does not know" in result.bands[1].message
    assert bytes(tags[1].memory) == before
    locked = [r for r in band_rows(store) if r.uid == tags[1].uid.hex().upper()]
    assert all(r.status is BandStatus.PENDING for r in locked)  # reserved, never active
    assert_every_active_band_verifies(store, owner, tags)


def test_tapping_a_band_again_is_harmless_and_counted_once(run, field: SimulatedField, store: Store,
                                                         owner: Actor) -> None:
    tags = blank_bands(3, seed=12)
    box(field, [tags[0], tags[1], tags[0], tags[2]])  # the first band comes back from the counter
    result = run(3).finish()
    assert [b.outcome.value for b in result.bands] == ["ok", "ok", "ok", "ok"]
    assert result.bands[2].repeat and "already encoded in this batch" in result.bands[2].message
    assert result.bands[2].label == "VIP #0001"
    assert (result.progress.done, result.progress.failed, result.progress.duplicates) == (3, 0, 0)
    assert len(band_rows(store)) == 3
    assert result.manifest.counts == {"ok": 3}


def test_a_band_from_an_earlier_batch_is_a_duplicate(run, field: SimulatedField, store: Store,
                                                    owner: Actor) -> None:
    tags = blank_bands(2, seed=13)
    box(field, [tags[0]])
    assert run(1).finish().progress.done == 1
    box(field, [tags[0], tags[1]])
    result = run(1, "GA").finish()
    assert [b.outcome.value for b in result.bands] == ["duplicate", "ok"]
    assert result.bands[0].message.startswith("This band is already encoded as VIP #0001")
    assert (result.progress.done, result.progress.duplicates) == (1, 1)
    assert verify_band(store, owner, tags[0]).category_id != verify_band(store, owner, tags[1]).category_id


def test_cancel_answers_within_a_second(run, field: SimulatedField) -> None:
    box(field, [], auto_feed=False)
    r = run(None)
    r.wait_for(lambda events: any(e.kind is EventKind.STARTED for e in events))
    time.sleep(0.3)  # well inside the reader's wait
    asked = time.monotonic()
    r.job.cancel()
    result = r.finish(timeout=5)
    latency = time.monotonic() - asked
    assert latency < 1.0, f"cancel took {latency:.2f} s"
    assert result.status == "cancelled" and result.progress.done == 0
    assert r.events[-1].kind is EventKind.FINISHED and "cancelled" in r.events[-1].message


def test_pause_and_resume(run, field: SimulatedField, store: Store) -> None:
    tags = blank_bands(2, seed=14)
    box(field, [], auto_feed=False)
    r = run(2)
    r.wait_for(lambda events: any(e.kind is EventKind.STARTED for e in events))
    r.job.pause()
    r.wait_for(lambda events: any(e.kind is EventKind.PAUSED for e in events), timeout=2)
    assert r.job.state is JobState.PAUSED
    field.stack.extend(tags)
    field.auto_feed = True
    field.tap_next()
    time.sleep(0.5)
    assert field.writes == 0 and band_rows(store) == []  # a paused job takes no band
    r.job.resume()
    result = r.finish()
    assert result.progress.done == 2
    kinds = [e.kind for e in r.events]
    assert kinds.index(EventKind.PAUSED) < kinds.index(EventKind.RESUMED) < kinds.index(EventKind.BAND)


def test_a_payload_copied_to_another_tag_fails_verification(run, field: SimulatedField, store: Store,
                                                          owner: Actor) -> None:
    tags = blank_bands(1, seed=15)
    box(field, list(tags))
    run(1).finish()
    _, [(record_type, data)] = read_record(tags[0])
    # A clone: the same record written on a blank tag with another UID, with nfcpy.
    clone = SimulatedNtag(bytes.fromhex("04010203040506"))
    clone_field = SimulatedField([], auto_feed=False)
    clone_field.place(clone)
    import ndef

    with simulated_reader(clone_field) as reader:
        session = reader.wait_for_tag(threading.Event(), timeout=5)
        assert session is not None
        with session:
            session.tag.ndef.records = [ndef.Record(record_type, "", data)]
    verify_band(store, owner, tags[0])
    with pytest.raises(BadSignatureError):
        verify_band(store, owner, clone)


def test_an_encoded_band_refuses_writes_without_its_password(run, field: SimulatedField, store: Store,
                                                            owner: Actor) -> None:
    tags = blank_bands(1, seed=16)
    box(field, list(tags))
    run(1).finish()
    other = SimulatedField([], auto_feed=False)
    other.place(tags[0])
    with simulated_reader(other) as reader:
        session = reader.wait_for_tag(threading.Event(), timeout=5)
        assert session is not None
        with session:
            assert len(session.tag.ndef.records) == 1  # a gate reads it without a password
            with pytest.raises(TagRefusedError):
                session.run(lambda t: t.write(5, b"\x00\x00\x00\x00"))
            assert session.is_present()
            pwd, pack = keys.password_for(store, owner, tags[0].uid.hex())
            assert session.tag.authenticate(pwd + pack)
    verify_band(store, owner, tags[0])


def test_a_reader_unplugged_mid_batch_is_waited_for_and_work_goes_on(store: Store, owner: Actor,
                                                                    festival: None) -> None:
    tags = blank_bands(3, seed=17)
    field = SimulatedField(list(tags), auto_feed=True)
    plugged_back = threading.Timer(0.8, field.replug)

    def pull_the_cable(event: JobEvent) -> None:
        if event.band is not None and event.progress.done == 1 and not plugged_back.is_alive():
            field.unplug()
            plugged_back.start()

    with simulated_reader(field) as reader:
        r = Run(reader, store, owner, 3, hook=pull_the_cable).start()
        result = r.finish()
    assert result.progress.done == 3 and result.status == "completed"
    messages = [e.message for e in r.events if e.kind is EventKind.READER]
    assert any("unplugged" in m for m in messages) and any("is back" in m for m in messages)
    assert_every_active_band_verifies(store, owner, tags)
