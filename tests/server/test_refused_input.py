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
