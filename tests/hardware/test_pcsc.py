"""The PC/SC backend against fake card connections that answer like an ACR122U or an ACR1252U.

The fakes stand where pyscard's ``CardConnection`` stands and hold a
simulated field, so the APDU framing is checked byte by byte and nfcpy's
NTAG213 code runs on top of the adapter exactly as it would on a real
reader. Real hardware cannot be here; what the vendors' manuals say about
their pass-through is what the fakes encode.
"""

from __future__ import annotations

import sys
import threading
import time

import ndef
import nfc.clf
import nfc.tag.tt2_nxp
import pytest

from hardware.readers.diagnose import diagnose_pcsc
from hardware.readers.errors import BackendMissingError, PcscServiceError
from hardware.readers.pcsc import (
    Acr122Framing,
    Framing,
    PcscFrontend,
    PcscReader,
    PyscardSystem,
    atr_card,
    framing_for,
)
from hardware.readers.reader import ReaderEvent, ReaderEventKind, TagKind
from hardware.readers.sim import SimulatedField, SimulatedMifareClassic, SimulatedNtag
from hardware.readers.sim.iso14443a import reader_select

UID = bytes.fromhex("04A1B2C3D4E5F6")
ATR_ULTRALIGHT = bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")
ATR_CLASSIC_1K = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")


class CardGone(Exception):
    """What pyscard raises (CardConnectionException) when the card left mid-command."""


class FakeConnection:
    """A PC/SC card connection to an ACR122U (``acr122=True``) or an ACR1252U-style reader."""

    def __init__(self, field: SimulatedField, acr122: bool) -> None:
        self.field = field
        self.acr122 = acr122
        self.apdus: list[bytes] = []
        self.disconnected = False
        self._activate()

    def _activate(self) -> tuple[bytes, int, bytes] | None:
        self.field.rf_off()
        return reader_select(self.field.transceive)

    def getATR(self) -> list[int]:
        is_classic = isinstance(self.field.tag, SimulatedMifareClassic)
        return list(ATR_CLASSIC_1K if is_classic else ATR_ULTRALIGHT)

    def reconnect(self) -> None:
        if self._activate() is None:
            raise CardGone("card removed")

    def disconnect(self) -> None:
        self.disconnected = True
        self.field.rf_off()

    def transmit(self, command: list[int]) -> tuple[list[int], int, int]:
        apdu = bytes(command)
        self.apdus.append(apdu)
        if apdu == bytes.fromhex("FFCA000000"):
            if self.field.tag is None:
                return [], 0x63, 0x00
            return list(self.field.tag.uid), 0x90, 0x00
        if apdu[:4] != b"\xff\x00\x00\x00" or apdu[4] != len(apdu) - 5:
            return [], 0x6A, 0x81
        payload = apdu[5:]
        if not self.acr122:
            answer = self.field.transceive(payload)
            return ([], 0x63, 0x00) if answer is None else (list(answer), 0x90, 0x00)
        if payload == bytes.fromhex("D44A0100"):  # InListPassiveTarget, one 106A target
            found = self._activate()
            if found is None:
                return [0xD5, 0x4B, 0x00], 0x90, 0x00
            atqa, sak, uid = found
            return [0xD5, 0x4B, 0x01, 0x01, *atqa[::-1], sak, len(uid), *uid], 0x90, 0x00
        if payload[:2] == b"\xd4\x42":  # InCommunicateThru
            answer = self.field.transceive(payload[2:])
            if answer is None:
                return [0xD5, 0x43, 0x01], 0x90, 0x00
            return [0xD5, 0x43, 0x00, *answer], 0x90, 0x00
        return [], 0x6A, 0x81


class FakeSystem:
    """The PC/SC service: readers come and go, a card is there or not."""

    def __init__(self, field: SimulatedField, name: str = "ACS ACR122U PICC Interface 00 00") -> None:
        self.field = field
        self.names = [name]
        self.connections: list[FakeConnection] = []

    def readers(self) -> list[str]:
        return list(self.names)

    def connect(self, reader: str) -> FakeConnection | None:
        if reader not in self.names:
            raise OSError("gone")
        if self.field.tag is None:
            return None
        connection = FakeConnection(self.field, acr122="ACR122" in reader)
        self.connections.append(connection)
        return connection


@pytest.fixture
def pcsc_field(band: SimulatedNtag) -> SimulatedField:
    field = SimulatedField([], auto_feed=False)
    field.place(band)
    return field


def test_acr122_framing_is_incommunicatethru_in_a_pseudo_apdu() -> None:
    framing = Acr122Framing()
    assert bytes(framing.wrap(b"\x30\x04")) == bytes.fromhex("FF00000004D4423004")
    assert framing.unwrap(bytes.fromhex("D54300") + bytes(16), (0x90, 0x00)) == bytes(16)
    with pytest.raises(nfc.clf.TimeoutError):
        framing.unwrap(bytes.fromhex("D54301"), (0x90, 0x00))
    with pytest.raises(nfc.clf.TransmissionError):
        framing.unwrap(bytes.fromhex("D54302"), (0x90, 0x00))
    with pytest.raises(nfc.clf.TimeoutError):
        framing.unwrap(b"", (0x63, 0x00))


