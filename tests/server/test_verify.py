"""The gate's verify call over HTTP: one answer per scan id, one admit per band."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from boxoffice.domain.enums import Role
from tests.helpers.seeding import Live
from tests.helpers.stores import table_counts


def _tap(live: Live, uid: str, scan: str, gate: str = "gate:Main", direction: str = "in") -> dict:
    with live.client(Role.GATE) as gate_client:
        answer = gate_client.post("/api/verify", json={
            "series_id": live.ids["series"], "gate_id": live.ids[gate], "uid": uid,
            "direction": direction, "scan_id": scan, "device_id": "handheld-1",
        })
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_retried_scan_is_answered_the_same_and_counted_once(live: Live) -> None:
    first = _tap(live, live.bands[0], "hh1-0001")
    assert (first["result"], first["reason"]) == ("allowed", "ok")
    counts = table_counts(live.store)
    again = _tap(live, live.bands[0], "hh1-0001")
    assert again["replayed"] and again["id"] == first["id"] and again["result"] == "allowed"
    assert table_counts(live.store) == counts
    second = _tap(live, live.bands[0], "hh1-0002")
    assert (second["result"], second["reason"]) == ("denied", "already_inside")
    out = _tap(live, live.bands[0], "hh1-0003", gate="gate:Exit", direction="out")
    assert out["reason"] == "exit_ok"


@pytest.mark.slow
def test_200_concurrent_taps_of_one_band_admit_exactly_one(live: Live) -> None:
    uid = live.bands[1]
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda i: _tap(live, uid, f"burst-{i:03d}"), range(200)))
    reasons = Counter((a["result"], a["reason"]) for a in answers)
    assert reasons == {("allowed", "ok"): 1, ("denied", "already_inside"): 199}
    with live.client() as owner:
        figures = owner.get(f"/api/series/{live.ids['series']}/metrics", params={"fresh": True}).json()
    assert (figures["inside_now"], figures["unique_entries"], figures["total_scans"]) == (1, 1, 200)
