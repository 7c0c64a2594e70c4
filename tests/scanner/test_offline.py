"""The scanner page when the server goes away: it decides on the phone, queues, uploads when back."""

from __future__ import annotations

import time
from typing import Any

import pytest

from boxoffice.domain import payload as pl
from boxoffice.services import gate_leases, occupancy
from tests.helpers.scanner import GateWorld, ScannerPage, checkins_of
from tests.helpers.servers import ServerProcess

pytestmark = pytest.mark.slow


def _restart(server: ServerProcess) -> None:
    server.start(time.monotonic() + 60)


def test_server_stopped_mid_run_page_decides_queues_and_uploads_once(served: Any, phone: Any) -> None:
    w, server = served
    w: GateWorld
    page = ScannerPage(phone.new_page(), server.url)
    page.login(w.token, w.ids["series"], w.ids["gate:Main"])
    ga = w.uids["ga"]
    online = page.tap(ga[0], w.sign(ga[0]))
    assert (online["online"], online["reason"]) == (True, "ok")

    server.stop()
    cases = [
        (ga[1], w.sign(ga[1]), True, "ok"),
        (ga[1], w.sign(ga[1]), False, "already_inside"),
        (ga[0], w.sign(ga[0]), False, "already_inside"),  # let in online before the server went
        (ga[2], w.sign(ga[2], key=pl.new_private_key()), False, "bad_signature"),  # forged
        (ga[3], w.sign(ga[3], band_uid=ga[4]), False, "bad_signature"),  # band 4's payload on band 3
        (ga[5], w.sign(ga[4]), False, "bad_signature"),  # band 4's payload, band 5's UID
        (w.uids["void"][0], w.sign(w.uids["void"][0]), False, "band_void"),
        (w.uids["lost"][0], w.sign(w.uids["lost"][0]), False, "band_lost"),
        (w.uids["pending"][0], None, False, "band_pending"),
        (w.uids["unassigned"][0], w.sign(w.uids["unassigned"][0]), False, "not_assigned"),
        ("04DEADBEEF0001", None, False, "unknown_band"),
        (ga[6], None, True, "ok"),  # UID only (a chip whose record cannot be read)
    ]
    for i, (uid, data, allowed, reason) in enumerate(cases):
        answer = page.tap(uid, data)
        assert (answer["online"], answer["allowed"], answer["reason"]) == (False, allowed, reason), (i, answer)
        assert answer["verdict"] == ("ALLOWED" if allowed else "DENIED")
    assert page.queued() == len(cases)
    assert "OFFLINE" in page.page.inner_text("#net")
    assert f"{len(cases)} scans waiting" in page.page.inner_text("#queue")
    page.shoot("offline")
    typed = page.type_uid(ga[7])
    assert (typed["online"], typed["reason"]) == (False, "ok")
    before = checkins_of(w)
    assert len(before) == 1

    _restart(server)
    page.wait_uploaded()
    after = checkins_of(w)
    assert len(after) == 1 + len(cases) + 1
    assert len({row[0] for row in after}) == len(after), "a scan counted twice"
    kept = {(uid, reason) for _, uid, _, _, reason in after}
    for uid, _, _, reason in cases:
        assert (uid, reason) in kept
    with w.live.store.read() as session:
        assert occupancy.mismatches(session) == []
        assert occupancy.inside(session, __import__("uuid").UUID(w.ids["series"])) == 4
    # Uploading again changes nothing: the push answers "duplicate" for every entry.
    page.page.evaluate("window.scanner.state.online = true")
    assert checkins_of(w) == after


def test_a_reload_in_the_middle_of_a_queue_keeps_every_scan(served: Any, phone: Any) -> None:
    w, server = served
    page = ScannerPage(phone.new_page(), server.url)
    page.login(w.token, w.ids["series"], w.ids["gate:Main"])
    page.wait_worker()
    server.stop()
    ga = w.uids["ga"]
    for uid in ga[:3]:
        assert page.tap(uid, w.sign(uid))["reason"] == "ok"
    assert page.queued() == 3
    page.page.reload()  # no server: the service worker serves the page, IndexedDB holds the queue
    page.wait_ready()
    assert page.queued() == 3
    assert page.page.inner_text("#count") == "3 through this lane"
    again = page.tap(ga[0], w.sign(ga[0]))
    assert (again["online"], again["reason"]) == (False, "already_inside")  # presence survived the reload
    _restart(server)
    page.wait_uploaded()
    assert sorted(uid for _, uid, _, result, _ in checkins_of(w) if result == "allowed") == sorted(ga[:3])
    assert len(checkins_of(w)) == 4


def test_offline_entries_stop_at_the_lease(served_small: Any, phone: Any) -> None:
    w, server = served_small
    page = ScannerPage(phone.new_page(), server.url)
    page.login(w.token, w.ids["series"], w.ids["gate:Main"])
    page.page.wait_for_function("window.scanner.state.lease && window.scanner.state.lease.size === 3")
    import uuid

    assert gate_leases.held(w.live.store, uuid.UUID(w.ids["series"])) == 3
    server.stop()
    ga = w.uids["ga"]
    answers = [page.tap(uid, w.sign(uid)) for uid in ga[:4]]
    assert [a["reason"] for a in answers] == ["ok", "ok", "ok", "series_full"]
    assert "share of places is used up" in answers[3]["why"]
    assert "0 offline places" in page.page.inner_text("#places")
    _restart(server)
    page.wait_uploaded()
    page.page.wait_for_function("window.scanner.state.lease.returned === true")  # given back, none left
    with w.live.store.read() as session:
        assert occupancy.inside(session, uuid.UUID(w.ids["series"])) == 3
        assert occupancy.mismatches(session) == []
    # Full: the fresh lease request was refused, so no place is held, and nobody more gets in online.
    assert gate_leases.held(w.live.store, uuid.UUID(w.ids["series"])) == 0
    assert page.tap(ga[4], w.sign(ga[4]))["reason"] == "series_full"


def test_two_lanes_offline_let_the_same_band_in_both_kept_and_reported(served: Any, chromium: Any) -> None:
    from boxoffice.reports import conflicts
    from boxoffice.services.actor import resolve_actor
    from tests.helpers.scanner import PHONE

    w, server = served
    pages = []
    for lane in ("Lane A", "Lane B"):
        context = chromium.new_context(viewport=PHONE)
        page = ScannerPage(context.new_page(), server.url)
        page.login(w.token, w.ids["series"], w.ids["gate:Main"], lane=lane)
        pages.append((context, page))
    try:
        server.stop()
        band = w.uids["ga"][0]
        for _, page in pages:
            assert page.tap(band, w.sign(band))["reason"] == "ok"  # a copied band at two lanes
        _restart(server)
        for _, page in pages:
            page.wait_uploaded()
    finally:
        for context, _ in pages:
            context.close()
    kept = [row for row in checkins_of(w) if row[1] == band]
    assert [(r[3], r[4]) for r in kept] == [("allowed", "ok"), ("allowed", "ok")]
    owner = resolve_actor(w.live.store, "owner@example.org")
    with w.live.store.read() as session:
        report = conflicts.build(session, owner)
    doubles = next(b for b in report.blocks if getattr(b, "name", "") == "double_uses")
    assert [row[2] for row in doubles.rows] == [band]
