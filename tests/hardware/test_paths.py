"""Reader paths: each kind to its backend, nonsense refused with a sentence, absent readers explained."""

from __future__ import annotations

import errno
import threading

import pytest
import usb1

from hardware.readers.errors import (
    BackendMissingError,
    ReaderNotFoundError,
    ReaderPathError,
    ReaderUnavailableError,
)
from hardware.readers.nfcpy_reader import NfcpyReader, open_error
from hardware.readers.paths import is_nfcpy_path, reader_for
from hardware.readers.pcsc import PcscReader
from hardware.readers.reader import TagKind


@pytest.mark.parametrize("path", [
    "usb", "usb:054c", "usb:054c:06c3", "usb:001", "usb:001:004", "tty:USB0:pn532", "tty:AMA0:arygon",
    "com:COM3:pn532", "udp", "udp:localhost", "udp:127.0.0.1:54321",
])
def test_every_path_nfcpy_accepts_goes_to_nfcpy(path: str) -> None:
    assert is_nfcpy_path(path)
    device = reader_for(path)
    assert isinstance(device, NfcpyReader) and device.path == path


@pytest.mark.parametrize("path", ["", "bogus", "usb:zz", "usb:054c:06c3:1", "udp:host:port", "USB", "tty", "sim:ntag999"])
def test_unknown_paths_are_refused_with_a_sentence(path: str) -> None:
    with pytest.raises(ReaderPathError) as refused:
        reader_for(path)
    message = str(refused.value)
    assert "is not a reader path" in message and "boxoffice reader list" in message


def test_pcsc_and_sim_paths() -> None:
    assert isinstance(reader_for("pcsc"), PcscReader)
    assert reader_for("pcsc:ACR1252").match == "ACR1252"
    with reader_for("sim:ntag216") as device:
        session = device.wait_for_tag(threading.Event(), timeout=5)
        assert session is not None and session.kind is TagKind.NTAG216
        session.close()


@pytest.mark.parametrize("path", ["usb:ffff:ffff", "tty:S99:pn532"])
def test_no_reader_on_a_valid_path(path: str) -> None:
    with pytest.raises(ReaderNotFoundError, match=f"No NFC reader answers on {path}"):
        reader_for(path).open()


def test_libusb_missing_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libusb() -> None:  # what usb1 raises when libusb-1.0.so cannot be loaded
        raise OSError(errno.ENOENT, "cannot find a suitable libusb-1.0", ["libusb-1.0.so.0"])

    monkeypatch.setattr(usb1, "getVersion", no_libusb)
    with pytest.raises(BackendMissingError, match=r"libusb-1\.0 is not installed") as missing:
        NfcpyReader("usb").open()
    assert missing.value.fix == "sudo apt install libusb-1.0-0"


def test_open_errors_become_sentences_with_a_fix() -> None:
    denied = open_error("usb:054c:06c3", PermissionError(errno.EACCES, "Permission denied"))
    assert isinstance(denied, ReaderUnavailableError)
    assert "not allowed" in denied.message and "udev" in (denied.fix or "")
    busy = open_error("usb:072f:2200", OSError(errno.EBUSY, "Device or resource busy"))
    assert "held by another program" in busy.message
    gone = open_error("usb:001:004", OSError(errno.ENODEV, "No such device"))
    assert isinstance(gone, ReaderNotFoundError)
