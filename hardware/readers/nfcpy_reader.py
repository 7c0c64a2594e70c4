"""Readers nfcpy drives itself: USB (PN533, RC-S380, SCL3711, ACR122U), serial PN532, udp, the simulator.

Everything goes through nfcpy's ``ContactlessFrontend.connect()``, tuned so
Cancel answers quickly: two sense rounds 0.1 s apart per ``connect()``
cycle, then ``terminate`` is asked again. nfcpy's default (5 rounds 0.5 s
apart) makes Cancel take seconds; one round with no pause spins a core
against the simulator, which answers an empty field at once.

``connect()`` hides a pulled cable: it logs the ``IOError`` and returns
False. That is taken as "the reader went away": the reader is closed, an
UNPLUGGED event is sent, and ``wait_for_tag`` keeps trying to open it again
until it is back (REPLUGGED) or the wait is cancelled.

Over nfcpy's ``udp`` driver the reader is a program at the other end of a
socket, and the protocol is frames and ``RFOFF``, nothing more: no beep is
sent there (the driver has no buzzer), and nothing tells a dead peer from an
empty field by itself. A peer that answers every poll (a band's ATQA, or a
frame without data when its field is empty, as the simulator does) has gone
silent when a poll gets no answer within the driver's wait (1 s): the driver
then raises ``ReaderSilence`` (an ``OSError``, so nfcpy treats it like a
pulled cable), the reader sends NOT_ANSWERING with a sentence
(``ReaderNotAnsweringError``), and waits for the peer to answer again. A peer
that is silent when its field is empty cannot be told from an empty field.
"""

from __future__ import annotations

import errno
import logging
import select
import threading
import time
from collections.abc import Callable

import nfc
import nfc.clf
import nfc.clf.udp
import nfc.tag

from hardware.readers.errors import (
    BackendMissingError,
    ReaderError,
    ReaderNotAnsweringError,
    ReaderNotFoundError,
    ReaderPathError,
    ReaderSilence,
    ReaderUnavailableError,
    reader_gone,
)
from hardware.readers.reader import (
    MIFARE_CLASSIC_DESCRIPTION,
    POLL_SECONDS,
    Reader,
    ReaderEventKind,
    TagKind,
    TagSession,
    classify_tag,
    is_mifare_classic_sak,
)

log = logging.getLogger(__name__)
# nfcpy pins its logger at INFO on import; let the application's logging settings decide instead.
logging.getLogger("nfc").setLevel(logging.NOTSET)

SENSE_ROUNDS = 2
SENSE_INTERVAL = 0.1
RECONNECT_SECONDS = 0.5

#: Over ``udp`` the host, not a radio, decides when an answer arrives; nfcpy's 5 ms READ timeout
#: then fails on a busy machine. Real readers keep nfcpy's timeouts.
UDP_TIMEOUT_FLOOR = 0.1

#: What nfcpy's udp driver sends to wake a type A tag (REQA, WUPA): every peer that is alive answers.
_POLL_FRAMES = (b"\x26", b"\x52")

UDEV_HINT = (
    "Install a udev rule for the reader (`boxoffice reader list` prints the exact one), "
    "then unplug it and plug it back in."
)


def open_error(path: str, error: OSError) -> ReaderError:
    """What ``ContactlessFrontend.open`` raising means, for the person at the counter."""
    if error.errno == errno.EACCES:
        return ReaderUnavailableError(
            f"This program is not allowed to use the reader on {path} (no permission on its USB device).",
            fix=UDEV_HINT,
        )
    if error.errno == errno.EBUSY:
        return ReaderUnavailableError(
            f"The reader on {path} is held by another program or a kernel driver "
            "(pcscd, pn533_usb or port100).",
            fix="`boxoffice reader list` says which one and how to free the reader.",
        )
    if error.errno == errno.ENOENT and "libusb" in str(error):
        return BackendMissingError(
            "libusb-1.0 is not installed, so nfcpy cannot reach USB readers.",
            fix="sudo apt install libusb-1.0-0",
        )
    if error.errno in (errno.ENOENT, errno.ENODEV):
        return ReaderNotFoundError(path)
    return ReaderUnavailableError(f"The reader on {path} could not be opened: {error.strerror or error}.")


