"""nfcpy's own NTAG21x and NDEF code on the simulated bands, in process and over the udp driver.

Every test here runs twice (``reader`` is parametrized): the code under test
never knows which transport it is on.
"""

from __future__ import annotations

from collections.abc import Callable

import ndef
import nfc.tag
import nfc.tag.tt2
import nfc.tag.tt2_nxp
import pytest

from hardware.readers.errors import ForeignTagError, TagRefusedError, TagRemovedError
from hardware.readers.nfcpy_reader import NfcpyReader
from hardware.readers.reader import TagKind, TagSession
from hardware.readers.sim import (
    NTAG213,
    NTAG215,
    NTAG216,
    SimulatedField,
    SimulatedMifareClassic,
    SimulatedNtag,
    SimulatedUltralight,
)

Tap = Callable[[], TagSession]
PASSWORD = b"\x11\x22\x33\x44\xaa\xbb"  # PWD (4) + PACK (2), nfcpy's format


def write_text(tag: nfc.tag.Tag, text: str) -> None:
    tag.ndef.records = [ndef.TextRecord(text)]


@pytest.mark.parametrize(("model", "cls", "kind"), [
    (NTAG213, nfc.tag.tt2_nxp.NTAG213, TagKind.NTAG213),
    (NTAG215, nfc.tag.tt2_nxp.NTAG215, TagKind.NTAG215),
    (NTAG216, nfc.tag.tt2_nxp.NTAG216, TagKind.NTAG216),
])
def test_nfcpy_itself_recognises_each_ntag(field: SimulatedField, tap: Tap, model, cls, kind) -> None:
    band = SimulatedNtag(bytes.fromhex("04010203040506"), model)
    field.place(band)
    with tap() as session:
        assert type(session.tag) is cls
        assert session.kind is kind and session.is_wristband
        assert session.uid == band.uid
        assert session.tag.ndef is not None and session.tag.ndef.records == []
        assert session.wristband() is session.tag


def test_ndef_written_with_nfcpy_reads_back_in_a_new_session(field: SimulatedField, tap: Tap,
                                                            band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        assert session.tag.ndef.capacity == 137
        write_text(session.tag, "VIP #0042")
        assert session.tag.ndef.has_changed is False  # the verify step: re-read equals what was written
    field.place(band)  # taken away and tapped again
    with tap() as session:
        assert session.tag.ndef.records == [ndef.TextRecord("VIP #0042")]
    assert band.memory[16:20] == bytes.fromhex("0103A00C")  # the lock control TLV stays in front


def test_protect_with_password_then_auth_with_right_and_wrong(field: SimulatedField, tap: Tap,
                                                             band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        write_text(session.tag, "before")
        assert session.tag.protect(password=PASSWORD, protect_from=4) is True
        write_text(session.tag, "still authenticated")  # protect() leaves the session authenticated
    assert band.auth0 == 4 and band.password == PASSWORD[:4]

    field.place(band)
    with tap() as session:
        tag = session.tag
        assert tag.ndef.records == [ndef.TextRecord("still authenticated")]  # reading stays open
        assert tag.ndef.is_writeable  # nfcpy still says so after protect() (NFC-NOTES trap 2)
        with pytest.raises(TagRefusedError):
            session.run(lambda t: write_text(t, "vandal"))
        assert tag.authenticate(b"\x00\x00\x00\x00\xaa\xbb") is False
        assert session.is_present()  # selects the band again after the NAK (trap 4)
        assert tag.authenticate(PASSWORD) is True
        write_text(tag, "after")
    assert band.memory[16:40].find(b"after") > 0


def test_a_pre_protected_band_with_an_unknown_password(field: SimulatedField, tap: Tap,
                                                       band: SimulatedNtag) -> None:
    band.set_password(b"\xde\xad\xbe\xef", b"\x01\x02", auth0=4)
    field.place(band)
    with tap() as session:
        assert session.is_wristband  # it is one, just not ours to write
        with pytest.raises(TagRefusedError) as refused:
            session.run(lambda t: write_text(t, "ours"))
        assert "password" in str(refused.value)
        assert session.is_present()
        assert session.tag.authenticate(PASSWORD) is False


def test_tearing_leaves_an_empty_message_and_a_retry_succeeds(field: SimulatedField, tap: Tap,
                                                              band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        write_text(session.tag, "old message")
    field.place(band)
    field.tear_after(2)
    with tap() as session, pytest.raises(TagRemovedError) as removed:
        session.run(lambda t: write_text(t, "a new and longer message"))
    assert isinstance(removed.value.__cause__, nfc.tag.TagCommandError)
    assert removed.value.__cause__.errno == nfc.tag.TIMEOUT_ERROR  # trap 5
    assert field.tag is None and field.stack[0] is band
    field.tap_next()  # the person taps the same band again
    with tap() as session:
        assert session.uid == band.uid
        assert session.tag.ndef.records == []  # torn: the length was zeroed first, no garbage
        write_text(session.tag, "a new and longer message")
        assert session.tag.ndef.has_changed is False


def test_band_taken_away_mid_session(field: SimulatedField, tap: Tap, band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        field.remove_after(3)
        with pytest.raises(TagRemovedError, match="too early"):
            session.run(lambda t: write_text(t, "x" * 100))
        assert not session.is_present()


def test_mifare_classic_is_recognised_and_never_activated(field: SimulatedField, tap: Tap) -> None:
    card = SimulatedMifareClassic(bytes.fromhex("DEADBEEF"))
    field.place(card)
    with tap() as session:
        assert session.kind is TagKind.MIFARE_CLASSIC and not session.is_wristband
        assert session.tag is None and session.uid == bytes.fromhex("DEADBEEF")
        with pytest.raises(ForeignTagError, match="MIFARE Classic card") as foreign:
            session.wristband()
        assert foreign.value.uid == card.uid
    assert field.exchanges < 20  # found by its SAK, no Type 2 commands thrown at it


def test_an_ultralight_is_a_type2_tag_but_not_a_wristband(field: SimulatedField, tap: Tap) -> None:
    field.place(SimulatedUltralight(bytes.fromhex("04112233445566")))
    with tap() as session:
        assert type(session.tag) is nfc.tag.tt2_nxp.MifareUltralight
        assert session.kind is TagKind.OTHER_TYPE2
        with pytest.raises(ForeignTagError, match=r"Mifare Ultralight .* not a festival wristband"):
            session.wristband()
        assert session.tag.ndef is not None  # nfcpy can still read it; encoding must refuse it


def test_signature_is_read_through_nfcpy(field: SimulatedField, tap: Tap, band: SimulatedNtag) -> None:
    field.place(band)
    with tap() as session:
        assert session.tag.signature == band.signature != bytes(32)


def test_a_stack_of_bands_with_auto_feed(reader: NfcpyReader, field: SimulatedField, tap: Tap) -> None:
    field.auto_feed = True
    field.tap_next()
    import threading

    seen = []
    for n in range(3):
        with tap() as session:
            write_text(session.tag, f"band {n}")
            seen.append(session.uid)
            assert session.wait_removed(threading.Event(), timeout=5)  # beeps; the person takes it away
    assert len(set(seen)) == 3
    assert [t.uid for t in field.finished] == seen
    assert field.tag is None and not field.stack  # the box is empty


def test_the_reader_is_nfcpys_device_on_each_transport(reader: NfcpyReader) -> None:
    assert reader.frontend.device is not None
    assert reader.path in ("sim",) or reader.path.startswith("udp:127.0.0.1:")
