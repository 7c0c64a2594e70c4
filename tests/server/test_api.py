"""The REST API over real HTTP: auth, roles, organization scoping and bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from boxoffice.domain.enums import GateKind, Role
from boxoffice.domain.permissions import Action, may
from boxoffice.services import events, organization, tickets, wristbands
from boxoffice.services import series as svc
from boxoffice.services.actor import resolve_actor
from tests.helpers.seeding import PASSWORD, Live
from tests.helpers.stores import table_counts


def test_health_and_openapi(live: Live) -> None:
    with live.client(None) as anon:
        assert anon.get("/api/health").json()["status"] == "ok"
        paths = anon.get("/openapi.json").json()["paths"]
    assert {"/api/verify", "/api/series", "/api/series/{series_id}/transitions",
            "/api/auth/login"} <= set(paths)


def test_login_logout_and_bad_tokens(live: Live) -> None:
    with live.client(None) as anon:
        ok = anon.post("/api/auth/login", json={"email": "Admin@example.org", "password": PASSWORD})
        assert ok.status_code == 200 and ok.json()["member"]["role"] == "admin"
        token = ok.json()["token"]
        assert anon.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "admin"
        assert anon.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
        gone = anon.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401 and "revoked" in gone.json()["message"]
        forged = anon.get("/api/series", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401 and forged.headers["www-authenticate"] == "Bearer"
        assert anon.get("/api/series").status_code == 401
        wrong = anon.post("/api/auth/login", json={"email": "admin@example.org", "password": "nope"})
        assert wrong.status_code == 401 and wrong.json()["message"] == "The e-mail or password is wrong."
        unknown = anon.post("/api/auth/login", json={"email": "ghost@example.org", "password": "nope"})
        assert unknown.status_code == 401 and unknown.json() == wrong.json()


def _targets(live: Live, tag: str) -> dict[str, str]:
    """Rows of this caller's own to edit or delete, so that every allowed write really succeeds."""
    owner = resolve_actor(live.store, "owner@example.org")
    now = datetime.now(UTC)
    ev = live.ids["event"]
    ticket = tickets.create_ticket(live.store, owner, ev, f"T-{tag}", "GA")
    doomed = tickets.create_ticket(live.store, owner, ev, f"X-{tag}", "GA")
    draft = svc.create_series(live.store, owner, ev, f"Draft {tag}", now + timedelta(days=2),
                              now + timedelta(days=2, hours=1), 10).series
    band = wristbands.register_band(live.store, owner, ev, "VIP", "04" + uuid.uuid4().hex[:12].upper())
    return {
        "ticket": str(ticket.id), "doomed_ticket": str(doomed.id), "draft": str(draft.id),
        "draft_version": str(draft.version), "band": band.uid,
        "event": str(events.create_event(live.store, owner, f"Gone {tag}", "UTC").id),
        "gate": str(events.add_gate(live.store, owner, ev, f"Gate {tag}", GateKind.ENTRY).id),
        "category": str(events.add_category(live.store, owner, ev, f"Cat {tag}").id),
    }


