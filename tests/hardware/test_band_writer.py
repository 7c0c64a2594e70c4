"""Writing, verifying and protecting one band with nfcpy's own code, on both transports.

Every test runs in process and over nfcpy's ``udp`` driver (``reader`` is
parametrized in conftest). The band's EEPROM is inspected directly where
the point is what is physically on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import ndef
import pytest

from hardware.readers.errors import ForeignTagError, TagRefusedError, TagRemovedError
from hardware.readers.reader import TagKind, TagSession
from hardware.readers.sim import (
    NTAG215,
    SimulatedField,
    SimulatedMifareClassic,
    SimulatedNtag,
    SimulatedUltralight,
)
from hardware.station.band_writer import CONFIG_PAGES, DEFAULT_AUTHLIM, BandContent, BandWriter, Found
from hardware.station.errors import LockedTagError, RecordTooLargeError, TagNotFormattedError, TornWriteError

Tap = Callable[[], TagSession]
RECORD_TYPE = "urn:nfc:ext:bxo.app:b"
CONTENT = BandContent(RECORD_TYPE, bytes(range(90)), b"\x10\x20\x30\x40", b"\xbe\xef")


def records_on(tap: Tap, field: SimulatedField, band: SimulatedNtag) -> list[ndef.Record]:
    """A fresh tap of ``band`` and the records nfcpy reads from it, without any password."""
    field.place(band)
    with tap() as session:
        return list(session.tag.ndef.records)


def test_a_blank_band_is_written_verified_and_protected(field: SimulatedField, tap: Tap,
                                                       band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        result = BandWriter().write(session, CONTENT)
    assert result.found is Found.EMPTY and result.wrote_record and result.wrote_config
    assert not result.was_protected and result.size == len(CONTENT.message()) <= 137
    # What is physically on the band: our password, AUTH0 = 4, AUTHLIM set, reads left open.
    assert band.password == CONTENT.password and band.pack == CONTENT.pack
    assert band.auth0 == 4 and band.access & 0x07 == DEFAULT_AUTHLIM and not band.access & 0x80
    assert records_on(tap, field, band) == [ndef.Record(RECORD_TYPE, "", CONTENT.payload)]


def test_the_protected_band_refuses_a_write_without_the_password_and_reads_fine(
        field: SimulatedField, tap: Tap, band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        BandWriter().write(session, CONTENT)
    before = bytes(band.memory)
    field.place(band)
    with tap() as session:
        tag = session.tag
        assert tag.ndef.records == [ndef.Record(RECORD_TYPE, "", CONTENT.payload)]  # a gate reads freely
        with pytest.raises(TagRefusedError):
            session.run(lambda t: t.write(4, b"\x03\x00\xfe\x00"))
        assert session.is_present()  # selected again after the NAK (trap 4)
        with pytest.raises(TagRefusedError):
            session.run(lambda t: t.write(CONFIG_PAGES[TagKind.NTAG213], b"\x00\x00\x00\xff"))
        assert session.is_present()
        assert tag.authenticate(b"\x00\x00\x00\x00\x00\x00") is False
    assert bytes(band.memory) == before
    assert band.failed_auths == 1  # AUTHLIM counts it


def test_tapping_a_finished_band_again_writes_nothing(field: SimulatedField, tap: Tap,
                                                     band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        BandWriter().write(session, CONTENT)
    writes = field.writes
    field.place(band)
    with tap() as session:
        result = BandWriter().write(session, CONTENT)
    assert result.found is Found.SAME and result.was_protected
    assert not result.wrote_record and not result.wrote_config
    assert field.writes == writes


def test_our_protected_band_is_opened_with_our_password_and_rewritten(field: SimulatedField, tap: Tap,
                                                                     band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        BandWriter().write(session, CONTENT)
    other = BandContent(RECORD_TYPE, b"another payload", CONTENT.password, CONTENT.pack)
    field.place(band)
    with tap() as session:
        result = BandWriter().write(session, other)
    assert result.found is Found.OTHER and result.was_protected and result.wrote_record
    assert records_on(tap, field, band) == [ndef.Record(RECORD_TYPE, "", b"another payload")]


def test_a_band_protected_by_someone_else_is_locked_and_left_alone(field: SimulatedField, tap: Tap,
                                                                  band: SimulatedNtag) -> None:
    band.set_password(b"\xde\xad\xbe\xef", b"\x01\x02", auth0=4, authlim=3)
    before = bytes(band.memory)
    field.place(band)
    with tap() as session:
        with pytest.raises(LockedTagError, match="password this station does not know") as locked:
            BandWriter().write(session, CONTENT)
        assert locked.value.outcome == "locked" and locked.value.uid == band.uid
        assert session.is_present()
    assert bytes(band.memory) == before
    assert band.failed_auths == 1  # one guess of the three it allows, not a loop of retries


def test_a_read_protected_foreign_band_is_locked(field: SimulatedField, tap: Tap, band: SimulatedNtag) -> None:
    band.set_password(b"\xde\xad\xbe\xef", b"\x01\x02", auth0=4)
    band.memory[CONFIG_PAGES[TagKind.NTAG213] * 4 + 4] |= 0x80  # PROT: reads need the password too
    field.place(band)
    with tap() as session, pytest.raises(LockedTagError):
        BandWriter().write(session, CONTENT)


def test_a_band_locked_for_good_by_lock_bits(field: SimulatedField, tap: Tap, band: SimulatedNtag) -> None:
    band.memory[10] = 0xF0  # static lock bits of pages 4-7
    field.place(band)
    with tap() as session:
        with pytest.raises(LockedTagError, match="locked for good"):
            BandWriter().write(session, CONTENT)
        assert session.is_present()
        assert session.tag.read(0)  # the band answers again: it was selected after the refusal


@pytest.mark.parametrize("writes_before_tear", [0, 1, 5, 12, 24, 27, 28, 29, 30])
def test_a_band_pulled_mid_write_is_finished_on_the_next_tap(field: SimulatedField, tap: Tap,
                                                             band: SimulatedNtag,
                                                             writes_before_tear: int) -> None:
    field.place(band)
    field.tear_after(writes_before_tear)
    with tap() as session:
        try:
            BandWriter().write(session, CONTENT)
            torn = None
        except (TornWriteError, TagRemovedError) as error:
            torn = error
        field.clear_faults()
    if torn is not None:
        assert torn.outcome == "removed" and "again" in str(torn)
        assert field.tag is None
        field.tap_next()  # the person puts the same band back
        with tap() as session:
            assert session.uid == band.uid
            result = BandWriter().write(session, CONTENT)
        assert result.found in (Found.EMPTY, Found.SAME)
    assert band.auth0 == 4 and band.password == CONTENT.password
    assert records_on(tap, field, band) == [ndef.Record(RECORD_TYPE, "", CONTENT.payload)]


def test_a_torn_record_reads_back_as_an_empty_message(field: SimulatedField, tap: Tap,
                                                      band: SimulatedNtag) -> None:
    field.place(band)
    field.tear_after(3)
    with tap() as session, pytest.raises(TornWriteError, match="pulled away while it was being written"):
        BandWriter().write(session, CONTENT)
    assert records_on(tap, field, band) == []  # trap 5: the length is zeroed first, no garbage
    assert band.auth0 == 0xFF  # never protected with a record half there


@pytest.mark.parametrize("exchanges", [0, 1, 3, 6, 10, 20, 30, 40, 50, 55])
def test_a_band_taken_away_at_any_point_is_finished_on_the_next_tap(field: SimulatedField, tap: Tap,
                                                                    band: SimulatedNtag,
                                                                    exchanges: int) -> None:
    field.place(band)
    with tap() as session:
        field.remove_after(exchanges)
        try:
            BandWriter().write(session, CONTENT)
        except (TagRemovedError, TornWriteError) as error:
            assert "again" in str(error)
        field.clear_faults()  # a count past the end of this write must not hit the next tap
    field.place(band)
    with tap() as session:
        BandWriter().write(session, CONTENT)
    assert band.auth0 == 4
    assert records_on(tap, field, band) == [ndef.Record(RECORD_TYPE, "", CONTENT.payload)]


def test_mifare_classic_and_ultralight_are_foreign(field: SimulatedField, tap: Tap) -> None:
    field.place(SimulatedMifareClassic(bytes.fromhex("DEADBEEF")))
    with tap() as session, pytest.raises(ForeignTagError, match="MIFARE Classic") as foreign:
        BandWriter().write(session, CONTENT)
    assert foreign.value.outcome == "foreign_tag"
    ultralight = SimulatedUltralight(bytes.fromhex("04112233445566"))
    before = bytes(ultralight.memory) if hasattr(ultralight, "memory") else None
    field.place(ultralight)
    with tap() as session, pytest.raises(ForeignTagError, match="Ultralight"):
        BandWriter().write(session, CONTENT)
    if before is not None:
        assert bytes(ultralight.memory) == before


def test_a_record_too_large_for_an_ntag213_is_refused_before_writing(field: SimulatedField, tap: Tap,
                                                                     band: SimulatedNtag) -> None:
    big = BandContent(RECORD_TYPE, bytes(200), CONTENT.password, CONTENT.pack)
    field.place(band)
    with tap() as session, pytest.raises(RecordTooLargeError, match="holds only 137"):
        BandWriter().write(session, big)
    assert field.writes == 0
    large = SimulatedNtag(bytes.fromhex("04FFEEDDCCBBAA"), NTAG215)
    field.place(large)
    with tap() as session:
        assert BandWriter().write(session, big).wrote_record
    assert large.auth0 == 4


def test_an_unformatted_ntag_is_not_a_band(field: SimulatedField, tap: Tap, band: SimulatedNtag) -> None:
    band.memory[12:16] = b"\x00\x00\x00\x00"  # no capability container
    field.place(band)
    with tap() as session, pytest.raises(TagNotFormattedError):
        BandWriter().write(session, CONTENT)


@pytest.mark.slow
def test_two_hundred_bands_in_a_row(reader, field: SimulatedField, tap: Tap) -> None:
    from hardware.readers.sim import blank_bands

    field.stack.clear()
    field.stack.extend(blank_bands(200, seed=11))
    field.auto_feed = True
    field.tap_next()
    writer = BandWriter()
    for _ in range(200):
        with tap() as session:
            writer.write(session, CONTENT)
            assert session.wait_removed(threading.Event(), timeout=5)
    assert len(field.finished) == 200
    assert all(b.auth0 == 4 and b.password == CONTENT.password for b in field.finished)


def test_a_band_protected_with_an_older_key_of_ours_gets_the_current_one(field: SimulatedField, tap: Tap,
                                                                        band: SimulatedNtag) -> None:
    old = (b"\x01\x01\x01\x01", b"\x02\x02")
    band.set_password(*old, auth0=4, authlim=7)
    asked: list[int] = []

    def older_keys() -> list[tuple[bytes, bytes]]:
        asked.append(1)
        return [(b"\x09\x09\x09\x09", b"\x09\x09"), old]

    field.place(band)
    with tap() as session:
        result = BandWriter().write(session, CONTENT, older_keys)
    assert result.was_protected and result.wrote_config and asked == [1]
    assert band.password == CONTENT.password and band.pack == CONTENT.pack
    field.place(band)
    with tap() as session:  # ours opens it now, and the older keys are not even looked up
        assert BandWriter().write(session, CONTENT, older_keys).found is Found.SAME
    assert asked == [1]


@pytest.mark.parametrize("name", ["ACS ACR122U PICC Interface 00 00",
                                  "ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 00 00"])
def test_the_writer_runs_unchanged_on_a_pcsc_reader(band: SimulatedNtag, name: str) -> None:
    from hardware.readers.pcsc import PcscReader
    from tests.hardware.test_pcsc import FakeSystem

    field = SimulatedField([], auto_feed=False)
    field.place(band)
    with PcscReader(system=FakeSystem(field, name)) as reader:
        session = reader.wait_for_tag(threading.Event(), timeout=2)
        assert session is not None
        with session:
            assert BandWriter().write(session, CONTENT).wrote_config
        field.place(band)
        session = reader.wait_for_tag(threading.Event(), timeout=2)
        assert session is not None
        with session:
            result = BandWriter().write(session, CONTENT)
    assert result.found is Found.SAME and result.was_protected
    assert band.auth0 == 4 and band.password == CONTENT.password
