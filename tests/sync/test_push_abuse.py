"""A corpus of pushes a station should never send, and a hostile one might: each refused with a reason.

Malformed data, values SQLite would take and PostgreSQL would not, another
organization's ids in every reference field, another member's identity and
roles above the pusher's, replays and entries out of order. Every case is
pushed against a real server on SQLite and on PostgreSQL, followed in the
same batch by a good entry: the bad one is ``rejected`` with a sentence and
writes nothing, the good one after it is applied, and the pull still flows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from boxoffice.domain.enums import GateKind, Role
from boxoffice.services import auth, encoding_bands, encoding_batches, events, organization, tickets
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from tests.helpers.seeding import PASSWORD, Live
from tests.helpers.stores import table_counts

NOW = datetime.now(UTC)
RIVAL = "rival@example.org"


@dataclass
class Ids:
    """Our organization's ids (from the seed) and the rival organization's."""

    ours: dict[str, str]
    theirs: dict[str, str]


def _rival(live: Live) -> dict[str, str]:
    """Another organization on the same server, with one row of every kind a push could name."""
    organization.create_organization(live.store, "Rival Org", RIVAL)
    rival = resolve_actor(live.store, RIVAL)
    auth.set_password(live.store, rival, RIVAL, PASSWORD)
    ev = events.create_event(live.store, rival, "Rival Fest", "Europe/Berlin")
    cat = events.add_category(live.store, rival, "Rival Fest", "GA")
    gate = events.add_gate(live.store, rival, "Rival Fest", "North", GateKind.ENTRY)
    day = svc.create_series(live.store, rival, "Rival Fest", "Rival Day", NOW - timedelta(hours=1),
                            NOW + timedelta(hours=5), 100, gates=["North"]).series
    ticket = tickets.create_ticket(live.store, rival, "Rival Fest", "RF-1", "GA", "Rita Rival")
    batch = encoding_batches.start_batch(live.store, rival, event_ref="Rival Fest", category_ref="GA",
                                         series_refs=["Rival Day"], requested=None, station="Rival box")
    plan = encoding_bands.plan_band(live.store, rival, batch_id=batch.id, uid="04AAAAAAAAAA01")
    encoding_bands.activate_band(live.store, rival, batch_id=batch.id, band_id=plan.band_id)
    member = organization.add_member(live.store, rival, "rival-staff@example.org", Role.MEMBER)
    from boxoffice.store.models import TagSecret

    with live.store.read() as session:
        from sqlalchemy import select

        secret = session.scalar(select(TagSecret.id).where(TagSecret.organization_id == rival.organization_id))
    return {"event": str(ev.id), "category": str(cat.id), "gate": str(gate.id), "series": str(day.id),
            "ticket": str(ticket.id), "batch": str(batch.id), "band": str(plan.band_id),
            "member": str(member.id), "tag_secret": str(secret), "uid": "04AAAAAAAAAA01"}


def _entry(kind: str, payload: dict[str, Any], entity_id: str | None = None,
           entry_id: str | None = None) -> dict[str, Any]:
    return {"id": entry_id or str(uuid.uuid4()), "seq": 1, "kind": kind,
            "entity_id": entity_id or str(uuid.uuid4()), "payload": payload,
            "created_at": NOW.isoformat()}


def _series(ids: dict[str, str], **over: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "event_id": ids["event"], "name": f"S {uuid.uuid4().hex[:6]}",
            "starts_at": (NOW + timedelta(days=1)).isoformat(), "ends_at": (NOW + timedelta(days=1, hours=4)).isoformat(),
            "checkin_opens_at": (NOW + timedelta(days=1, hours=-1)).isoformat(),
            "checkin_closes_at": (NOW + timedelta(days=1, hours=4)).isoformat(), "capacity": 100,
            "reentry_policy": "single_entry"}
    body.update(over)
    return body


def _checkin(ours: dict[str, str], **over: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "client_scan_id": f"abuse-{uuid.uuid4().hex[:8]}",
            "series_id": ours["series"], "gate_id": ours["gate:Main"], "wristband_id": None,
            "uid": "04BBBBBBBBBB01", "direction": "in", "result": "denied", "reason": "unknown_band",
            "message": "Unknown band.", "device_id": "hh-1", "occurred_at": NOW.isoformat()}
    body.update(over)
    return body


def _plan(ours: dict[str, str], batch: str, **over: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "event_id": ours["event"], "category_id": ours["cat:GA"],
            "uid": "04CCCCCCCCCC01", "batch_id": batch, "payload": "00" * 16}
    body.update(over)
    return body


Case = Callable[[Ids, str], dict[str, Any]]  # (ids, our open batch id) -> the entry to push

def _series_cleared(field: str) -> Case:
    return lambda i, b: _entry("series.update", {"expected_version": 1, "changes": {field: None}}, i.ours["series"])


CASES: dict[str, tuple[Case, Role]] = {
    # -- malformed --------------------------------------------------------------------
    "unknown kind": (lambda i, b: _entry("teleport.create", {}), Role.OWNER),
    "a name that is a number": (lambda i, b: _entry("event.create", {"id": str(uuid.uuid4()), "name": 12,
                                                                     "timezone": "Europe/Paris"}), Role.OWNER),
    "a field missing": (lambda i, b: _entry("event.create", {"id": str(uuid.uuid4()), "name": "No Zone"}),
                        Role.OWNER),
    "capacity in words": (lambda i, b: _entry("series.create", _series(i.ours, capacity="lots")), Role.OWNER),
    "a band payload that is not hex": (lambda i, b: _entry("wristband.plan", _plan(i.ours, b, payload="zz-not-hex")),
                                       Role.OWNER),
    "a band payload of odd length": (lambda i, b: _entry("wristband.plan", _plan(i.ours, b, payload="abc")),
                                     Role.OWNER),
    "a check-in that is a list": (lambda i, b: _entry("checkin.record", {"rows": [1, 2]}), Role.OWNER),
    "an edit of a field that does not exist": (
        lambda i, b: _entry("series.update", {"expected_version": 1, "changes": {"colour": "red"}},
                            i.ours["series"]), Role.OWNER),
    "a limit beyond any integer column": (
        lambda i, b: _entry("series.set_limit", {"category_id": i.ours["cat:GA"], "limit": 2**40}, i.ours["series"]),
        Role.OWNER),
    "a capacity of 2**63": (lambda i, b: _entry("series.create", _series(i.ours, capacity=2**63)), Role.OWNER),
    "a start in year 1": (lambda i, b: _entry("series.create", _series(i.ours, starts_at="0001-01-01T00:00:00+00:00")),
                          Role.OWNER),
    "a time zone that does not exist": (
        lambda i, b: _entry("event.create", {"id": str(uuid.uuid4()), "name": "Mars Fest", "timezone": "Mars/Olympus"}),
        Role.OWNER),
    # -- null where an edit may only change, never clear (once answered 500 for the whole push) ---
    **{f"a series' {field} set to null": (_series_cleared(field), Role.OWNER)
       for field in ("name", "starts_at", "ends_at", "capacity", "reentry_policy")},
    "an event's time zone set to null": (
        lambda i, b: _entry("event.update", {"changes": {"timezone": None}}, i.ours["event"]), Role.OWNER),
    "a ticket's category set to null": (
        lambda i, b: _entry("ticket.update", {"changes": {"category_id": None}}, i.ours["ticket"]), Role.OWNER),
    # -- what PostgreSQL would refuse: lengths, NUL and control characters ---------------
    "a 33-character UID": (lambda i, b: _entry("wristband.register", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.ours["cat:GA"], "uid": "0" * 33}),
        Role.OWNER),
    "a 10,000-character UID": (lambda i, b: _entry("wristband.register", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.ours["cat:GA"], "uid": "A" * 10_000}),
        Role.OWNER),
    "a NUL in a UID": (lambda i, b: _entry("wristband.register", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.ours["cat:GA"], "uid": "04AB\x00CD"}),
        Role.OWNER),
    "a NUL in a holder name": (lambda i, b: _entry("ticket.create", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.ours["cat:GA"], "code": "NUL-1",
        "holder_name": "Ana\x00"}), Role.OWNER),
    "a NUL in an event name": (lambda i, b: _entry("event.create", {"id": str(uuid.uuid4()), "name": "Fest\x00",
                                                                     "timezone": "Europe/Paris"}), Role.OWNER),
    "a NUL in a venue": (lambda i, b: _entry("event.create", {"id": str(uuid.uuid4()), "name": "Venue Fest",
                                                              "timezone": "Europe/Paris", "venue": "Hall\x00"}),
                         Role.OWNER),
    "a 201-character venue": (lambda i, b: _entry("event.update", {"changes": {"venue": "V" * 201}},
                                                  i.ours["event"]), Role.OWNER),
    "a NUL in a series description": (lambda i, b: _entry("series.update", {
        "expected_version": 1, "changes": {"description": "Doors\x00"}}, i.ours["series"]), Role.OWNER),
    "a 10,000-character category": (lambda i, b: _entry("category.create", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "name": "C" * 10_000}), Role.OWNER),
    "a 200-character scan id": (lambda i, b: _entry("checkin.record", _checkin(i.ours, client_scan_id="s" * 200)),
                                Role.OWNER),
    "a 33-character UID at a gate": (lambda i, b: _entry("checkin.record", _checkin(i.ours, uid="0" * 33)),
                                     Role.OWNER),
    "a NUL in a device id": (lambda i, b: _entry("checkin.record", _checkin(i.ours, device_id="hh\x00")), Role.OWNER),
    "a gate named with a zero-width space": (lambda i, b: _entry("gate.create", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "name": "\u200b", "kind": "entry"}), Role.OWNER),
    "an imported code with a control character": (lambda i, b: _entry("tickets.import", {"tickets": [
        {"code": "IMP\x07", "category": "GA"}]}, i.ours["event"]), Role.OWNER),
    # -- another organization's ids, in every kind of reference ----------------------------
    "a gate in their event": (lambda i, b: _entry("gate.create", {
        "id": str(uuid.uuid4()), "event_id": i.theirs["event"], "name": "Sneaky", "kind": "entry"}), Role.OWNER),
    "our gate open to their category": (lambda i, b: _entry("gate.create", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "name": "Mixed", "kind": "entry",
        "category_ids": [i.theirs["category"]]}), Role.OWNER),
    "a category in their event": (lambda i, b: _entry("category.create", {
        "id": str(uuid.uuid4()), "event_id": i.theirs["event"], "name": "Sneaky"}), Role.OWNER),
    "a series in their event": (lambda i, b: _entry("series.create", _series(i.theirs)), Role.OWNER),
    "our series at their gate": (lambda i, b: _entry("series.create", _series(i.ours, gate_ids=[i.theirs["gate"]])),
                                 Role.OWNER),
    "an edit of their series": (lambda i, b: _entry("series.update", {"expected_version": 1,
                                                                      "changes": {"name": "Mine"}}, i.theirs["series"]),
                                Role.OWNER),
    "a transition of their series": (lambda i, b: _entry("series.transition", {"to": "cancelled", "reason": "x"},
                                                         i.theirs["series"]), Role.OWNER),
    "their gate on our series": (lambda i, b: _entry("series.assign_gates", {"gate_ids": [i.theirs["gate"]]},
                                                     i.ours["series"]), Role.OWNER),
    "a limit for their category": (lambda i, b: _entry("series.set_limit", {"category_id": i.theirs["category"],
                                                                            "limit": 5}, i.ours["series"]), Role.OWNER),
    "their band on our series": (lambda i, b: _entry("series.assign_bands", {"uids": [i.theirs["uid"]]},
                                                     i.ours["series"]), Role.OWNER),
    "a ticket in their category": (lambda i, b: _entry("ticket.create", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.theirs["category"], "code": "X-1"}),
        Role.OWNER),
    "an edit of their ticket": (lambda i, b: _entry("ticket.update", {"changes": {"holder_name": "Me"}},
                                                    i.theirs["ticket"]), Role.OWNER),
    "a deletion of their ticket": (lambda i, b: _entry("ticket.delete", {}, i.theirs["ticket"]), Role.OWNER),
    "a band planned on their ticket": (lambda i, b: _entry("wristband.plan", _plan(i.ours, b, ticket_id=i.theirs["ticket"])),
                                       Role.OWNER),
    "a band planned in their batch": (lambda i, b: _entry("wristband.plan", _plan(i.ours, i.theirs["batch"])),
                                      Role.OWNER),
    "a band planned with their tag secret": (
        lambda i, b: _entry("wristband.plan", _plan(i.ours, b, tag_secret_id=i.theirs["tag_secret"])), Role.OWNER),
    "a band in their category": (lambda i, b: _entry("wristband.register", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.theirs["category"],
        "uid": "04DDDDDDDDDD01"}), Role.OWNER),
    "a batch for their series": (lambda i, b: _entry("encode_batch.start", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.ours["cat:GA"],
        "series_ids": [i.theirs["series"]]}), Role.OWNER),
    "their band activated": (lambda i, b: _entry("wristband.activate", {"batch_id": i.theirs["batch"],
                                                                        "band_id": i.theirs["band"]}), Role.OWNER),
    "a check-in at their gate": (lambda i, b: _entry("checkin.record", _checkin(i.ours, gate_id=i.theirs["gate"])),
                                 Role.OWNER),
    "a check-in on their series": (lambda i, b: _entry("checkin.record", _checkin(i.ours, series_id=i.theirs["series"])),
                                   Role.OWNER),
    "a deletion of their event": (lambda i, b: _entry("event.delete", {}, i.theirs["event"]), Role.OWNER),
    "a deletion of their gate": (lambda i, b: _entry("gate.delete", {}, i.theirs["gate"]), Role.OWNER),
    "a deletion of their category": (lambda i, b: _entry("category.delete", {}, i.theirs["category"]), Role.OWNER),
    "a deletion of their series": (lambda i, b: _entry("series.delete", {"expected_version": 1}, i.theirs["series"]),
                                   Role.OWNER),
    "their member's role": (lambda i, b: _entry("member.role", {"id": i.theirs["member"], "role": "viewer"}),
                            Role.OWNER),
    "their member removed": (lambda i, b: _entry("member.remove", {"id": i.theirs["member"]}), Role.OWNER),
    # -- identities and roles above the pusher's -----------------------------------------------
    "a second owner": (lambda i, b: _entry("member.create", {"id": str(uuid.uuid4()), "email": "boss@example.org",
                                                             "role": "owner"}), Role.OWNER),
    "a member made by a manager": (lambda i, b: _entry("member.create", {"id": str(uuid.uuid4()),
                                                                         "email": "new@example.org", "role": "admin"}),
                                   Role.MANAGER),
    "an admin raising a member": (lambda i, b: _entry("member.role", {"id": i.ours["member:member"], "role": "admin"}),
                                  Role.ADMIN),
    "a member with an id already taken": (lambda i, b: _entry("member.create", {
        "id": i.ours["member:viewer"], "email": "twin@example.org", "role": "member"}), Role.OWNER),
    "a tag secret from a viewer": (lambda i, b: _entry("tag_secret.create", {"id": str(uuid.uuid4()), "secret": "00" * 32}),
                                   Role.VIEWER),
    "another organization created": (lambda i, b: _entry("organization.create", {"id": str(uuid.uuid4())}), Role.OWNER),
    "a gate device editing a series": (lambda i, b: _entry("series.update", {"expected_version": 1,
                                                                             "changes": {"name": "Gate's"}},
                                                           i.ours["series"]), Role.GATE),
    # -- replayed and out of order ---------------------------------------------------------------
    "a band activated before it was planned": (lambda i, b: _entry("wristband.activate", {
        "batch_id": b, "band_id": str(uuid.uuid4())}), Role.OWNER),
    "a UID the event already has": (lambda i, b: _entry("wristband.register", {
        "id": str(uuid.uuid4()), "event_id": i.ours["event"], "category_id": i.ours["cat:GA"],
        "uid": i.ours["uid"]}), Role.OWNER),
    "their entry's id pushed again": (lambda i, b: _entry("event.create", {
        "id": str(uuid.uuid4()), "name": "Echo", "timezone": "Europe/Paris"}, entry_id=i.theirs["entry"]), Role.OWNER),
}


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


def _ours(live: Live) -> dict[str, str]:
    ids = dict(live.ids)
    for role in Role:
        with live.client(role) as http:
            ids[f"member:{role.value}"] = str(http.get("/api/me").json()["member_id"])
    ids["uid"] = live.bands[0]
    owner = resolve_actor(live.store, "owner@example.org")
    ids["ticket"] = str(tickets.create_ticket(live.store, owner, "Gate Fest", "OURS-1", "GA").id)
    return ids


@pytest.mark.slow
def test_every_bad_push_is_refused_with_a_reason_and_the_next_entry_still_applies(server: Live) -> None:
    live = server
    theirs = _rival(live)
    ours = _ours(live)
    with live.client(token=auth.login(live.store, RIVAL, PASSWORD)[0]) as rival_http:
        echo = _entry("event.create", {"id": str(uuid.uuid4()), "name": "Rival Two", "timezone": "Europe/Berlin"})
        assert rival_http.post("/api/sync/push", json={"entries": [echo]}).json()["results"][0]["status"] == "applied"
    theirs["entry"] = echo["id"]
    owner = resolve_actor(live.store, "owner@example.org")
    batch = str(encoding_batches.start_batch(live.store, owner, event_ref="Gate Fest", category_ref="GA",
                                             series_refs=["Today"], requested=None, station="Abuse box").id)
    ids = Ids(ours, theirs)
    problems: list[str] = []
    for name, (make, role) in CASES.items():
        bad = make(ids, batch)
        good = _entry("event.create", {"id": str(uuid.uuid4()), "name": f"After {name[:60]}",
                                       "timezone": "Europe/Paris"})
        before = table_counts(live.store)
        with live.client(role) as http:
            answer = http.post("/api/sync/push", json={"entries": [bad]})
            if answer.status_code != 200:
                problems.append(f"{name}: HTTP {answer.status_code} {answer.text[:200]}")
                continue
            [result] = answer.json()["results"]
            if result["status"] != "rejected" or not result.get("reason"):
                problems.append(f"{name}: {result}")
            after = table_counts(live.store)
            applied_log = after.pop("sync_applied_entries") - before.pop("sync_applied_entries")
            if after != before:
                changed = {t: (before[t], after[t]) for t in after if after[t] != before[t]}
                problems.append(f"{name}: wrote {changed}")
            if applied_log > 1:
                problems.append(f"{name}: {applied_log} applied-entry rows")
        with live.client(Role.OWNER) as http:  # the station's next entry and its pull go on
            [next_result] = http.post("/api/sync/push", json={"entries": [good]}).json()["results"]
            if next_result["status"] != "applied":
                problems.append(f"{name}: the entry after it was {next_result}")
            if http.get("/api/sync/changes", params={"limit": 1}).status_code != 200:
                problems.append(f"{name}: the pull stopped")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", [Role.OWNER])
def test_a_bad_entry_in_the_middle_of_a_batch_holds_nothing_back(server: Live, role: Role) -> None:
    entries = [_entry("event.create", {"id": str(uuid.uuid4()), "name": f"Batch {n}", "timezone": "Europe/Paris"})
               for n in range(3)]
    entries.insert(1, _entry("wristband.plan", {"id": str(uuid.uuid4()), "event_id": server.ids["event"],
                                                "category_id": server.ids["cat:GA"], "uid": "04EEEEEEEEEE01",
                                                "payload": "not hex at all"}))
    with server.client(role) as http:
        results = http.post("/api/sync/push", json={"entries": entries}).json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "applied", "applied"]


@pytest.mark.slow
def test_concurrent_pushes_that_clash_are_each_answered_once_and_never_left_busy(server: Live) -> None:
    """20 pushes at once: the same refused entry, and 20 stations adding one e-mail under different ids.

    Every answer is final (never ``retry``), the refused entry is kept once,
    and exactly one member with that e-mail exists afterwards.
    """
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from boxoffice.store.models import AppliedEntry, Member

    ours = _ours(server)
    taken = _entry("member.create", {"id": ours["member:viewer"], "email": "twin@example.org", "role": "member"})
    racers = [_entry("member.create", {"id": str(uuid.uuid4()), "email": "race@example.org", "role": "member"})
              for _ in range(20)]

    def push(entry: dict[str, Any]) -> dict[str, Any]:
        with server.client(Role.OWNER) as http:
            answer = http.post("/api/sync/push", json={"entries": [entry]})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()["results"][0]
        return result

    with ThreadPoolExecutor(max_workers=20) as pool:
        same = list(pool.map(push, [taken] * 20))
        raced = list(pool.map(push, racers))
    assert {r["status"] for r in same} == {"rejected"} and all(r["reason"] for r in same)
    assert sorted(r["status"] for r in raced) == ["applied"] + ["rejected"] * 19, raced
    assert all(r["reason"] for r in raced if r["status"] == "rejected")
    with server.store.read() as session:
        kept = session.scalar(select(func.count()).select_from(AppliedEntry).where(AppliedEntry.id == uuid.UUID(taken["id"])))
        members = session.scalar(select(func.count()).select_from(Member).where(Member.email == "race@example.org"))
    assert (kept, members) == (1, 1)


def test_an_entry_the_server_fails_on_is_set_aside_with_a_reason_and_the_rest_go_on(
        server: Live, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A defect in one use case (here made to fail on purpose) must not answer the whole push 500,
    which the station would send again for ever: that entry is refused, logged with its traceback."""
    from boxoffice.sync.appliers import APPLIERS

    def defect(*_: object) -> None:
        raise RuntimeError("a defect in the use case")

    monkeypatch.setitem(APPLIERS, "category.create", defect)
    failing = _entry("category.create", {"id": str(uuid.uuid4()), "event_id": server.ids["event"], "name": "Boom"})
    after = _entry("event.create", {"id": str(uuid.uuid4()), "name": "After a defect", "timezone": "Europe/Paris"})
    before = table_counts(server.store)
    with server.client(Role.OWNER) as http:
        answer = http.post("/api/sync/push", json={"entries": [failing, after]})
        assert answer.status_code == 200, answer.text
        first, second = answer.json()["results"]
        again = http.post("/api/sync/push", json={"entries": [failing]}).json()["results"][0]
    assert (first["status"], first["error"]) == ("rejected", "server_error")
    assert first["reason"] == "The server failed on this change (its log has the details), so it was not applied."
    assert second["status"] == "applied"
    assert (again["status"], again["reason"]) == ("rejected", first["reason"])  # kept, not tried again
    counted = table_counts(server.store)
    assert counted["categories"] == before["categories"] and counted["events"] == before["events"] + 1
    assert any("a defect in the use case" in (r.exc_text or "") or (r.exc_info and "defect" in str(r.exc_info[1]))
               for r in caplog.records if r.levelname == "ERROR")