def _calls(live: Live, tag: str) -> list[tuple[Action, str, str, dict | None]]:
    """(action, method, path, body) for each endpoint; bodies unique per caller so a success is real."""
    ev, sid = live.ids["event"], live.ids["series"]
    now = datetime.now(UTC)
    mine = _targets(live, tag)
    main = live.ids["gate:Main"]
    return [
        (Action.VIEW_SERIES, "GET", "/api/events", None),
        (Action.MANAGE_EVENTS, "POST", "/api/events", {"name": f"Ev {tag}", "timezone": "UTC"}),
        (Action.VIEW_SERIES, "GET", f"/api/events/{ev}", None),
        (Action.MANAGE_EVENTS, "PATCH", f"/api/events/{mine['event']}", {"venue": f"Hall {tag}"}),
        (Action.MANAGE_EVENTS, "DELETE", f"/api/events/{mine['event']}", None),
        (Action.VIEW_SERIES, "GET", f"/api/events/{ev}/gates", None),
        (Action.MANAGE_GATES, "POST", f"/api/events/{ev}/gates", {"name": f"G {tag}", "kind": "entry"}),
        (Action.VIEW_SERIES, "GET", f"/api/gates/{mine['gate']}", None),
        (Action.MANAGE_GATES, "PATCH", f"/api/gates/{mine['gate']}",
         {"name": f"Renamed {tag}", "categories": ["VIP"]}),
        (Action.MANAGE_GATES, "DELETE", f"/api/gates/{mine['gate']}", None),
        (Action.VIEW_SCANNABLES, "GET", f"/api/gates/{main}/scannables?series_id={sid}", None),
        (Action.MANAGE_CATEGORIES, "POST", f"/api/events/{ev}/categories", {"name": f"C {tag}"}),
        (Action.VIEW_SERIES, "GET", f"/api/categories/{mine['category']}", None),
        (Action.MANAGE_CATEGORIES, "PATCH", f"/api/categories/{mine['category']}", {"color": "#123abc"}),
        (Action.MANAGE_CATEGORIES, "DELETE", f"/api/categories/{mine['category']}", None),
        (Action.VIEW_TICKETS, "GET", f"/api/events/{ev}/tickets", None),
        (Action.MANAGE_TICKETS, "POST", f"/api/events/{ev}/tickets",
         {"code": f"N-{tag}", "category_id": live.ids["cat:GA"], "holder_name": "Ada"}),
        (Action.VIEW_TICKETS, "GET", f"/api/tickets/{mine['ticket']}", None),
        (Action.MANAGE_TICKETS, "PATCH", f"/api/tickets/{mine['ticket']}", {"voided": True}),
        (Action.MANAGE_TICKETS, "DELETE", f"/api/tickets/{mine['doomed_ticket']}", None),
        (Action.VIEW_SERIES, "GET", "/api/series", None),
        (Action.VIEW_SERIES, "GET", f"/api/series/{sid}", None),
        (Action.CREATE_SERIES, "POST", "/api/series", {
            "event_id": ev, "name": f"S {tag}", "starts_at": (now + timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=1, hours=2)).isoformat(), "capacity": 10}),
        (Action.DELETE_SERIES, "DELETE", f"/api/series/{mine['draft']}?version={mine['draft_version']}",
         None),
        (Action.VIEW_SERIES, "GET", f"/api/series/{sid}/gates", None),
        (Action.VIEW_SERIES, "GET", f"/api/series/{sid}/limits", None),
        (Action.VIEW_SERIES, "GET", f"/api/series/{sid}/transitions", None),
        (Action.SET_CATEGORY_LIMITS, "PUT", f"/api/series/{sid}/limits",
         {"category_id": live.ids["cat:VIP"], "limit": 5}),
        (Action.ASSIGN_SERIES_GATES, "POST", f"/api/series/{sid}/gates", {"gate_ids": [main]}),
        (Action.ASSIGN_BANDS, "POST", f"/api/series/{sid}/wristbands", {"uids": live.bands[:2]}),
        (Action.VIEW_BANDS, "GET", f"/api/series/{sid}/wristbands", None),
        (Action.ASSIGN_BANDS, "PUT", f"/api/series/{sid}/wristbands/{mine['band']}", None),
        (Action.ASSIGN_BANDS, "DELETE", f"/api/series/{sid}/wristbands/{mine['band']}", None),
        (Action.VIEW_CHECKINS, "GET", f"/api/series/{sid}/checkins", None),
        (Action.VIEW_METRICS, "GET", f"/api/series/{sid}/metrics", None),
        (Action.VIEW_METRICS, "GET", f"/api/events/{ev}/gate-board", None),
        (Action.VERIFY, "POST", "/api/verify", {"series_id": sid, "gate_id": main,
                                                "uid": "04" + uuid.uuid4().hex[:12], "scan_id": tag}),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("role", list(Role))
def test_every_role_on_every_endpoint(live: Live, role: Role) -> None:
    with live.client(role) as client:
        for action, method, path, body in _calls(live, f"{role.value}-{uuid.uuid4().hex[:6]}"):
            before = table_counts(live.store) if method != "GET" else None
            answer = client.request(method, path, json=body)
            if may(role, action):
                assert answer.status_code < 300, (role, path, answer.text)
                gettable = path.split("?")[0]
                if method == "DELETE" and "/wristbands/" not in path:
                    with live.client() as owner:
                        assert owner.get(gettable).status_code == 404, (role, path)
            else:
                assert answer.status_code == 403, (role, path, answer.text)
                assert f"Your role ({role.value}) may not" in answer.json()["message"]
                if before is not None:
                    assert table_counts(live.store) == before


