"""The scanner page online: login, every tap answered by the server, the screen saying it in words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from boxoffice.domain.access import MESSAGES
from boxoffice.domain.enums import Reason
from tests.helpers.scanner import GateWorld, ScannerPage, seed_gate_world
from tests.helpers.servers import ServerProcess

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[GateWorld, ServerProcess]]:
    world = seed_gate_world(tmp_path / "server.db")
    server = ServerProcess(tmp_path / "server.db", tmp_path / "server.log")
    server.start(__import__("time").monotonic() + 60)
    try:
        yield world, server
    finally:
        server.stop()
        world.live.store.dispose()


def headline(reason: Reason) -> str:
    return MESSAGES[reason].partition(": ")[0]


def test_login_then_taps_are_answered_by_the_server(world: tuple[GateWorld, ServerProcess], phone: Any) -> None:
    w, server = world
    page = ScannerPage(phone.new_page(), server.url)
    page.login(w.token, w.ids["series"], w.ids["gate:Main"])
    ga = w.uids["ga"][0]
    first = page.tap(ga, w.sign(ga))
    assert (first["allowed"], first["reason"], first["online"]) == (True, "ok", True), first
    assert first["verdict"] == "ALLOWED" and headline(Reason.OK) in first["screen"]
    assert first["category"] == "GA"
    again = page.tap(ga, w.sign(ga))
    assert (again["allowed"], again["reason"]) == (False, "already_inside")
    assert again["verdict"] == "DENIED" and headline(Reason.ALREADY_INSIDE) in again["screen"]
    assert page.page.inner_text("#count") == "1 through this lane"
