"""Small holes in what the server takes, over real HTTP: each refused with a sentence, nothing written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from boxoffice.domain.enums import Role
from tests.helpers.seeding import Live
from tests.helpers.stores import table_counts

HOLDER_NUL = "The holder's name holds a control character (U+0000); remove it."


def entry(kind: str, payload: dict[str, object], entity_id: str | None = None,
          created_at: object = None) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "seq": 1, "kind": kind, "entity_id": entity_id or str(uuid.uuid4()),
            "payload": payload,
            "created_at": datetime.now(UTC).isoformat() if created_at is None else created_at}


def pushed(live: Live, *entries: dict[str, object]) -> list[dict[str, object]]:
    with live.client() as http:
        answer = http.post("/api/sync/push", json={"entries": list(entries)})
    assert answer.status_code == 200, answer.text
    results: list[dict[str, object]] = answer.json()["results"]
    return results


def unchanged_but_the_applied_log(live: Live, before: dict[str, int], entries: int) -> None:
    after = table_counts(live.store)
    assert after.pop("sync_applied_entries") == before.pop("sync_applied_entries") + entries
    assert after == before


def test_a_control_character_in_a_holder_name_is_refused_through_every_door(live: Live) -> None:
    event, vip = live.ids["event"], live.ids["cat:VIP"]
    before = table_counts(live.store)
    with live.client() as http:
        by_api = http.post(f"/api/events/{event}/tickets",
                           json={"code": "N-1", "category_id": vip, "holder_name": "Ana\x00Bo"})
    assert by_api.status_code == 422 and by_api.json()["message"] == HOLDER_NUL
    results = pushed(
        live,
        entry("ticket.create", {"id": str(uuid.uuid4()), "event_id": event, "code": "N-1",
                                "category_id": vip, "holder_name": "Ana\x00Bo"}),
        entry("tickets.import", {"tickets": [{"id": str(uuid.uuid4()), "code": "N-2", "category_id": vip,
                                              "holder_name": "Ana\x00Bo"}]}, entity_id=event),
    )
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert results[0]["reason"] == HOLDER_NUL
    assert results[1]["reason"] == f"Ticket 'N-2': {HOLDER_NUL}"
    unchanged_but_the_applied_log(live, before, 2)


@pytest.mark.slow
def test_a_pushed_import_with_one_code_twice_in_two_cases_is_refused_whole(live: Live) -> None:
    event, vip = live.ids["event"], live.ids["cat:VIP"]
    before = table_counts(live.store)
    [result] = pushed(live, entry("tickets.import", {"tickets": [
        {"id": str(uuid.uuid4()), "code": "A-1", "category_id": vip},
        {"id": str(uuid.uuid4()), "code": "B-1", "category_id": vip},
        {"id": str(uuid.uuid4()), "code": "a-1", "category_id": vip},
    ]}, entity_id=event))
    assert result["status"] == "rejected"
    assert result["reason"] == ("The import holds the code A-1 twice (A-1 and a-1; codes are the same "
                                "ignoring case); nothing was imported.")
    unchanged_but_the_applied_log(live, before, 1)


@pytest.mark.parametrize("created_at", [1767225600, 1767225600.5, "1767225600", True, None, [], {}])
def test_a_push_whose_created_at_is_not_a_date_time_text_is_refused(live: Live, created_at: object) -> None:
    body = {"entries": [entry("event.create", {"id": str(uuid.uuid4()), "name": "Never",
                                               "timezone": "UTC"})]}
    body["entries"][0]["created_at"] = created_at  # type: ignore[index]
    before = table_counts(live.store)
    with live.client() as http:
        answer = http.post("/api/sync/push", json=body)
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["field"] == "entries.0.created_at"
    assert table_counts(live.store) == before


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/api/series", "GET, POST"),
    ("DELETE", "/api/events", "GET, POST"),
    ("POST", f"/api/series/{uuid.UUID(int=1)}", "DELETE, GET, PATCH, PUT"),
    ("GET", "/api/verify", "POST"),
    ("GET", "/api/auth/login", "POST"),
])
@pytest.mark.slow
def test_a_wrong_method_is_told_every_method_the_path_takes(live: Live, method: str, path: str,
                                                            allowed: str) -> None:
    with live.client(Role.OWNER) as http:
        answer = http.request(method, path)
        assert answer.status_code == 405
        assert answer.headers["allow"] == allowed
        assert answer.json()["message"].startswith(f"{method} is not allowed here; use ")
        for other in allowed.split(", "):  # and each of them really is taken there
            assert http.request(other, path).status_code != 405
    with live.client(None) as anon:
        assert anon.request(method, path).headers["allow"] == allowed


def test_null_for_a_field_an_edit_may_only_change_is_refused_alike_by_the_api_and_the_push(live: Live) -> None:
    """Once a 500 for the series (and a push answered 500 whole, sent again for ever): each is now the
    use case's sentence, the same through PATCH and push, and nothing is written."""
    with live.client() as http:
        ticket = http.post(f"/api/events/{live.ids['event']}/tickets",
                           json={"code": "NULL-1", "category_id": live.ids["cat:GA"]}).json()["id"]
        version = next(s["version"] for s in http.get("/api/series").json() if s["id"] == live.ids["series"])
    series, event, gate, category = live.ids["series"], live.ids["event"], live.ids["gate:Main"], live.ids["cat:VIP"]
    cases = [  # (PATCH path, pushed kind, entity, field as the API names it, as the push names it)
        *[(f"/api/series/{series}", "series.update", series, f, f)
          for f in ("name", "starts_at", "ends_at", "capacity", "reentry_policy")],
        *[(f"/api/events/{event}", "event.update", event, f, f) for f in ("name", "timezone")],
        *[(f"/api/gates/{gate}", "gate.update", gate, f, f) for f in ("name", "kind")],
        (f"/api/gates/{gate}", "gate.update", gate, "categories", "category_ids"),
        (f"/api/categories/{category}", "category.update", category, "name", "name"),
        *[(f"/api/tickets/{ticket}", "ticket.update", ticket, f, f) for f in ("code", "category_id", "voided")],
    ]
    before = table_counts(live.store)
    with live.client() as http:
        for path, kind, entity, field, pushed_field in cases:
            versioned = {"expected_version": version} if kind == "series.update" else {}
            by_api = http.patch(path, json={**versioned, field: None})
            assert by_api.status_code == 422, (path, field, by_api.text)
            said = by_api.json()["message"]
            assert said == f"The {field} cannot be removed, only changed.", (path, field, said)
            [result] = pushed(live, entry(kind, {**versioned, "changes": {pushed_field: None}}, entity))
            assert (result["status"], result["error"]) == ("rejected", "invalid"), (kind, pushed_field, result)
            assert result["reason"] == said, (kind, pushed_field)
    unchanged_but_the_applied_log(live, before, len(cases))


