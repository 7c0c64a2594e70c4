"""The API beyond the series builder: deletes, lists, paging, tickets and a gate's scannables.

Over real HTTP, on SQLite and PostgreSQL. Every refusal is checked to have
written nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from boxoffice.domain.enums import Direction, GateKind, Role, SeriesStatus
from boxoffice.services import auth, checkins, events, organization, tickets, wristbands
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor, resolve_actor
from tests.helpers.seeding import PASSWORD, Live, add_bands
from tests.helpers.stores import table_counts

NOWHERE = "00000000-0000-0000-0000-000000000000"


def _owner(live: Live) -> Actor:
    return resolve_actor(live.store, "owner@example.org")


def _walk(client: httpx.Client, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a paged list, following next_after; and how many pages it took."""
    items: list[dict[str, Any]] = []
    after: str | None = None
    pages = 0
    while True:
        answer = client.get(path, params={**params, **({"after": after} if after else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        pages += 1
        after = page["next_after"]
        if after is None:
            return items, pages


def _tap(live: Live, uid: str, scan: str, gate: str = "gate:Main", direction: str = "in") -> dict[str, Any]:
    with live.client(Role.GATE) as gate_client:
        answer = gate_client.post("/api/verify", json={
            "series_id": live.ids["series"], "gate_id": live.ids[gate], "uid": uid,
            "direction": direction, "scan_id": scan})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _rival(live: Live) -> httpx.Client:
    organization.create_organization(live.store, "Rival", "rival@example.org")
    rival = resolve_actor(live.store, "rival@example.org")
    auth.set_password(live.store, rival, "rival@example.org", PASSWORD)
    return live.client(token=auth.login(live.store, "rival@example.org", PASSWORD)[0])


def test_another_organizations_ids_answer_404_and_change_nothing(live: Live) -> None:
    owner = _owner(live)
    ev, sid = live.ids["event"], live.ids["series"]
    gate, cat = live.ids["gate:Exit"], live.ids["cat:VIP"]
    ticket = tickets.create_ticket(live.store, owner, ev, "RIV-1", "GA").id
    draft = svc.create_series(live.store, owner, ev, "Draft", datetime.now(UTC) + timedelta(days=3),
                              datetime.now(UTC) + timedelta(days=3, hours=1), 5).series
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/events/{ev}", None),
        ("PATCH", f"/api/events/{ev}", {"venue": "Elsewhere"}),
        ("DELETE", f"/api/events/{ev}", None),
        ("GET", f"/api/gates/{gate}", None),
        ("PATCH", f"/api/gates/{gate}", {"name": "Mine now"}),
        ("DELETE", f"/api/gates/{gate}", None),
        ("GET", f"/api/gates/{live.ids['gate:Main']}/scannables?series_id={sid}", None),
        ("GET", f"/api/categories/{cat}", None),
        ("PATCH", f"/api/categories/{cat}", {"name": "Mine"}),
        ("DELETE", f"/api/categories/{cat}", None),
        ("GET", f"/api/events/{ev}/tickets", None),
        ("POST", f"/api/events/{ev}/tickets", {"code": "RIV-2", "category_id": live.ids["cat:GA"]}),
        ("GET", f"/api/tickets/{ticket}", None),
        ("PATCH", f"/api/tickets/{ticket}", {"holder_name": "Mallory"}),
        ("DELETE", f"/api/tickets/{ticket}", None),
        ("DELETE", f"/api/series/{draft.id}?version={draft.version}", None),
        ("GET", f"/api/series/{sid}/gates", None),
        ("GET", f"/api/series/{sid}/limits", None),
        ("GET", f"/api/series/{sid}/transitions", None),
        ("GET", f"/api/series/{sid}/wristbands", None),
        ("PUT", f"/api/series/{sid}/wristbands/{live.bands[0]}", None),
        ("DELETE", f"/api/series/{sid}/wristbands/{live.bands[0]}", None),
        ("GET", f"/api/series/{sid}/checkins", None),
    ]
    with _rival(live) as other:
        before = table_counts(live.store)
        for method, path, body in calls:
            answer = other.request(method, path, json=body)
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["error"] == "not_found"
        assert table_counts(live.store) == before


BAD_INPUT: list[tuple[str, str, dict[str, Any] | None, int, str]] = [
    ("GET", "/api/events/NOWHERE", None, 404, "No event"),
    ("GET", "/api/tickets/NOWHERE", None, 404, "No ticket"),
    ("PATCH", "/api/gates/NOWHERE", {"name": "X"}, 404, "No gate"),
    ("DELETE", "/api/categories/NOWHERE", None, 404, "No category"),
    ("GET", "/api/series/NOWHERE/limits", None, 404, "No series"),
    ("GET", "/api/gates/not-a-uuid/scannables?series_id=SID", None, 422, "gate_id"),
    ("GET", "/api/gates/MAIN/scannables", None, 422, "series_id"),
    ("PUT", "/api/series/SID/wristbands/04FFFFFFFFFFFF", None, 404, "04FFFFFFFFFFFF"),
    ("DELETE", "/api/series/SID/wristbands/04FFFFFFFFFFFF", None, 404, "04FFFFFFFFFFFF"),
    ("PUT", "/api/series/SID/wristbands/04AA00BB00CC00", None, 409, "Today takes at most 0 VIP bands"),
    ("DELETE", "/api/series/SID", None, 422, "version"),
    ("DELETE", "/api/series/SID?version=abc", None, 422, "version"),
    ("DELETE", "/api/series/SID?version=VERSION", None, 409, "Cancel it instead"),
    ("DELETE", "/api/series/SID?version=99", None, 409, "changed by someone else"),
    ("DELETE", "/api/gates/MAIN", None, 409, "still used by 1 series"),
    ("DELETE", "/api/categories/GA", None, 409, "still used by 20 wristbands"),
    ("DELETE", "/api/events/EV", None, 409, "still used by 1 series and 21 wristbands"),
    ("PATCH", "/api/events/EV", {"timezone": "Asia/Tokyo"}, 409, "Change the series' times instead"),
    ("PATCH", "/api/events/EV", {"timezone": "Mars/Base"}, 422, "Mars/Base"),
    ("PATCH", "/api/events/EV", {"name": None}, 422, "cannot be removed"),
    ("PATCH", "/api/events/EV", {}, 422, "Nothing to change"),
    ("PATCH", "/api/events/EV", {"starts_on": "2027-05-02", "ends_on": "2027-05-01"}, 422, "must end"),
    ("PATCH", "/api/gates/MAIN", {"name": "exit"}, 409, "already exists"),
    ("PATCH", "/api/gates/MAIN", {"kind": "sideways"}, 422, "kind"),
    ("PATCH", "/api/gates/MAIN", {"categories": ["Nobody"]}, 404, "Nobody"),
    ("PATCH", "/api/categories/GA", {"color": "red"}, 422, "colour"),
    ("POST", "/api/events/EV/tickets", {"code": "dup-1", "category_id": "GA"}, 409, "already exists"),
    ("POST", "/api/events/EV/tickets", {"code": "  ", "category_id": "GA"}, 422, "cannot be empty"),
    ("POST", "/api/events/EV/tickets", {"code": "X", "category_id": NOWHERE}, 404, "No category"),
    ("POST", "/api/events/EV/tickets", {"code": "X", "category_id": "GA", "holder_email": "nope"},
     422, "not an e-mail"),
    ("POST", "/api/events/EV/tickets", {"code": 5, "category_id": "GA"}, 422, "code"),
    ("PATCH", "/api/tickets/TICKET", {"code": "DUP-1"}, 409, "already exists"),
    ("PATCH", "/api/tickets/TICKET", {"voided": None}, 422, "cannot be removed"),
    ("DELETE", "/api/tickets/LINKED", None, 409, "void it instead"),
    ("GET", "/api/series/SID/wristbands?after=bogus", None, 422, "not a position"),
    ("GET", "/api/series/SID/checkins?after=eyJ4Il0", None, 422, "not a position"),
    ("GET", "/api/series/SID/checkins?limit=0", None, 422, "limit"),
    ("GET", "/api/series/SID/checkins?since=2027-01-01T10:00:00", None, 422, "since"),
    ("GET", "/api/series/SID/checkins?reason=bored", None, 422, "reason"),
    ("GET", "/api/series/SID/checkins?gate_id=NOWHERE", None, 404, "No gate"),
    ("GET", "/api/gates/OTHERGATE/scannables?series_id=SID", None, 422, "is not a gate of Today"),
]


@pytest.mark.slow
def test_bad_input_gets_a_clear_4xx_and_writes_nothing(live: Live) -> None:
    """One server for every case (a server per case would take minutes); each case checked alone."""
    owner = _owner(live)
    ev = live.ids["event"]
    tickets.create_ticket(live.store, owner, ev, "DUP-1", "GA")
    ticket = tickets.create_ticket(live.store, owner, ev, "OTHER-1", "GA")
    linked = tickets.create_ticket(live.store, owner, ev, "LINKED-1", "VIP")
    band = wristbands.register_band(live.store, owner, ev, "VIP", "04AA00BB00CC00")
    with live.store.write() as session:
        from boxoffice.store.models import Wristband

        session.get_one(Wristband, band.id).ticket_id = linked.id
    other_gate = events.add_gate(live.store, owner, ev, "Side", GateKind.ENTRY)
    svc.set_category_limit(live.store, owner, live.ids["series"], "VIP", 0)
    _tap(live, live.bands[0], "bad-input-1")
    with live.client() as client:
        version = client.get(f"/api/series/{live.ids['series']}").json()["series"]["version"]
    subst = {"NOWHERE": NOWHERE, "SID": live.ids["series"], "MAIN": live.ids["gate:Main"], "EV": ev,
             "TICKET": str(ticket.id), "LINKED": str(linked.id), "OTHERGATE": str(other_gate.id),
             "VERSION": str(version), "GA": live.ids["cat:GA"]}

    def fill(text: str) -> str:
        for key, value in subst.items():
            text = text.replace(key, value)
        return text

    with live.client() as client:
        for method, path, body, status, says in BAD_INPUT:
            sent = {k: fill(v) if isinstance(v, str) else v for k, v in body.items()} if body else body
            before = table_counts(live.store)
            answer = client.request(method, fill(path), json=sent)
            assert answer.status_code == status, (method, path, body, answer.text)
            assert says in answer.json()["message"], (method, path, body, answer.json())
            assert table_counts(live.store) == before, (method, path, body)


def test_deleting_a_draft_series_removes_it_with_its_gates_limits_and_assignments(live: Live) -> None:
    owner = _owner(live)
    now = datetime.now(UTC)
    draft = svc.create_series(live.store, owner, live.ids["event"], "Spare day", now + timedelta(days=5),
                              now + timedelta(days=5, hours=4), 100, gates=["Main"]).series
    svc.set_category_limit(live.store, owner, str(draft.id), "GA", 50)
    with live.client() as client:
        assert client.post(f"/api/series/{draft.id}/wristbands", json={"category_id": live.ids["cat:GA"]}
                           ).json()["assigned"] == 20
        version = client.get(f"/api/series/{draft.id}").json()["series"]["version"]
        before = table_counts(live.store)
        assert client.delete(f"/api/series/{draft.id}", params={"version": version}).status_code == 204
        assert client.get(f"/api/series/{draft.id}").status_code == 404
    after = table_counts(live.store)
    assert before["event_series"] - after["event_series"] == 1
    assert before["series_gates"] - after["series_gates"] == 1
    assert before["series_category_limits"] - after["series_category_limits"] == 1
    assert before["series_wristband_assignments"] - after["series_wristband_assignments"] == 20


def test_a_cancelled_series_without_check_ins_may_be_deleted_but_not_an_active_one(live: Live) -> None:
    owner = _owner(live)
    now = datetime.now(UTC)
    made = svc.create_series(live.store, owner, live.ids["event"], "Rained off", now + timedelta(days=1),
                             now + timedelta(days=1, hours=4), 100, gates=["Main"]).series
    svc.transition_series(live.store, owner, str(made.id), SeriesStatus.SCHEDULED, "planned")
    with live.client() as client:
        refused = client.delete(f"/api/series/{made.id}", params={"version": 2})
        assert refused.status_code == 409 and refused.json()["error"] == "delete_refused"
        assert "scheduled" in refused.json()["message"] and "Cancel it instead" in refused.json()["message"]
        cancelled = client.post(f"/api/series/{made.id}/transitions",
                                json={"to": "cancelled", "reason": "storm"}).json()["series"]
        assert client.delete(f"/api/series/{made.id}",
                             params={"version": cancelled["version"]}).status_code == 204
    # A cancelled series that had taps stays, as history.
    sid = live.ids["series"]
    _tap(live, live.bands[0], "history-1")
    svc.transition_series(live.store, owner, sid, SeriesStatus.CANCELLED, "storm")
    with live.client() as client:
        version = client.get(f"/api/series/{sid}").json()["series"]["version"]
        kept = client.delete(f"/api/series/{sid}", params={"version": version})
    assert kept.status_code == 409 and kept.json()["error"] == "in_use"
    assert "1 check-ins" in kept.json()["message"] and "Cancel it instead" in kept.json()["message"]


def test_series_gates_limits_and_transitions(live: Live) -> None:
    owner = _owner(live)
    sid = live.ids["series"]
    svc.set_category_limit(live.store, owner, sid, "GA", 15)
    for i, uid in enumerate(live.bands[:3]):
        _tap(live, uid, f"lim-{i}")
    _tap(live, live.bands[0], "lim-out", gate="gate:Exit", direction="out")
    with live.client(Role.VIEWER) as viewer:
        gates = viewer.get(f"/api/series/{sid}/gates").json()
        limits = {row["category"]: row for row in viewer.get(f"/api/series/{sid}/limits").json()}
        history = viewer.get(f"/api/series/{sid}/transitions").json()
    assert [(g["name"], g["kind"]) for g in gates] == [("Exit", "exit"), ("Main", "entry")]
    assert (limits["GA"]["limit"], limits["GA"]["assigned"], limits["GA"]["entered"]) == (15, 20, 3)
    assert (limits["VIP"]["limit"], limits["VIP"]["assigned"], limits["VIP"]["entered"]) == (None, 0, 0)
    assert [(t["from_status"], t["to_status"], t["actor"], t["reason"]) for t in history] == [
        ("draft", "scheduled", "owner@example.org", "ok"),
        ("scheduled", "active", "owner@example.org", "ok"),
    ]


def test_one_band_is_assigned_and_unassigned_and_listed_by_category(live: Live) -> None:
    owner = _owner(live)
    sid = live.ids["series"]
    vip = wristbands.register_band(live.store, owner, live.ids["event"], "VIP", "04:11:22:33:44:55:66")
    with live.client() as client:
        first = client.put(f"/api/series/{sid}/wristbands/04-11-22-33-44-55-66")
        assert first.status_code == 200, first.text
        assert first.json()["already_assigned"] is False
        assert first.json()["band"]["wristband_id"] == str(vip.id)
        again = client.put(f"/api/series/{sid}/wristbands/{vip.uid}")
        assert again.json()["already_assigned"] is True
        only_vip = client.get(f"/api/series/{sid}/wristbands",
                              params={"category_id": live.ids["cat:VIP"]}).json()
        assert [b["uid"] for b in only_vip["items"]] == [vip.uid] and only_vip["next_after"] is None
        assert client.delete(f"/api/series/{sid}/wristbands/{vip.uid}").status_code == 204
        gone = client.delete(f"/api/series/{sid}/wristbands/{vip.uid}")
        assert gone.status_code == 404 and "assignment" in gone.json()["message"]
        assert client.get(f"/api/series/{sid}/wristbands",
                          params={"category_id": live.ids["cat:VIP"]}).json()["items"] == []
        # A band that is not active cannot be assigned, one at a time either.
        void = add_bands(live.store, uuid.UUID(live.ids["event"]), "VIP", 1, status=wristbands.BandStatus.VOID)
        refused = client.put(f"/api/series/{sid}/wristbands/{void[0]}")
        assert refused.status_code == 422 and "void" in refused.json()["message"]


@pytest.mark.slow
def test_keyset_pages_return_every_row_exactly_once(live: Live) -> None:
    owner = _owner(live)
    ev, sid = live.ids["event"], live.ids["series"]
    codes = [f"PG-{i:03d}" for i in range(23)] + ["other-1", "Other-2"]
    for code in codes:
        tickets.create_ticket(live.store, owner, ev, code, "GA")
    for i, uid in enumerate(live.bands[:10]):
        _tap(live, uid, f"page-{i}")
        _tap(live, uid, f"page-again-{i}")  # denied: already inside
    with live.client() as client:
        found, pages = _walk(client, f"/api/events/{ev}/tickets", limit=4)
        assert sorted(t["code"] for t in found) == sorted(codes) and pages == 7
        pg, _ = _walk(client, f"/api/events/{ev}/tickets", limit=5, code="pg-0")
        assert [t["code"] for t in pg] == [c for c in codes if c.startswith("PG-0")]
        # Any case; the order is the database's (SQLite sorts "O" before "o", PostgreSQL may not).
        assert {t["code"] for t in _walk(client, f"/api/events/{ev}/tickets", code="OTHER")[0]} == {
            "Other-2", "other-1"}

        bands, pages = _walk(client, f"/api/series/{sid}/wristbands", limit=3)
        assert [b["uid"] for b in bands] == sorted(live.bands) and pages == 7

        newest, _ = _walk(client, f"/api/series/{sid}/checkins", limit=3)
        assert len(newest) == 20 and len({c["id"] for c in newest}) == 20
        assert [c["occurred_at"] for c in newest] == sorted((c["occurred_at"] for c in newest), reverse=True)
        denied, _ = _walk(client, f"/api/series/{sid}/checkins", limit=3, result="denied",
                          reason="already_inside", gate_id=live.ids["gate:Main"], direction="in")
        assert {c["client_scan_id"] for c in denied} == {f"page-again-{i}" for i in range(10)}
        middle = newest[10]["occurred_at"]
        since, _ = _walk(client, f"/api/series/{sid}/checkins", limit=4, since=middle)
        assert [c["id"] for c in since] == [c["id"] for c in reversed(newest[:11])]

        # A tap that arrives while a client walks the newest-first list is not in a later page,
        # and no row of the list repeats or goes missing.
        first = client.get(f"/api/series/{sid}/checkins", params={"limit": 5}).json()
        _tap(live, live.bands[15], "arrived-meanwhile")
        rest, _ = _walk(client, f"/api/series/{sid}/checkins", limit=5, after=first["next_after"])
        assert [c["id"] for c in first["items"] + rest] == [c["id"] for c in newest]


def test_a_gate_downloads_the_bands_it_may_admit_with_the_series_rules(live: Live) -> None:
    owner = _owner(live)
    ev, sid = live.ids["event"], live.ids["series"]
    vip_lane = events.add_gate(live.store, owner, ev, "VIP Lane", GateKind.ENTRY, ["VIP"])
    svc.assign_gates(live.store, owner, sid, ["VIP Lane"])
    vips = add_bands(live.store, uuid.UUID(ev), "VIP", 7, prefix="05")
    with live.client() as client:
        assert client.post(f"/api/series/{sid}/wristbands", json={"uids": vips}).status_code == 200
    _tap(live, live.bands[0], "scan-1")
    with live.client(Role.GATE) as gate:
        lane, pages = _walk(gate, f"/api/gates/{vip_lane.id}/scannables", series_id=sid, limit=3)
        assert sorted(b["uid"] for b in lane) == sorted(vips) and pages == 3
        assert {b["category"] for b in lane} == {"VIP"}
        main, _ = _walk(gate, f"/api/gates/{live.ids['gate:Main']}/scannables", series_id=sid, limit=10)
        assert sorted(b["uid"] for b in main) == sorted(live.bands + vips)
        inside = [b["uid"] for b in main if b["inside"]]
        assert inside == [live.bands[0]]
        header = gate.get(f"/api/gates/{vip_lane.id}/scannables", params={"series_id": sid}).json()
        assert header["gate_categories"] == [live.ids["cat:VIP"]]
        assert (header["series_status"], header["reentry_policy"], header["gate_kind"]) == (
            "active", "reentry", "entry")
        assert header["checkin_opens_at"] < header["checkin_closes_at"]
        # The gate may read this, but nothing else about the series.
        assert gate.get(f"/api/series/{sid}/wristbands").status_code == 403


def test_tickets_are_created_read_edited_voided_and_deleted(live: Live) -> None:
    ev = live.ids["event"]
    with live.client(Role.STATION) as station:
        made = station.post(f"/api/events/{ev}/tickets", json={
            "code": " TIX-0001 ", "category_id": live.ids["cat:VIP"], "holder_name": "Ada Lovelace",
            "holder_email": "Ada@Example.org"})
        assert made.status_code == 201, made.text
        ticket = made.json()
        assert (ticket["code"], ticket["category"], ticket["holder_email"], ticket["voided_at"]) == (
            "TIX-0001", "VIP", "ada@example.org", None)
        clash = station.post(f"/api/events/{ev}/tickets", json={"code": "tix-0001",
                                                                 "category_id": live.ids["cat:GA"]})
        assert clash.status_code == 409 and clash.json()["message"] == (
            "A ticket with code tix-0001 already exists in Gate Fest.")
        edited = station.patch(f"/api/tickets/{ticket['id']}", json={
            "category_id": live.ids["cat:GA"], "holder_name": None, "voided": True}).json()
        assert (edited["category"], edited["holder_name"], edited["holder_email"]) == (
            "GA", None, "ada@example.org")
        assert edited["voided_at"] is not None
        assert station.get(f"/api/tickets/{ticket['id']}").json() == edited
        back = station.patch(f"/api/tickets/{ticket['id']}", json={"voided": False}).json()
        assert back["voided_at"] is None
        assert station.delete(f"/api/tickets/{ticket['id']}").status_code == 204
        assert station.get(f"/api/tickets/{ticket['id']}").status_code == 404


def test_events_gates_and_categories_are_edited_and_deleted_when_unused(live: Live) -> None:
    owner = _owner(live)
    ev = live.ids["event"]
    with live.client() as client:
        moved = client.patch(f"/api/events/{ev}", json={"name": "Gate Fest 2027", "venue": " Pier 4 ",
                                                       "starts_on": "2027-06-01", "ends_on": "2027-06-03"})
        assert moved.status_code == 200, moved.text
        assert (moved.json()["name"], moved.json()["venue"], moved.json()["timezone"]) == (
            "Gate Fest 2027", "Pier 4", "Europe/Amsterdam")
        assert client.get(f"/api/events/{ev}").json() == moved.json()

        gate = client.patch(f"/api/gates/{live.ids['gate:Exit']}",
                            json={"name": "North Exit", "kind": "both", "categories": ["VIP", "GA"]}).json()
        assert (gate["name"], gate["kind"], gate["categories"]) == ("North Exit", "both", ["GA", "VIP"])
        assert client.get(f"/api/gates/{live.ids['gate:Exit']}").json() == gate
        opened = client.patch(f"/api/gates/{live.ids['gate:Exit']}", json={"categories": []}).json()
        assert opened["categories"] == []
        cat = client.patch(f"/api/categories/{live.ids['cat:VIP']}",
                           json={"name": "V.I.P.", "color": "#f5b041"}).json()
        assert (cat["name"], cat["color"]) == ("V.I.P.", "#F5B041")
        assert client.get(f"/api/categories/{live.ids['cat:VIP']}").json() == cat

        spare = events.create_event(live.store, owner, "Spare", "Europe/Paris")
        crew = events.add_category(live.store, owner, "Spare", "Crew")
        events.add_gate(live.store, owner, "Spare", "Back door", GateKind.BOTH, ["Crew"])
        tickets.create_ticket(live.store, owner, "Spare", "SP-1", "Crew")
        assert client.patch(f"/api/events/{spare.id}", json={"timezone": "Europe/Lisbon"}).json()[
            "timezone"] == "Europe/Lisbon"
        used = client.delete(f"/api/categories/{crew.id}")
        assert used.status_code == 409 and "1 tickets and 1 gates" in used.json()["message"]
        before = table_counts(live.store)
        assert client.delete(f"/api/events/{spare.id}").status_code == 204
        after = table_counts(live.store)
        assert [before[t] - after[t] for t in ("events", "gates", "categories", "gate_categories", "tickets")
                ] == [1, 1, 1, 1, 1]
        assert client.get(f"/api/events/{spare.id}").status_code == 404


def test_a_gate_without_series_or_check_ins_is_deleted(live: Live) -> None:
    owner = _owner(live)
    sid = live.ids["series"]
    side = events.add_gate(live.store, owner, live.ids["event"], "Side", GateKind.ENTRY, ["VIP"])
    svc.assign_gates(live.store, owner, sid, ["Side"])
    checkins.record_tap(live.store, owner, sid, "Side", live.bands[0], Direction.IN)
    with live.client() as client:
        assert client.delete(f"/api/series/{sid}/gates/{side.id}").status_code == 200
        kept = client.delete(f"/api/gates/{side.id}")
        assert kept.status_code == 409 and "1 check-ins" in kept.json()["message"]
        fresh = events.add_gate(live.store, owner, live.ids["event"], "Fresh", GateKind.ENTRY, ["VIP"])
        assert client.delete(f"/api/gates/{fresh.id}").status_code == 204
        names = [g["name"] for g in client.get(f"/api/events/{live.ids['event']}/gates").json()]
    assert "Fresh" not in names and "Side" in names
