"""The Event Series design's REST list, path by path, over a real server (SQLite and PostgreSQL).

A client written against the design walks it in order; where the design
spells a path differently from ours, the old path must still give the same
answer for the same data. Refused requests say why and write nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boxoffice.domain.enums import Role
from boxoffice.services.series import SeriesChangedFields
from tests.helpers.seeding import Live, add_bands
from tests.helpers.stores import table_counts

# "API Endpoints (Conceptual)" of the design, with our names for its :id and :gateId.
DESIGN = [
    ("GET", "/api/series"),
    ("POST", "/api/series"),
    ("GET", "/api/series/{series_id}"),
    ("PUT", "/api/series/{series_id}"),
    ("DELETE", "/api/series/{series_id}"),
    ("GET", "/api/series/{series_id}/gates"),
    ("POST", "/api/series/{series_id}/gates"),
    ("DELETE", "/api/series/{series_id}/gates/{gate_id}"),
    ("GET", "/api/series/{series_id}/wristbands"),
    ("POST", "/api/series/{series_id}/wristbands"),
    ("POST", "/api/series/{series_id}/wristbands/bulk"),
    ("GET", "/api/series/{series_id}/categories"),
    ("POST", "/api/series/{series_id}/categories"),
    ("GET", "/api/series/{series_id}/metrics"),
    ("POST", "/api/series/{series_id}/metrics/compute"),
    ("GET", "/api/series/{series_id}/checkins"),
    ("POST", "/api/series/{series_id}/checkins/verify"),
    ("POST", "/api/series/recurring"),
    ("GET", "/api/series/scannable"),
]
NOBODY = "00000000-0000-4000-8000-000000000000"


class Walk:
    """Calls by the design's path templates, remembering which ones were driven."""

    def __init__(self, live: Live) -> None:
        self.live = live
        self.driven: set[tuple[str, str]] = set()

    def __call__(self, role: Role, method: str, template: str, expect: int, *,
                 json: Any = None, params: dict[str, Any] | None = None, **ids: str) -> Any:
        self.driven.add((method, template))
        with self.live.client(role) as http:
            answer = http.request(method, template.format(**ids), json=json, params=params)
        assert answer.status_code == expect, (method, template, answer.text)
        return answer.json() if answer.content else None


def old(live: Live, method: str, path: str, json: Any = None, role: Role = Role.OWNER) -> Any:
    with live.client(role) as http:
        answer = http.request(method, path, json=json)
    assert answer.status_code < 300, (method, path, answer.text)
    return answer.json()


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


