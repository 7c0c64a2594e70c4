"""PC/SC (CCID) readers through pyscard, with nfcpy's tag code running on top.

The readers box offices buy (ACR1252U, ACR122U under pcscd, Identiv,
Omnikey...) are PC/SC readers nfcpy cannot drive. nfcpy's Type 2 and NTAG21x
classes only ever call ``clf.exchange(frame, timeout)`` and
``clf.sense(target)``, so ``PcscFrontend`` offers exactly those two over a
PC/SC card connection, and ``nfc.tag.activate`` builds nfcpy's own NTAG213
object on it.

Raw tag frames travel in a vendor pass-through APDU:
- ACR122U (a PN532 inside): ``FF 00 00 00 Lc D4 42 <frame>`` (InCommunicateThru),
  answer ``D5 43 <status> <response> 90 00``; re-select with InListPassiveTarget.
- ACR1252U and readers with the same direct transmit: ``FF 00 00 00 Lc <frame>``,
  answer ``<response> 90 00``; re-select by reconnecting the card.
The UID comes from ``FF CA 00 00 00`` on every PC/SC reader.

pyscard is imported only when a PC/SC reader is used, so a machine without
pcsclite still runs everything else and gets a clear error here.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from typing import Any, Protocol

import nfc.clf
import nfc.tag

from boxoffice.words import a_or_an
from hardware.readers.errors import BackendMissingError, PcscServiceError, ReaderNotFoundError
from hardware.readers.reader import (
    MIFARE_CLASSIC_DESCRIPTION,
    POLL_SECONDS,
    Reader,
    ReaderEventKind,
    TagKind,
    TagSession,
    classify_tag,
)

log = logging.getLogger(__name__)
# nfcpy pins its logger at INFO on import; let the application's logging settings decide instead.
logging.getLogger("nfc").setLevel(logging.NOTSET)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
SW_OK = (0x90, 0x00)

# PC/SC part 3 ATR of a storage card: ... 03 06 <standard> <card name (2)> ...
_ATR_CARD_NAMES = {
    0x0001: (0x08, "MIFARE Classic 1K"),
    0x0002: (0x18, "MIFARE Classic 4K"),
    0x0026: (0x09, "MIFARE Mini"),
    0x0003: (0x00, "MIFARE Ultralight or NTAG"),
    0x003A: (0x00, "MIFARE Ultralight C"),
}


class CardConnection(Protocol):
    """The part of pyscard's ``CardConnection`` used here (and what a test fake provides)."""

    def transmit(self, command: list[int]) -> tuple[list[int], int, int]: ...

    def getATR(self) -> list[int]: ...

    def reconnect(self) -> None: ...

    def disconnect(self) -> None: ...


class PcscSystem(Protocol):
    """Lists readers and connects to the card on one; None when no card is there."""

    def readers(self) -> list[str]: ...

    def connect(self, reader: str) -> CardConnection | None: ...


class PyscardSystem:
    """The real PC/SC service through pyscard, imported on first use."""

    def __init__(self) -> None:
        try:
            import smartcard.Exceptions
            import smartcard.pcsc.PCSCExceptions
            import smartcard.System
        except (ImportError, OSError) as error:
            raise BackendMissingError(
                f"PC/SC support is not available ({error}).",
                fix="sudo apt install pcscd libpcsclite1 && .venv/bin/pip install pyscard",
            ) from error
        self._system = smartcard.System
        self._exceptions = smartcard.Exceptions
        self._service_errors = smartcard.pcsc.PCSCExceptions.BaseSCardException

    def readers(self) -> list[str]:
        try:
            return [str(r) for r in self._system.readers()]
        except self._service_errors as error:
            # EstablishContextException: pcscd is not running ("Service not available").
            raise PcscServiceError(str(error)) from error

    def connect(self, reader: str) -> CardConnection | None:
        for candidate in self._system.readers():
            if str(candidate) == reader:
                connection = candidate.createConnection()
                try:
                    connection.connect()
                except (self._exceptions.NoCardException, self._exceptions.CardConnectionException):
                    return None
                return connection
        raise OSError(errno.ENODEV, f"PC/SC reader {reader!r} is gone")


