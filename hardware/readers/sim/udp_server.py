"""A simulated field behind nfcpy's ``udp`` driver: ``ContactlessFrontend("udp:HOST:PORT")``.

The reader side is nfcpy unchanged, the same code path a USB reader takes
(connect loop, sense, activation, removal, cancel). The driver sends one
datagram per frame, ``b"106A <hex>"``, from a fresh socket for every sense,
and ``b"RFOFF"`` when it mutes; it expects ``b"106A <hex>"`` back from the
address it sent to.

It speaks nfcpy's protocol and nothing else: no message of its own, and
none is sent to it (the driver has no beep; a station over ``udp`` is a
reader without a buzzer). With auto-feed, the simulated person sees that the
station is done with a band when the reader only checks that it is still
there (``hardware.readers.sim.field``).

When nothing in the field answers a REQA/WUPA, anticollision or select, the
server replies with a frame without data (``b"106A"``: what the driver's
``_send_data`` makes of empty data), which the driver reads as "no data" at
once. A silent server would make every empty poll wait the driver's full
second (half a second per select), and Cancel could not answer within a
second; a real reader knows in a millisecond that nothing answered. It also
tells the reader that the server is alive: a server that leaves a poll
unanswered has stopped answering (``hardware.readers.nfcpy_reader``).

Run one on its own with ``python -m hardware.readers.sim.udp_server --port 54321``.
"""

from __future__ import annotations

import argparse
import binascii
import logging
import select
import socket
import threading
from types import TracebackType

from hardware.readers.sim.field import SimulatedField, blank_bands
from hardware.readers.sim.iso14443a import REQA, SEL_CL1, SEL_CL2, SEL_CL3, WUPA

log = logging.getLogger(__name__)

#: The bit rates nfcpy's udp driver puts in front of a frame.
BIT_RATES = ("106A", "212A", "424A", "106B", "212B", "424B", "212F", "424F")


class SimulatedUdpServer:
    """Serves one ``SimulatedField`` on a UDP port in a background thread."""

    def __init__(self, field: SimulatedField, host: str = "127.0.0.1", port: int = 0) -> None:
        self.field = field
        self._socket = _bind(host, port)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def path(self) -> str:
        """The reader path to give nfcpy (and ``--reader``)."""
        host, port = self.address
        return f"udp:{host}:{port}"

    def start(self) -> SimulatedUdpServer:
        self._thread = threading.Thread(target=self.serve, name=f"sim-udp-{self.address[1]}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> SimulatedUdpServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def serve(self) -> None:
        """Answer datagrams until ``stop()``; polls the stop flag every 100 ms."""
        while not self._stop.is_set():
            readable, _, _ = select.select([self._socket], [], [], 0.1)
            if not readable:
                continue
            try:
                datagram, sender = self._socket.recvfrom(1024)
            except OSError:
                if self._stop.is_set():
                    return
                raise
            reply = self.handle(datagram)
            if reply is not None:
                self._socket.sendto(reply, sender)

    def handle(self, datagram: bytes) -> bytes | None:
        """One datagram from the driver to the reply it should get, if any."""
        if datagram.startswith(b"RFOFF"):
            self.field.rf_off()
            return None
        try:
            brty_raw, hex_frame = datagram.split(maxsplit=1) if b" " in datagram else (datagram, b"")
            brty = brty_raw.decode("ascii")
            frame = binascii.unhexlify(hex_frame.strip())
            if brty not in BIT_RATES:
                raise ValueError(brty)
        except (ValueError, UnicodeDecodeError):
            log.warning("ignoring a datagram the udp driver would not send: %r", datagram[:40])
            return None
        if brty != "106A":
            return brty.encode("ascii")  # only type A bands here: "nothing answered" at once
        response = self.field.transceive(frame) if self.field.plugged else None
        if response is None:
            return b"106A" if _is_activation(frame) else None
        return b"106A " + binascii.hexlify(response)


def _bind(host: str, port: int) -> socket.socket:
    """A UDP socket on ``port``, or on a free port nfcpy's udp driver can open when ``port`` is 0.

    nfcpy's driver turns the port into a service name (``getnameinfo`` without
    NI_NUMERICSERV) and then fails on ``int("dircproxy")``: a free port that
    /etc/services names (57000 is one) is skipped.
    """
    for _ in range(100):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host, port))
        bound = sock.getsockname()[1]
        if port or socket.getnameinfo((host, bound), socket.NI_NUMERICHOST)[1].isdigit():
            return sock
        sock.close()
    raise OSError(f"no free UDP port on {host} that nfcpy's udp driver can use")


def _is_activation(frame: bytes) -> bool:
    """REQA/WUPA, anticollision or select: frames the driver waits up to a second on when unanswered."""
    if len(frame) == 1:
        return frame[0] in (REQA, WUPA)
    return len(frame) >= 2 and frame[0] in (SEL_CL1, SEL_CL2, SEL_CL3) and frame[1] in (0x20, 0x70)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulated NTAG213 bands behind nfcpy's udp driver.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=54321)
    parser.add_argument("--bands", type=int, default=1000, help="blank bands in the box")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    server = SimulatedUdpServer(SimulatedField(blank_bands(args.bands)), args.host, args.port)
    log.info("simulated reader on %s (%d blank bands); Ctrl-C stops it", server.path, args.bands)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