def test_a_venue_or_a_description_the_database_would_refuse_is_a_sentence_through_every_door(live: Live) -> None:
    """Lengths and control characters are checked by the use case on both databases, so a station
    cannot keep locally what PostgreSQL refuses."""
    event, series = live.ids["event"], live.ids["series"]
    with live.client() as http:
        version = next(s["version"] for s in http.get("/api/series").json() if s["id"] == series)
    before = table_counts(live.store)
    with live.client() as http:
        answer = http.patch(f"/api/events/{event}", json={"venue": "Hall\x00 B"})
        assert answer.status_code == 422
        assert answer.json()["message"] == "The venue holds a control character (U+0000); remove it."
        answer = http.patch(f"/api/events/{event}", json={"venue": "V" * 201})
        assert answer.status_code == 422 and answer.json()["problems"][0]["field"] == "venue"
        answer = http.patch(f"/api/series/{series}", json={"expected_version": version, "description": "a\x07b"})
        assert answer.status_code == 422
        assert answer.json()["message"] == "The description holds a control character (U+0007); remove it."
    results = pushed(
        live,
        entry("event.update", {"changes": {"venue": "Hall\x00 B"}}, event),
        entry("event.update", {"changes": {"venue": "V" * 201}}, event),
        entry("series.update", {"expected_version": version, "changes": {"description": "a\x07b"}}, series),
    )
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert results[0]["reason"] == "The venue holds a control character (U+0000); remove it."
    assert results[1]["reason"].startswith("The change could not be read: changes.venue: String should have at most 200")
    assert results[2]["reason"] == "The description holds a control character (U+0007); remove it."
    unchanged_but_the_applied_log(live, before, 3)


def test_a_control_character_in_why_a_series_changes_state_is_a_sentence_through_api_and_push(live: Live) -> None:
    """The log's reason column is a text PostgreSQL refuses a NUL in: the use case says so on both databases."""
    series = live.ids["series"]
    said = "The reason holds a control character (U+0000); remove it."
    before = table_counts(live.store)
    with live.client() as http:
        answer = http.post(f"/api/series/{series}/transitions", json={"to": "completed", "reason": "Done\x00"})
    assert answer.status_code == 422 and answer.json()["message"] == said
    [result] = pushed(live, entry("series.transition", {"to": "completed", "reason": "Done\x00"}, series))
    assert (result["status"], result["reason"]) == ("rejected", said)
    unchanged_but_the_applied_log(live, before, 1)


def test_a_control_character_in_a_taps_scan_id_is_a_sentence_on_both_tap_routes(live: Live) -> None:
    """The tap's read already looks the scan id up: a NUL in it must be refused before that."""
    series, gate = live.ids["series"], live.ids["gate:Main"]
    before = table_counts(live.store)
    tap = {"gate_id": gate, "uid": live.bands[0], "direction": "in", "scan_id": "a\x00b"}
    with live.client(Role.GATE) as http:
        answers = [http.post("/api/verify", json={**tap, "series_id": series}),
                   http.post(f"/api/series/{series}/checkins/verify", json=tap)]
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert "scan id" in answer.json()["message"] and "U+0000" in answer.json()["message"]
    assert table_counts(live.store) == before
