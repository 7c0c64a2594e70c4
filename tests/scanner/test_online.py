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
    page.open()
    page.shoot("login")
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


def test_every_reason_online_in_the_servers_words(world: tuple[GateWorld, ServerProcess], chromium: Any) -> None:
    from boxoffice.domain import payload as pl
    from tests.helpers.scanner import PHONE

    w, server = world
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        main = ScannerPage(context.new_page(), server.url)
        main.login(w.token, w.ids["series"], w.ids["gate:Main"], lane="Main 1")
        ga, vip = w.uids["ga"], w.uids["vip"]
        cases = [
            (main, ga[0], w.sign(ga[0]), Reason.OK),
            (main, ga[0], w.sign(ga[0]), Reason.ALREADY_INSIDE),
            (main, "04DEADBEEF0002", None, Reason.UNKNOWN_BAND),
            (main, w.uids["pending"][0], None, Reason.BAND_PENDING),
            (main, w.uids["void"][0], w.sign(w.uids["void"][0]), Reason.BAND_VOID),
            (main, w.uids["lost"][0], None, Reason.BAND_LOST),
            (main, ga[1], w.sign(ga[1], key=pl.new_private_key()), Reason.BAD_SIGNATURE),
            (main, ga[2], w.sign(ga[2], band_uid=ga[3]), Reason.BAD_SIGNATURE),
            (main, w.uids["unassigned"][0], None, Reason.NOT_ASSIGNED),
        ]
        for page, uid, data, reason in cases:
            answer = page.tap(uid, data)
            assert (answer["online"], answer["reason"]) == (True, reason.value), (uid, answer)
            assert headline(reason) in answer["screen"], answer["screen"]
            if reason is Reason.OK:
                page.shoot("allowed")
            if reason is Reason.BAND_VOID:
                page.shoot("denied")

        # Another phone each: a phone is one lane (its IndexedDB holds the lane it was set to).
        door = ScannerPage(chromium.new_context(viewport=PHONE).new_page(), server.url)
        door.login(w.token, w.ids["series"], w.ids["gate:GA door"], lane="GA door 1")
        assert door.tap(vip[0], w.sign(vip[0]))["reason"] == Reason.CATEGORY_NOT_ALLOWED.value

        exit_ = ScannerPage(chromium.new_context(viewport=PHONE).new_page(), server.url)
        exit_.login(w.token, w.ids["series"], w.ids["gate:Exit"], lane="Exit 1")
        assert exit_.page.evaluate("window.scanner.state.setup.direction") == "out"
        assert exit_.tap(ga[4], w.sign(ga[4]))["reason"] == Reason.NOT_INSIDE.value
        assert exit_.tap(ga[0], w.sign(ga[0]))["reason"] == Reason.EXIT_OK.value
        exit_.page.evaluate("window.scanner.state.setup.direction = 'in'")
        assert exit_.tap(ga[5], w.sign(ga[5]))["reason"] == Reason.WRONG_DIRECTION.value
        assert main.tap(ga[0], w.sign(ga[0]))["reason"] == Reason.REENTRY.value
        door.page.context.close()
        exit_.page.context.close()
    finally:
        context.close()