def _transmit(connection: CardConnection, apdu: list[int]) -> tuple[bytes, tuple[int, int]]:
    try:
        data, sw1, sw2 = connection.transmit(apdu)
    except Exception as error:
        # pyscard's CardConnectionException: the card or the reader went away mid-command.
        raise nfc.clf.TimeoutError(f"PC/SC transmit failed: {error}") from error
    return bytes(data), (sw1, sw2)


class Framing:
    """How one reader family carries raw tag frames inside APDUs."""

    name = "direct"

    def wrap(self, frame: bytes) -> list[int]:
        return [0xFF, 0x00, 0x00, 0x00, len(frame), *frame]

    def unwrap(self, data: bytes, sw: tuple[int, int]) -> bytes:
        if sw != SW_OK:
            raise nfc.clf.TimeoutError(f"no answer from the tag (SW {sw[0]:02X}{sw[1]:02X})")
        return data

    def reselect(self, connection: CardConnection) -> tuple[bytes, int, bytes] | None:
        """Activate the tag again (after a NAK it is IDLE); (ATQA, SAK, UID) or None if it is gone."""
        try:
            connection.reconnect()
        except Exception:
            return None
        data, sw = _transmit(connection, GET_UID)
        if sw != SW_OK:
            return None
        sak, _ = atr_card(connection.getATR())
        return b"\x44\x00", sak, data


class Acr122Framing(Framing):
    """ACR122U: the PN532's InCommunicateThru inside the pseudo-APDU."""

    name = "acr122"

    def wrap(self, frame: bytes) -> list[int]:
        return [0xFF, 0x00, 0x00, 0x00, len(frame) + 2, 0xD4, 0x42, *frame]

    def unwrap(self, data: bytes, sw: tuple[int, int]) -> bytes:
        if sw != SW_OK or data[:2] != b"\xd5\x43" or len(data) < 3:
            raise nfc.clf.TimeoutError(
                f"unexpected answer from the PN532 ({data.hex()} {sw[0]:02X}{sw[1]:02X})"
            )
        status = data[2] & 0x3F
        if status == 0x01:
            raise nfc.clf.TimeoutError("no answer from the tag")
        if status != 0x00:
            raise nfc.clf.TransmissionError(f"PN532 status {status:02X}")
        return data[3:]

    def reselect(self, connection: CardConnection) -> tuple[bytes, int, bytes] | None:
        data, sw = _transmit(connection, [0xFF, 0x00, 0x00, 0x00, 0x04, 0xD4, 0x4A, 0x01, 0x00])
        # D5 4B NbTg Tg SENS_RES(2, MSB first) SEL_RES NFCIDLength NFCID...
        if sw != SW_OK or data[:2] != b"\xd5\x4b" or len(data) < 8 or data[2] == 0:
            return None
        uid_length = data[7]
        return data[4:6][::-1], data[6], data[8 : 8 + uid_length]


def framing_for(reader_name: str) -> Framing:
    return Acr122Framing() if "ACR122" in reader_name.upper() else Framing()


def atr_card(atr: list[int] | bytes) -> tuple[int, str]:
    """SAK and name of a contactless storage card from its PC/SC ATR; (0x00, "") if unknown."""
    atr = bytes(atr)
    index = atr.find(b"\xa0\x00\x00\x03\x06")  # RID of the PC/SC workgroup
    if index < 0 or len(atr) < index + 8:
        return 0x00, ""
    card_name = int.from_bytes(atr[index + 6 : index + 8], "big")
    return _ATR_CARD_NAMES.get(card_name, (0x00, ""))


class PcscFrontend:
    """What nfcpy's tag classes need from a ``ContactlessFrontend``, over one PC/SC connection."""

    def __init__(self, connection: CardConnection, framing: Framing) -> None:
        self.connection = connection
        self.framing = framing
        self.target: nfc.clf.RemoteTarget | None = None
        self.lock = threading.Lock()

    def exchange(self, send_data: bytes, timeout: float) -> bytearray:
        """One raw frame to the tag; nfcpy's errors, so its retry and NAK handling apply unchanged."""
        with self.lock:
            data, sw = _transmit(self.connection, self.framing.wrap(bytes(send_data)))
            return bytearray(self.framing.unwrap(data, sw))

    def sense(self, *targets: nfc.clf.RemoteTarget, **options: Any) -> nfc.clf.RemoteTarget | None:
        """Select the tag again; None when it is gone or is not the one asked for."""
        with self.lock:
            found = self.framing.reselect(self.connection)
        if found is None:
            self.target = None
            return None
        atqa, sak, uid = found
        for wanted in targets:
            if wanted.sel_req and bytes(wanted.sel_req) != uid:
                self.target = None
                return None
        self.target = nfc.clf.RemoteTarget(
            "106A", sens_res=bytearray(atqa), sel_res=bytearray([sak]), sdd_res=bytearray(uid)
        )
        return self.target

    @property
    def max_send_data_size(self) -> int:
        return 250

    @property
    def max_recv_data_size(self) -> int:
        return 250


