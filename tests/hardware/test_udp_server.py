"""The UDP simulator's side of nfcpy's udp protocol, datagram by datagram."""

from __future__ import annotations

import binascii

from hardware.readers.sim import SimulatedField, SimulatedNtag, blank_bands
from hardware.readers.sim.iso14443a import State, bcc
from hardware.readers.sim.udp_server import SimulatedUdpServer


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
        assert server.handle(b"BEEP") is None  # not nfcpy's: no answer (and no beep of its own)
        assert server.path.startswith("udp:127.0.0.1:")
    finally:
        server.stop()


def presence_check(server: SimulatedUdpServer, uid: bytes) -> bool:
    """What nfcpy's udp driver sends for ``sense(RemoteTarget("106A", sel_req=uid))``."""
    server.handle(b"RFOFF")  # sense() mutes first
    assert server.handle(b"106A 26") is not None
    for sel, level in ((b"93", b"\x88" + uid[:3]), (b"95", uid[3:7])):
        answer = server.handle(b"106A " + sel + b"70" + binascii.hexlify(level + bytes([bcc(level)])))
        if answer in (None, b"106A"):
            return False
    return True


def test_the_simulated_person_takes_a_band_when_the_reader_only_waits_for_it_to_go(band: SimulatedNtag) -> None:
    """No beep over udp: presence checks in a row, with nothing between, mean the station is done."""
    other = blank_bands(1, seed=3)[0]
    field = SimulatedField([band, other], auto_feed=True)
    server = SimulatedUdpServer(field)
    try:
        assert presence_check(server, band.uid)
        assert server.handle(b"106A 3003").startswith(b"106A ")  # a READ: the session goes on
        assert server.handle(b"106A 1a00") == b"106A 00"  # a command the band does not know: a NAK
        assert presence_check(server, band.uid)  # nfcpy selects it again by itself, and goes on
        assert presence_check(server, band.uid) and field.tag is band  # (after a refusal: one check more)
        assert server.handle(b"106A 3003").startswith(b"106A ")
        assert presence_check(server, band.uid) and field.tag is band
        assert not presence_check(server, band.uid)  # the second check in a row: the person took it
        assert field.finished == [band] and field.tag is other and field.beeps == 0
    finally:
        server.stop()


def test_an_empty_field_gets_the_next_band_at_the_second_poll(band: SimulatedNtag) -> None:
    field = SimulatedField([], auto_feed=True)
    field.stack.append(band)
    server = SimulatedUdpServer(field)
    try:
        assert server.handle(b"106A 26") == b"106A"  # a band pulled mid-write leaves the field empty
        assert server.handle(b"106A 26") == b"106A 4400"  # the person taps the next one
        assert field.tag is band
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
