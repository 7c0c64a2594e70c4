"""The UDP simulator's side of nfcpy's udp protocol, datagram by datagram."""

from __future__ import annotations

from hardware.sim import SimulatedField, SimulatedNtag, blank_bands
from hardware.sim.iso14443a import State
from hardware.sim.udp_server import SimulatedUdpServer


def test_datagrams(band: SimulatedNtag) -> None:
    field = SimulatedField([band, *blank_bands(1, seed=3)], auto_feed=False)
    server = SimulatedUdpServer(field)
    try:
        assert server.handle(b"106A 26") == b"106A"  # empty field: "no data" at once, not a 1 s wait
        assert server.handle(b"106A 3004") is None  # a command to nobody: silence, as on air
        assert server.handle(b"212F 0600ffff0100") == b"212F"  # no type F tags here
        field.tap_next()
        assert server.handle(b"106A 26") == b"106A 4400"
        assert server.handle(b"106A 9320").startswith(b"106A 88")
        assert band.state is State.READY1
        assert server.handle(b"RFOFF") is None
        assert band.state is State.OFF
        assert server.handle(b"106A 9520") == b"106A"  # unanswered anticollision: fast too
        assert server.handle(b"not hex at all") is None
        field.auto_feed = True
        assert server.handle(b"BEEP") is None
        assert field.finished == [band] and field.tag is not band
        assert server.path.startswith("udp:127.0.0.1:")
    finally:
        server.stop()


def test_a_free_port_is_one_nfcpy_can_open() -> None:
    """nfcpy's udp driver reads the port back through getnameinfo: a named service port breaks it."""
    import socket

    for _ in range(20):
        server = SimulatedUdpServer(SimulatedField([], auto_feed=False))
        try:
            host, port = server.address
            assert socket.getnameinfo((host, port), socket.NI_NUMERICHOST)[1] == str(port)
        finally:
            server.stop()