def test_version_checked_update_and_transitions(live: Live) -> None:
    sid = live.ids["series"]
    with live.client() as owner:
        current = owner.get(f"/api/series/{sid}").json()["series"]["version"]
        ok = owner.patch(f"/api/series/{sid}", json={"expected_version": current, "capacity": 9000})
        assert ok.status_code == 200 and ok.json()["series"]["version"] == current + 1
        stale = owner.patch(f"/api/series/{sid}", json={"expected_version": current, "capacity": 8000})
        assert stale.status_code == 409 and stale.json()["error"] == "stale_version"
        illegal = owner.post(f"/api/series/{sid}/transitions", json={"to": "draft", "reason": "undo"})
        assert illegal.status_code == 409
        assert "it can become: completed, cancelled" in illegal.json()["message"]
        done = owner.post(f"/api/series/{sid}/transitions", json={"to": "completed", "reason": "end"})
        assert done.json()["series"]["status"] == "completed"


def test_another_organization_gets_404(live: Live) -> None:
    from boxoffice.services import auth
    from boxoffice.services.actor import resolve_actor

    organization.create_organization(live.store, "Rival", "rival@example.org")
    actor = resolve_actor(live.store, "rival@example.org")
    auth.set_password(live.store, actor, "rival@example.org", PASSWORD)
    token = auth.login(live.store, "rival@example.org", PASSWORD)[0]
    with live.client(token=token) as other:
        assert other.get(f"/api/series/{live.ids['series']}").status_code == 404
        assert other.get(f"/api/events/{live.ids['event']}/gates").status_code == 404
        assert other.get("/api/series").json() == []
        tap = other.post("/api/verify", json={"series_id": live.ids["series"], "gate_id": live.ids["gate:Main"],
                                              "uid": live.bands[0], "scan_id": "rival-1"})
        assert tap.status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "content", "status"),
    [
        ("POST", "/api/series", b"{not json", 422),
        ("POST", "/api/series", b'{"event_id": 5, "name": [], "capacity": "many"}', 422),
        ("POST", "/api/events", b'{"name": "X", "timezone": "UTC", "colour": "red"}', 422),
        ("POST", "/api/events", b'{"name": "X", "timezone": "Mars/Base"}', 422),
        ("POST", "/api/series", b'{"event_id": "00000000-0000-0000-0000-000000000000", "name": "S",'
                                b' "starts_at": "2027-01-01T10:00:00Z", "ends_at": "2027-01-01T12:00:00Z",'
                                b' "capacity": 5}', 404),
        ("POST", "/api/series", b'{"event_id": "EV", "name": "S", "starts_at": "2027-01-01T10:00:00",'
                                b' "ends_at": "2027-01-01T12:00:00Z", "capacity": 5}', 422),
        ("GET", "/api/series/not-a-uuid", b"", 422),
        ("GET", "/api/series/00000000-0000-0000-0000-000000000000", b"", 404),
        ("POST", "/api/verify", b'{"series_id": "SID", "gate_id": "GATE", "uid": "04AA", "scan_id": ""}', 422),
        ("POST", "/api/verify", b'{"series_id": "SID", "gate_id": "GATE", "uid": "04AA", "scan_id": "x",'
                                b' "occurred_at": "2099-01-01T00:00:00Z"}', 422),
        ("POST", "/api/series/SID/transitions", b'{"to": "completed", "reason": " "}', 422),
        ("POST", "/api/series/SID/wristbands", b'{"uids": ["04FFFFFFFFFFFF"]}', 422),
    ],
)
def test_bad_requests_get_4xx_and_write_nothing(live: Live, method: str, path: str, content: bytes,
                                                status: int) -> None:
    content = (content.replace(b"SID", live.ids["series"].encode()).replace(b"EV", live.ids["event"].encode())
               .replace(b"GATE", live.ids["gate:Main"].encode()))
    path = path.replace("SID", live.ids["series"])
    before = table_counts(live.store)
    with live.client() as owner:
        answer = owner.request(method, path, content=content, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert answer.json()["message"]
    assert table_counts(live.store) == before


def test_oversized_bodies_are_refused(live: Live) -> None:
    before = table_counts(live.store)
    with live.client() as owner:
        answer = owner.post("/api/series/x/wristbands", content=b"[" + b"1," * 5_000_000 + b"1]",
                            headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert table_counts(live.store) == before
