"""A simulated field, and a reader on it both in process and over nfcpy's ``udp`` driver.

Tests that take ``reader`` run twice: once with the simulated device under
nfcpy's frontend in this process, once through a UDP server that nfcpy's
unchanged ``udp`` driver talks to, the path a USB reader's code takes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from hardware.readers.nfcpy_reader import NfcpyReader
from hardware.readers.reader import TagSession
from hardware.readers.sim import SimulatedField, SimulatedNtag, blank_bands
from hardware.readers.sim.device import simulated_reader
from hardware.readers.sim.udp_server import SimulatedUdpServer

UID = bytes.fromhex("04A1B2C3D4E5F6")


@pytest.fixture
def band() -> SimulatedNtag:
    return SimulatedNtag(UID)


@pytest.fixture
def field() -> SimulatedField:
    """An empty field with three blank bands in the box; tests tap them explicitly."""
    return SimulatedField(blank_bands(3, seed=7), auto_feed=False)


@pytest.fixture
def udp_server(field: SimulatedField) -> Iterator[SimulatedUdpServer]:
    with SimulatedUdpServer(field) as server:
        yield server


@pytest.fixture(params=["inproc", "udp"])
def reader(request: pytest.FixtureRequest, field: SimulatedField) -> Iterator[NfcpyReader]:
    if request.param == "inproc":
        device = simulated_reader(field)
        with device:
            yield device
        return
    with SimulatedUdpServer(field) as server:
        device = NfcpyReader(server.path)
        with device:
            yield device


@pytest.fixture
def tap(reader: NfcpyReader) -> Callable[[], TagSession]:
    """``tap()``: the session for whatever is on the reader now (fails the test if nothing comes)."""

    def session() -> TagSession:
        found = reader.wait_for_tag(threading.Event(), timeout=5.0)
        assert found is not None, "no tag was found on the reader"
        return found

    return session
