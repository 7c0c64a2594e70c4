"""A strict peer of nfcpy's ``udp`` protocol, written for the tests from nfcpy's driver (``nfc/clf/udp.py``).

It stands for any tag server that follows that protocol and nothing more,
such as the independently written one that died on the encoder's ``BEEP``.
It shares no code with ``hardware.readers.sim.udp_server``; only the bands behind it
are the simulator's (``SimulatedField``, with its simulated person).

What the driver sends, and so all that this peer accepts:

- ``Device._send_data(brty, data, addr)``: ``b"%s %s" % (brty, hexlify(data))``,
  stripped: one of the driver's bit rates, one space, lower-case hex of at
  least one byte (as initiator the driver never sends empty data);
- ``Device.mute()``: ``b"RFOFF"`` (``_send_data("RFOFF", b"")``, stripped).

Anything else is a protocol error: the peer records it and stops answering
for good, as that server did.

What it sends back is what the driver's ``_recv_data`` reads: ``b"106A <hex>"``
with a tag's answer; for a poll or a select that nothing in the field answers,
the frame without data (``b"106A"``, what ``_send_data`` makes of empty
data), which the driver reads as "no data" at once; and silence for a
command nothing answers, as on air.
"""

from __future__ import annotations

import binascii
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

from hardware.readers.sim import SimulatedField

#: ``target.brty`` values the driver's sense and listen functions accept.
BIT_RATES = (b"106A", b"212A", b"424A", b"106B", b"212B", b"424B", b"212F", b"424F")
FRAME = re.compile(rb"^(?P<brty>[0-9]{3}[ABF]) (?P<hex>(?:[0-9a-f]{2})+)$")
RFOFF = b"RFOFF"


class StrictUdpPeer:
    """Answers nfcpy's udp driver from ``field``; dies on anything the driver would not send."""

    def __init__(self, field: SimulatedField) -> None:
        self.field = field
        self.violations: list[bytes] = []
        self.received: list[bytes] = []
        self.silent_since: float | None = None  # monotonic time it stopped answering
        #: Called with each frame before it is answered; True: stop answering from this frame on.
        self.go_silent_when: Callable[[bytes], bool] | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="strict-udp-peer", daemon=True)

    @property
    def path(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"udp:{host}:{port}"

    @property
    def silent(self) -> bool:
        return self.silent_since is not None

    def go_silent(self) -> None:
        if self.silent_since is None:
            self.silent_since = time.monotonic()

    def answer_again(self) -> None:
        self.go_silent_when = None
        self.silent_since = None

    def __enter__(self) -> StrictUdpPeer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            if not select.select([self._sock], [], [], 0.05)[0]:
                continue
            datagram, sender = self._sock.recvfrom(2048)
            self.received.append(datagram)
            reply = self._answer(datagram)
            if reply is not None:
                self._sock.sendto(reply, sender)

    def _answer(self, datagram: bytes) -> bytes | None:
        if datagram == RFOFF:
            if not self.silent:
                self.field.rf_off()
            return None
        match = FRAME.match(datagram)
        if match is None or match["brty"] not in BIT_RATES:
            self.violations.append(datagram)
            self.go_silent()  # the tag server this stands for died here
            return None
        brty, frame = match["brty"], binascii.unhexlify(match["hex"])
        if not self.silent and self.go_silent_when is not None and self.go_silent_when(frame):
            self.go_silent()
        if self.silent:
            return None
        if brty != b"106A":
            return brty  # only type A bands here: nothing answers, at once
        response = self.field.transceive(frame)
        if response is not None:
            return brty + b" " + binascii.hexlify(response)
        wake_or_select = len(frame) == 1 or (len(frame) >= 2 and frame[0] in (0x93, 0x95, 0x97))
        return brty if wake_or_select else None