class UdpPeerWatch:
    """Tells, from the datagrams nfcpy's udp driver exchanges, when its peer stops answering.

    Installed on each udp device the reader opens (it wraps the driver's
    ``_send_data`` and ``_recv_data``); it outlives the device, so a reopened
    reader still knows the peer used to answer.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.heard = False  # the peer has answered at least once since the reader was made
        self.last_heard = time.monotonic()
        self.silence: ReaderSilence | None = None  # raised since the peer was last heard
        self._polling = False  # the last frame sent was a poll

    def install(self, device: nfc.clf.udp.Device) -> None:
        send, recv = device._send_data, device._recv_data

        def send_data(brty: str, data: bytes, addr: tuple[str, int]) -> None:
            self._polling = brty == "106A" and bytes(data) in _POLL_FRAMES
            send(brty, data, addr)

        def recv_data(timeout: float | None, *brty_list: str) -> tuple[str, bytearray, tuple[str, int]]:
            polling = self._polling
            try:
                result = recv(timeout, *brty_list)
            except nfc.clf.TimeoutError:
                if polling and self.heard:
                    self.silence = ReaderSilence(self.path, time.monotonic() - self.last_heard)
                    raise self.silence from None
                raise
            except nfc.clf.CommunicationError:  # a frame without data, or RFOFF: the peer is there
                self._heard()
                raise
            self._heard()
            return result

        device._send_data = send_data
        device._recv_data = recv_data

    def _heard(self) -> None:
        self.heard = True
        self.silence = None
        self.last_heard = time.monotonic()


class NfcpyReader(Reader):
    """A reader behind an nfcpy ``ContactlessFrontend`` (give ``frontend`` for the simulator)."""

    def __init__(self, path: str, *, frontend: nfc.ContactlessFrontend | None = None,
                 name: str | None = None, timeout_floor: float | None = None) -> None:
        super().__init__(name or path)
        self.path = path
        self.frontend = frontend if frontend is not None else nfc.ContactlessFrontend()
        if timeout_floor is None:
            timeout_floor = UDP_TIMEOUT_FLOOR if path.startswith("udp") else 0.0
        self.timeout_floor = timeout_floor
        self.peer_watch = UdpPeerWatch(path) if path.startswith("udp") else None
        self._opened = False  # open() succeeded and close() has not been called
        self._connected = False  # the device answers (False while unplugged)

    # -- opening and losing the device -----------------------------------------------

    def open(self) -> None:
        try:
            found = self.frontend.open(self.path)
        except OSError as error:
            raise open_error(self.path, error) from error
        except ValueError as error:
            # nfcpy's udp driver turns a port that has a service name (1 is "tcpmux", 80 "http")
            # into that name and then fails to read it back as a number.
            if not self.path.startswith("udp"):
                raise
            raise ReaderPathError(self.path, "nfcpy's udp driver cannot use a port that has a service "
                                  "name; use a free port above 1023, for example 54321") from error
        if not found:
            raise ReaderNotFoundError(self.path)
        self._opened = True
        self._connected_now()

    def _connected_now(self) -> None:
        self._connected = True
        self._prepare_device()
        log.info("using %s", self.frontend)

    def _prepare_device(self) -> None:
        """Once per opened device: over udp, the timeout floor and the peer watch."""
        device = self.frontend.device
        if device is None or getattr(device, "_boxoffice_prepared", False):
            return
        device._boxoffice_prepared = True
        self._apply_timeout_floor()
        if self.peer_watch is not None and isinstance(device, nfc.clf.udp.Device):
            self.peer_watch.install(device)

    def _apply_timeout_floor(self) -> None:
        """Over udp: a floor under nfcpy's timeouts, and no late answer taken for the next one's.

        nfcpy's udp driver does not pair answers with commands; an answer that arrives
        after its command timed out would otherwise be read as the answer to the next.
        """
        floor = self.timeout_floor
        device = self.frontend.device
        if floor <= 0 or device is None:
            return
        exchange = device.send_cmd_recv_rsp

        def send_cmd_recv_rsp(target: nfc.clf.RemoteTarget, data: bytes, timeout: float) -> bytearray:
            sock = getattr(device, "socket", None)
            while sock is not None and select.select([sock], [], [], 0)[0]:
                stale, _ = sock.recvfrom(1024)
                log.debug("dropped a late answer: %r", stale[:40])
            return exchange(target, data, max(timeout, floor) if timeout else timeout)

        device.send_cmd_recv_rsp = send_cmd_recv_rsp

    def close(self) -> None:
        self._opened = self._connected = False
        self.frontend.close()

    def lost(self, error: BaseException | None = None) -> None:
        """The device stopped answering (``error`` says how): close it and tell the listeners, once."""
        if not self._connected:
            return
        self._connected = False
        try:
            self.frontend.close()
        except OSError:
            log.debug("closing a lost reader failed", exc_info=True)
        gone = reader_gone(self.name, error)
        if isinstance(gone, ReaderNotAnsweringError):
            self._emit(ReaderEventKind.NOT_ANSWERING, str(gone))
            return
        self._emit(
            ReaderEventKind.UNPLUGGED, f"The reader {self.name} was unplugged; waiting for it to come back."
        )

    def _reconnect(self, stop: Callable[[], bool]) -> bool:
        while not stop():
            try:
                if self.frontend.open(self.path) and self._probe():
                    self._connected_now()
                    self._emit(ReaderEventKind.REPLUGGED, f"The reader {self.name} is back.")
                    return True
            except OSError as error:
                log.debug("reader %s not back yet: %s", self.name, error)
            until = time.monotonic() + RECONNECT_SECONDS
            while time.monotonic() < until and not stop():
                time.sleep(min(POLL_SECONDS, RECONNECT_SECONDS))
        return False

    def _probe(self) -> bool:
        """Whether the reopened device answers (over udp: whether its peer answers a poll)."""
        self._prepare_device()
        try:
            self.frontend.sense(nfc.clf.RemoteTarget("106A"), iterations=1)
        except OSError:
            self.frontend.close()
            return False
        return True

    # -- waiting for a band ------------------------------------------------------------

    def wait_for_tag(self, cancel: threading.Event, timeout: float | None = None) -> TagSession | None:
        if not self._opened:
            raise RuntimeError(f"open() the reader {self.name} before waiting on it")
        deadline = None if timeout is None else time.monotonic() + timeout

        def stop() -> bool:
            return cancel.is_set() or (deadline is not None and time.monotonic() >= deadline)

        while not stop():
            if not self._connected and not self._reconnect(stop):
                return None
            session = self._connect_once(stop)
            if session is not None:
                return session
        return None

    def _connect_once(self, stop: Callable[[], bool]) -> TagSession | None:
        """One ``connect()`` call: a session, or None when stopped, nothing found or the reader left."""
        foreign: list[tuple[nfc.clf.RemoteTarget, TagKind, str]] = []

        def on_discover(target: nfc.clf.RemoteTarget) -> bool:
            sak = target.sel_res[0] if target.sel_res else None
            if sak is not None and is_mifare_classic_sak(sak):
                # nfcpy would take it for an Ultralight (NFC-NOTES trap 8): never activate it.
                foreign.append((target, TagKind.MIFARE_CLASSIC, MIFARE_CLASSIC_DESCRIPTION))
                return False
            if sak is not None and sak & 0x40:
                foreign.append((target, TagKind.OTHER, "a phone or another NFC device"))
                return False
            return True

        options = {
            "targets": ["106A"],
            "on-discover": on_discover,
            "on-connect": lambda tag: False,  # hand the tag out; the session runs outside connect()
            "iterations": SENSE_ROUNDS,
            "interval": SENSE_INTERVAL,
            "beep-on-connect": False,
        }
        try:
            result = self.frontend.connect(rdwr=options, terminate=lambda: stop() or bool(foreign))
        except OSError:
            result = False
        if isinstance(result, nfc.tag.Tag):
            kind, description = classify_tag(result)
            return TagSession(self, self.name, result.identifier, kind, result, description)
        if foreign:
            target, kind, description = foreign[0]
            return TagSession(self, self.name, bytes(target.sdd_res or b""), kind, None, description)
        if result is False:
            self._connect_failed()
        return None

    def _connect_failed(self) -> None:
        """``connect()`` returned False: it swallowed an IOError, or a KeyboardInterrupt."""
        silence = self.peer_watch.silence if self.peer_watch is not None else None
        if silence is not None:  # the udp peer left a poll unanswered inside connect()
            self.lost(silence)
            return
        try:
            self.frontend.sense(nfc.clf.RemoteTarget("106A"), iterations=1)
        except OSError as error:
            self.lost(error)
            return
        if threading.current_thread() is threading.main_thread():
            # The device still answers, so it was most likely Ctrl-C that connect() turned into False.
            raise KeyboardInterrupt
        log.warning("reader %s had a passing I/O error; polling on", self.name)

    # -- SessionLink ---------------------------------------------------------------------

    def present(self, uid: bytes) -> bool:
        target = nfc.clf.RemoteTarget("106A", sel_req=bytearray(uid))
        return self.frontend.sense(target, iterations=1) is not None

    def beep(self) -> None:
        """The device's buzzer and LED where it has them; nfcpy's base driver (so udp's) does nothing."""
        device = self.frontend.device
        if device is None:
            return
        device.turn_on_led_and_buzzer()
        device.turn_off_led_and_buzzer()

    def release(self) -> None:
        device = self.frontend.device
        if device is not None:
            try:
                device.mute()
            except OSError:
                log.debug("muting %s failed", self.name, exc_info=True)