class PcscReader(Reader):
    """The first PC/SC reader whose name contains ``match`` (any reader when empty)."""

    def __init__(self, match: str = "", *, system: PcscSystem | None = None) -> None:
        super().__init__(f"pcsc:{match}" if match else "pcsc")
        self.match = match
        self._system = system
        self._reader: str | None = None
        self._frontend: PcscFrontend | None = None

    @property
    def system(self) -> PcscSystem:
        if self._system is None:
            self._system = PyscardSystem()
        return self._system

    def _find(self) -> str | None:
        for name in self.system.readers():
            if self.match.lower() in name.lower():
                return name
        return None

    def open(self) -> None:
        self._reader = self._find()
        if self._reader is None:
            raise ReaderNotFoundError(self.name, "No PC/SC reader is listed by the PC/SC service.")
        self.name = self._reader
        log.info("using PC/SC reader %s (%s framing)", self._reader, framing_for(self._reader).name)

    def close(self) -> None:
        self.release()
        self._reader = None

    def wait_for_tag(self, cancel: threading.Event, timeout: float | None = None) -> TagSession | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not cancel.is_set() and (deadline is None or time.monotonic() < deadline):
            if self._reader is None or self._reader not in self.system.readers():
                self._wait_for_reader(cancel, deadline)
                continue
            try:
                connection = self.system.connect(self._reader)
            except OSError:
                self.lost()
                continue
            if connection is None:
                cancel.wait(POLL_SECONDS)
                continue
            return self._session(connection)
        return None

    def _wait_for_reader(self, cancel: threading.Event, deadline: float | None) -> None:
        if self._reader is not None:
            self.lost()
        while not cancel.is_set() and (deadline is None or time.monotonic() < deadline):
            name = self._find()
            if name is not None:
                self._reader = self.name = name
                self._emit(ReaderEventKind.REPLUGGED, f"The reader {name} is back.")
                return
            cancel.wait(POLL_SECONDS * 5)

    def _session(self, connection: CardConnection) -> TagSession:
        assert self._reader is not None
        frontend = self._frontend = PcscFrontend(connection, framing_for(self._reader))
        sak, card_name = atr_card(connection.getATR())
        data, sw = _transmit(connection, GET_UID)
        uid = data if sw == SW_OK else b""
        if sak in (0x08, 0x09, 0x18):
            return TagSession(self, self.name, uid, TagKind.MIFARE_CLASSIC, None, MIFARE_CLASSIC_DESCRIPTION)
        target = frontend.sense(nfc.clf.RemoteTarget("106A"))
        tag = nfc.tag.activate(frontend, target) if target is not None else None
        if tag is None:
            description = f"{a_or_an(card_name)} card" if card_name else "a card this station cannot read"
            return TagSession(self, self.name, uid, TagKind.OTHER, None, description)
        kind, description = classify_tag(tag)
        return TagSession(self, self.name, uid or tag.identifier, kind, tag, description)

    # -- SessionLink -------------------------------------------------------------------------

    def present(self, uid: bytes) -> bool:
        if self._frontend is None:
            return False
        return self._frontend.sense(nfc.clf.RemoteTarget("106A", sel_req=bytearray(uid))) is not None

    def beep(self) -> None:
        """PC/SC readers beep on their own when a card arrives; nothing to send."""

    def release(self) -> None:
        frontend, self._frontend = self._frontend, None
        if frontend is not None:
            try:
                frontend.connection.disconnect()
            except Exception:
                log.debug("disconnect failed", exc_info=True)

    def lost(self, error: BaseException | None = None) -> None:
        self.release()
        if self._reader is not None:
            self._reader = None
            self._emit(ReaderEventKind.UNPLUGGED, f"The reader {self.name} was unplugged; waiting for it.")