def test_direct_framing_sends_the_frame_as_it_is() -> None:
    framing = Framing()
    assert bytes(framing.wrap(b"\x1b\x11\x22\x33\x44")) == bytes.fromhex("FF000000051B11223344")
    assert framing.unwrap(b"\xaa\xbb", (0x90, 0x00)) == b"\xaa\xbb"
    with pytest.raises(nfc.clf.TimeoutError):
        framing.unwrap(b"", (0x63, 0x00))


def test_framing_is_chosen_by_reader_name_and_atr_names_the_card() -> None:
    assert isinstance(framing_for("ACS ACR122U PICC Interface 00 00"), Acr122Framing)
    assert type(framing_for("ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 00 00")) is Framing
    assert atr_card(ATR_CLASSIC_1K) == (0x08, "MIFARE Classic 1K")
    assert atr_card(ATR_ULTRALIGHT) == (0x00, "MIFARE Ultralight or NTAG")
    assert atr_card(b"\x3b\x00") == (0x00, "")


@pytest.mark.parametrize("acr122", [True, False], ids=["acr122", "direct"])
def test_nfcpy_ntag213_runs_on_the_pcsc_adapter(pcsc_field: SimulatedField, band: SimulatedNtag,
                                               acr122: bool) -> None:
    connection = FakeConnection(pcsc_field, acr122)
    frontend = PcscFrontend(connection, Acr122Framing() if acr122 else Framing())
    target = frontend.sense(nfc.clf.RemoteTarget("106A"))
    tag = nfc.tag.activate(frontend, target)
    assert type(tag) is nfc.tag.tt2_nxp.NTAG213 and tag.identifier == UID
    tag.ndef.records = [ndef.TextRecord("over PC/SC")]
    assert tag.ndef.has_changed is False
    assert tag.protect(password=b"\x11\x22\x33\x44\xaa\xbb", protect_from=4) is True
    assert band.auth0 == 4
    assert tag.signature == band.signature
    read_page_4 = (bytes.fromhex("FF00000004D4423004") if acr122 else bytes.fromhex("FF000000023004"))
    assert read_page_4 in connection.apdus


def test_pcsc_reader_sessions_refusal_and_reselect(pcsc_field: SimulatedField, band: SimulatedNtag) -> None:
    band.set_password(b"\x11\x22\x33\x44", b"\xaa\xbb")
    reader = PcscReader(system=FakeSystem(pcsc_field))
    with reader:
        assert reader.name == "ACS ACR122U PICC Interface 00 00"
        session = reader.wait_for_tag(threading.Event(), timeout=2)
        assert session is not None and session.kind is TagKind.NTAG213 and session.uid == UID
        assert session.tag.authenticate(b"\x00\x00\x00\x00\xaa\xbb") is False
        assert session.is_present()  # re-selected with InListPassiveTarget after the NAK
        assert session.tag.authenticate(b"\x11\x22\x33\x44\xaa\xbb") is True
        session.tag.ndef.records = [ndef.TextRecord("ok")]
        pcsc_field.remove()
        assert session.wait_removed(threading.Event(), timeout=2) is True
        session.close()


def test_pcsc_mifare_classic_is_foreign_by_its_atr(pcsc_field: SimulatedField) -> None:
    pcsc_field.place(SimulatedMifareClassic(bytes.fromhex("DEADBEEF")))
    with PcscReader(system=FakeSystem(pcsc_field)) as reader:
        session = reader.wait_for_tag(threading.Event(), timeout=2)
        assert session is not None and session.kind is TagKind.MIFARE_CLASSIC and session.tag is None
        assert session.uid == bytes.fromhex("DEADBEEF")


def test_pcsc_cancel_and_reader_unplugged(pcsc_field: SimulatedField) -> None:
    pcsc_field.remove()
    system = FakeSystem(pcsc_field)
    events: list[ReaderEvent] = []
    with PcscReader("acr122", system=system) as reader:
        reader.on_event(events.append)
        cancel = threading.Event()
        worker = threading.Thread(target=reader.wait_for_tag, args=(cancel,))
        worker.start()
        time.sleep(0.2)
        system.names = []
        time.sleep(0.4)
        system.names = ["ACS ACR122U PICC Interface 00 00"]
        time.sleep(0.7)
        cancelled = time.monotonic()
        cancel.set()
        worker.join(5)
        assert not worker.is_alive() and time.monotonic() - cancelled < 1.0
    assert [e.kind for e in events] == [ReaderEventKind.UNPLUGGED, ReaderEventKind.REPLUGGED]


def test_missing_pcsc_service_and_missing_pyscard_are_sentences(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoService:
        def readers(self) -> list[str]:
            raise PcscServiceError("Service not available (0x8010001D)")

    findings, _ = diagnose_pcsc(NoService())
    assert findings[0].ready is False
    assert "PC/SC service is not running" in findings[0].problem
    assert "pcscd" in findings[0].fix

    monkeypatch.setitem(sys.modules, "smartcard", None)  # as if pyscard or libpcsclite were missing
    monkeypatch.setitem(sys.modules, "smartcard.System", None)
    with pytest.raises(BackendMissingError, match="PC/SC support is not available") as missing:
        PyscardSystem()
    assert "pyscard" in missing.value.fix