@pytest.mark.slow
def test_the_design_api_end_to_end(live: Live) -> None:
    call = Walk(live)
    ev, main, exit_ = live.ids["event"], live.ids["gate:Main"], live.ids["gate:Exit"]
    ga, vip = live.ids["cat:GA"], live.ids["cat:VIP"]
    vips = add_bands(live.store, uuid.UUID(ev), "VIP", 5, prefix="05")
    now = datetime.now(UTC).replace(microsecond=0)
    starts, ends = now - timedelta(hours=1), now + timedelta(hours=5)

    created = call(Role.OWNER, "POST", "/api/series", 201, json={
        "event_id": ev, "name": "Design Day", "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(), "capacity": 100})["series"]
    sid = created["id"]
    assert (created["status"], created["version"], created["capacity"]) == ("draft", 1, 100)

    # PUT: every editable field; a null check-in bound is the default window, the series' run.
    full = {"expected_version": 1, "name": "Design Day 1", "description": "Put whole",
            "starts_at": starts.isoformat(), "ends_at": ends.isoformat(), "checkin_opens_at": None,
            "checkin_closes_at": None, "capacity": 50, "reentry_policy": "single"}
    put = call(Role.OWNER, "PUT", "/api/series/{series_id}", 200, json=full, series_id=sid)["series"]
    assert (put["name"], put["description"], put["capacity"], put["reentry_policy"], put["version"]) == (
        "Design Day 1", "Put whole", 50, "single", 2)
    assert datetime.fromisoformat(put["checkin_opens_at"]) == starts
    assert datetime.fromisoformat(put["checkin_closes_at"]) == ends
    # The same values through PATCH change nothing: the same series, the same version.
    patched = old(live, "PATCH", f"/api/series/{sid}", {**without(full, "checkin_opens_at",
                                                                    "checkin_closes_at"),
                                                        "expected_version": 2})["series"]
    assert patched == put

    # Gates: assign both, take Exit off again.
    call(Role.OWNER, "POST", "/api/series/{series_id}/gates", 200, json={"gate_ids": [main, exit_]},
         series_id=sid)
    gates = call(Role.OWNER, "GET", "/api/series/{series_id}/gates", 200, series_id=sid)
    assert sorted(g["name"] for g in gates) == ["Exit", "Main"]
    call(Role.OWNER, "DELETE", "/api/series/{series_id}/gates/{gate_id}", 200, series_id=sid,
         gate_id=exit_)
    assert [g["name"] for g in call(Role.OWNER, "GET", "/api/series/{series_id}/gates", 200,
                                    series_id=sid)] == ["Main"]

    # Category limits by /categories; the old /limits reads the same figures.
    change = call(Role.OWNER, "POST", "/api/series/{series_id}/categories", 200,
                  json={"category_id": vip, "limit": 3}, series_id=sid)
    assert change["series"]["id"] == sid
    limits = call(Role.OWNER, "GET", "/api/series/{series_id}/categories", 200, series_id=sid)
    assert {(row["category"], row["limit"], row["assigned"]) for row in limits} >= {("VIP", 3, 0)}
    assert old(live, "GET", f"/api/series/{sid}/limits") == limits

    # Bands: by UIDs (design's plain assign), then in bulk by category and by UIDs.
    one = call(Role.OWNER, "POST", "/api/series/{series_id}/wristbands", 200, json={"uids": vips[:1]},
               series_id=sid)
    assert (one["assigned"], one["already_assigned"]) == (1, 0)
    by_cat = call(Role.OWNER, "POST", "/api/series/{series_id}/wristbands/bulk", 200,
                  json={"category_id": ga}, series_id=sid)
    assert (by_cat["assigned"], by_cat["already_assigned"]) == (len(live.bands), 0)
    by_uid = call(Role.OWNER, "POST", "/api/series/{series_id}/wristbands/bulk", 200,
                  json={"uids": vips[:2]}, series_id=sid)
    assert (by_uid["assigned"], by_uid["already_assigned"]) == (1, 1)
    assert old(live, "POST", f"/api/series/{sid}/wristbands", {"uids": vips[:2]}) == {
        **by_uid, "assigned": 0, "already_assigned": 2}
    listed = call(Role.OWNER, "GET", "/api/series/{series_id}/wristbands", 200, series_id=sid)
    assert sorted(b["uid"] for b in listed["items"]) == sorted(live.bands + vips[:2])
    vip_row = next(r for r in call(Role.OWNER, "GET", "/api/series/{series_id}/categories", 200,
                                   series_id=sid) if r["category"] == "VIP")
    assert (vip_row["limit"], vip_row["assigned"]) == (3, 2)

    for to in ("scheduled", "active"):
        old(live, "POST", f"/api/series/{sid}/transitions", {"to": to, "reason": "design walk"})

    # The gate verifies with the series in the path; the old /api/verify replays the same scan.
    tap = call(Role.GATE, "POST", "/api/series/{series_id}/checkins/verify", 200,
               json={"gate_id": main, "uid": live.bands[0], "scan_id": "design-1"}, series_id=sid)
    assert (tap["result"], tap["series_id"], tap["uid"], tap["replayed"]) == (
        "allowed", sid, live.bands[0], False)
    again = old(live, "POST", "/api/verify", {"series_id": sid, "gate_id": main, "uid": live.bands[0],
                                              "scan_id": "design-1"}, role=Role.GATE)
    assert without(again, "replayed") == without(tap, "replayed") and again["replayed"] is True
    denied = call(Role.GATE, "POST", "/api/series/{series_id}/checkins/verify", 200,
                  json={"gate_id": main, "uid": vips[4], "scan_id": "design-2"}, series_id=sid)
    assert (denied["result"], denied["reason"]) == ("denied", "not_assigned")
    taps = call(Role.OWNER, "GET", "/api/series/{series_id}/checkins", 200, series_id=sid)["items"]
    assert sorted(t["client_scan_id"] for t in taps) == ["design-1", "design-2"]

    # Metrics computed on request, then read from the cache; the old ?fresh=true agrees.
    computed = call(Role.OWNER, "POST", "/api/series/{series_id}/metrics/compute", 200, series_id=sid)
    assert (computed["assigned_bands"], computed["unique_entries"], computed["total_scans"],
            computed["allowed"], computed["denied"]) == (len(live.bands) + 2, 1, 2, 1, 1)
    assert call(Role.OWNER, "GET", "/api/series/{series_id}/metrics", 200, series_id=sid) == computed
    fresh = old(live, "GET", f"/api/series/{sid}/metrics?fresh=true")
    assert without(fresh, "computed_at") == without(computed, "computed_at")

    # The gate's list of bands it may admit, the gate in the query; as the old gate path has it.
    page = call(Role.GATE, "GET", "/api/series/scannable", 200,
                params={"gate_id": main, "series_id": sid})
    assert sorted(b["uid"] for b in page["items"]) == sorted(live.bands + vips[:2])
    assert (page["gate_id"], page["series_id"], page["series_status"]) == (main, sid, "active")
    was = old(live, "GET", f"/api/gates/{main}/scannables?series_id={sid}", role=Role.GATE)
    assert without(was, "generated_at") == without(page, "generated_at")

    # Recurring children, the parent in the body; the old path gives the same plan for a twin parent.
    parents = []
    for name in ("Club A", "Club B"):
        parents.append(old(live, "POST", "/api/series", {
            "event_id": ev, "name": name, "starts_at": (now + timedelta(days=2)).isoformat(),
            "ends_at": (now + timedelta(days=2, hours=3)).isoformat(), "capacity": 40,
            "gate_ids": [main]})["series"]["id"])
    rule = {"kind": "every_n_days", "count": 2, "interval": 7}
    children = call(Role.OWNER, "POST", "/api/series/recurring", 201,
                    json={**rule, "parent_series_id": parents[0]})
    assert [(c["parent_series_id"], c["status"]) for c in children] == [(parents[0], "draft")] * 2
    twins = old(live, "POST", f"/api/series/{parents[1]}/recurring", rule)
    plan = ("starts_at", "ends_at", "capacity", "sequence_number", "recurrence_kind")
    assert [[c[k] for k in plan] for c in children] == [[c[k] for k in plan] for c in twins]

    # The list with its filters, one series, and a draft deleted.
    drafts = call(Role.OWNER, "GET", "/api/series", 200, params={"event_id": ev, "status": "draft"})
    assert {c["id"] for c in children} <= {s["id"] for s in drafts} and sid not in {s["id"] for s in drafts}
    detail = call(Role.OWNER, "GET", "/api/series/{series_id}", 200, series_id=sid)
    assert (detail["series"]["status"], detail["gates"], detail["assigned_bands"]) == (
        "active", ["Main"], len(live.bands) + 2)
    doomed = children[-1]
    call(Role.OWNER, "DELETE", "/api/series/{series_id}", 204, params={"version": doomed["version"]},
         series_id=doomed["id"])
    call(Role.OWNER, "GET", "/api/series/{series_id}", 404, series_id=doomed["id"])

    assert call.driven == set(DESIGN)


def test_the_design_paths_are_documented(live: Live) -> None:
    with live.client(None) as anon:
        paths = anon.get("/openapi.json").json()["paths"]
    for method, path in DESIGN:
        operation = paths[path][method.lower()]
        assert operation.get("summary") and operation.get("description"), (method, path)
        assert set(operation["tags"]) & {"series", "gates"}, (method, path)
    put = paths["/api/series/{series_id}"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    with live.client(None) as anon:
        schema = anon.get("/openapi.json").json()["components"]["schemas"][put["$ref"].split("/")[-1]]
    assert set(schema["required"]) == {*SeriesChangedFields.fields(), "expected_version"}


@pytest.mark.slow
def test_refused_requests_say_why_and_write_nothing(live: Live) -> None:
    sid, main, vip = live.ids["series"], live.ids["gate:Main"], live.ids["cat:VIP"]
    with live.client() as http:
        version = http.get(f"/api/series/{sid}").json()["series"]["version"]
    now = datetime.now(UTC)
    full = {"expected_version": version, "name": "Renamed", "description": None,
            "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=1)).isoformat(),
            "checkin_opens_at": None, "checkin_closes_at": None, "capacity": 10,
            "reentry_policy": "reentry"}
    tap = {"gate_id": main, "uid": live.bands[0], "scan_id": "refused-1"}
    recur = {"kind": "daily", "count": 2, "parent_series_id": sid}
    scan = {"gate_id": main, "series_id": sid}
    cases: list[tuple[Role, str, str, Any, dict[str, str] | None, int, str]] = [
        # (role, method, path, body, query, status, part of the message)
        (Role.MEMBER, "PUT", f"/api/series/{sid}", full, None, 403, "Your role (member) may not"),
        (Role.MANAGER, "POST", f"/api/series/{sid}/categories", {"category_id": vip, "limit": 1}, None,
         403, "Your role (manager) may not"),
        (Role.MEMBER, "POST", f"/api/series/{sid}/wristbands/bulk", {"uids": live.bands[:1]}, None,
         403, "Your role (member) may not"),
        (Role.GATE, "POST", f"/api/series/{sid}/metrics/compute", None, None, 403,
         "Your role (gate) may not"),
        (Role.VIEWER, "POST", f"/api/series/{sid}/checkins/verify", tap, None, 403,
         "Your role (viewer) may not"),
        (Role.MEMBER, "POST", "/api/series/recurring", recur, None, 403, "Your role (member) may not"),
        (Role.VIEWER, "GET", "/api/series/scannable", None, scan, 403, "Your role (viewer) may not"),
        (Role.OWNER, "PUT", f"/api/series/{NOBODY}", full, None, 404, ""),
        (Role.OWNER, "GET", f"/api/series/{NOBODY}/categories", None, None, 404, ""),
        (Role.OWNER, "POST", f"/api/series/{NOBODY}/categories", {"category_id": vip, "limit": 1}, None,
         404, ""),
        (Role.OWNER, "POST", f"/api/series/{sid}/categories", {"category_id": NOBODY, "limit": 1}, None,
         404, ""),
        (Role.OWNER, "POST", f"/api/series/{NOBODY}/wristbands/bulk", {"uids": live.bands[:1]}, None,
         404, ""),
        (Role.OWNER, "POST", f"/api/series/{NOBODY}/metrics/compute", None, None, 404, ""),
        (Role.GATE, "POST", f"/api/series/{NOBODY}/checkins/verify", tap, None, 404, ""),
        (Role.OWNER, "POST", "/api/series/recurring", {**recur, "parent_series_id": NOBODY}, None, 404, ""),
        (Role.GATE, "GET", "/api/series/scannable", None, {**scan, "gate_id": NOBODY}, 404, ""),
        (Role.OWNER, "PUT", f"/api/series/{sid}", without(full, "capacity"), None, 422, "capacity"),
        (Role.OWNER, "PUT", f"/api/series/{sid}", {**full, "ends_at": full["starts_at"]}, None, 422, ""),
        (Role.OWNER, "POST", f"/api/series/{sid}/categories", {"category_id": vip, "limit": "x"}, None,
         422, "limit"),
        (Role.OWNER, "POST", f"/api/series/{sid}/wristbands/bulk", {}, None, 422,
         "either by category or by a list of UIDs"),
        (Role.OWNER, "POST", f"/api/series/{sid}/wristbands/bulk", {"uids": ["04FFFFFFFFFFFF"]}, None,
         422, ""),
        (Role.GATE, "POST", f"/api/series/{sid}/checkins/verify", {**tap, "scan_id": ""}, None, 422,
         "scan_id"),
        (Role.GATE, "POST", f"/api/series/{sid}/checkins/verify",
         {**tap, "occurred_at": "2099-01-01T00:00:00Z"}, None, 422, "future"),
        (Role.GATE, "POST", f"/api/series/{sid}/checkins/verify", {**tap, "series_id": sid}, None, 422,
         "series_id"),
        (Role.OWNER, "POST", "/api/series/recurring", {**recur, "count": 0}, None, 422, "repetitions"),
        (Role.GATE, "GET", "/api/series/scannable", None, {"gate_id": main}, 422, "series_id"),
    ]
    for role, method, path, body, query, status, words in cases:
        before = table_counts(live.store)
        with live.client(role) as http:
            answer = http.request(method, path, json=body, params=query)
        assert answer.status_code == status, (role, method, path, answer.text)
        if status >= 400:
            assert answer.json()["message"].endswith(".") or answer.json()["error"] == "invalid", answer.text
            assert words in answer.json()["message"], (path, answer.text)
        assert table_counts(live.store) == before, (role, method, path)


@pytest.mark.slow
def test_a_wrong_method_on_a_design_path_lists_every_allowed_one(live: Live) -> None:
    sid = live.ids["series"]
    cases = [
        ("GET", "/api/series/recurring", "POST"),
        ("DELETE", "/api/series/recurring", "POST"),
        ("POST", "/api/series/scannable", "GET"),
        ("PUT", "/api/series/scannable", "GET"),
        ("PUT", f"/api/series/{sid}/categories", "GET, POST"),
        ("GET", f"/api/series/{sid}/checkins/verify", "POST"),
        ("GET", f"/api/series/{sid}/metrics/compute", "POST"),
        ("GET", f"/api/series/{sid}/wristbands/bulk", "POST"),
        ("POST", f"/api/series/{sid}", "DELETE, GET, PATCH, PUT"),
    ]
    before = table_counts(live.store)
    with live.client() as http:
        for method, path, allowed in cases:
            answer = http.request(method, path)
            assert answer.status_code == 405, (method, path, answer.text)
            assert answer.headers["allow"] == allowed, (method, path)
            assert answer.json()["message"].startswith(f"{method} is not allowed here; use ")
    assert table_counts(live.store) == before
