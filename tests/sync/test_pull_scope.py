"""Each role pulls only what the API would serve it, and a station lets go of what a lowered role may not hold.

The leak matrix logs in with every role against a real server (SQLite and
PostgreSQL) holding every kind of row (a holder's ticket, an encoded band
with its tag secret and key, a check-in), pulls the whole log over HTTP and
checks every table and column received against the API's answer to the same
role, and against ``HOLD`` in the permission table.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from boxoffice.domain.enums import Role
from boxoffice.domain.permissions import HOLD, OWN_ROW_ONLY, PULL_CHANGES, may, may_hold
from boxoffice.errors import MemberRemovedError
from boxoffice.services import encoding_bands, encoding_batches, organization, tickets
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.models import SeriesTicket
from boxoffice.sync import client as sync_client
from boxoffice.sync.local import read_scope, scope_notice
from boxoffice.sync.replicas import REPLICAS
from boxoffice.sync.scope import REFERENCES
from boxoffice.sync.state import sync_status
from tests.helpers.seeding import Live
from tests.helpers.sync import Station, sync

OWNER = "owner@example.org"
UID = "04A1B2C3D4E5F6"

# The API route that serves each table's rows: the pull must agree with it, role by role.
_API: dict[str, str] = {
    "tickets": "/api/events/{event}/tickets",
    "series_tickets": "/api/events/{event}/tickets",
    "wristbands": "/api/series/{series}/wristbands",
    "series_wristband_assignments": "/api/series/{series}/wristbands",
    "checkins": "/api/series/{series}/checkins",
    "series_presence": "/api/series/{series}/checkins",
    "events": "/api/events/{event}",
    "event_series": "/api/series/{series}",
    "gates": "/api/events/{event}/gates",
    "categories": "/api/events/{event}/categories",
    "series_gates": "/api/series/{series}/gates",
    "series_category_limits": "/api/series/{series}/limits",
    "series_state_transitions": "/api/series/{series}/transitions",
}
# Never to a viewer, whatever the table says: per-person data and the secret bands are written with.
_PER_PERSON = {"tickets", "series_tickets", "wristbands", "series_wristband_assignments", "checkins",
               "series_presence", "tag_secrets"}


def _fill(live: Live) -> None:
    """Every kind of row a pull can carry: a holder's ticket, an encoded band (tag secret, key), a check-in."""
    owner = resolve_actor(live.store, OWNER)
    ticket = tickets.create_ticket(live.store, owner, "Gate Fest", "GF-1", "GA", "Ana Holder", "ana@example.org")
    with live.store.write() as session:  # no use case links a ticket to a series yet; the table travels all the same
        session.add(SeriesTicket(series_id=uuid.UUID(live.ids["series"]), ticket_id=ticket.id))
    batch = encoding_batches.start_batch(live.store, owner, event_ref="Gate Fest", category_ref="GA",
                                         series_refs=["Today"], requested=None, station="Server desk")
    plan = encoding_bands.plan_band(live.store, owner, batch_id=batch.id, uid=UID)
    encoding_bands.activate_band(live.store, owner, batch_id=batch.id, band_id=plan.band_id)
    with live.client(Role.GATE) as gate:
        answer = gate.post("/api/verify", json={
            "series_id": live.ids["series"], "gate_id": live.ids["gate:Main"], "uid": live.bands[0],
            "direction": "in", "scan_id": "scope-1", "device_id": "hh-1"})
        assert answer.status_code == 200 and answer.json()["result"] == "allowed", answer.text


def _pull_all(http: httpx.Client) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The whole log as one role receives it: (scope, rows per table as column -> value)."""
    after, rows, scope = "0.0", {}, {}
    while True:
        answer = http.get("/api/sync/changes", params={"after": after, "limit": 7})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        scope = page["scope"]
        for _, table, pk, row in page["changes"]:
            assert set(page["tables"][table]) <= set(REPLICAS[table].column_names)  # nothing private
            key = (table, tuple(pk))
            rows.setdefault(table, {})
            if row is None:
                rows[table].pop(key, None)
            else:
                rows[table][key] = dict(zip(page["tables"][table], row, strict=True))
        after = page["cursor"]
        if not page["more"]:
            return scope, {t: list(r.values()) for t, r in rows.items() if r}


def _member_id(live: Live, role: Role) -> str:
    with live.client(role) as http:
        return str(http.get("/api/me").json()["member_id"])


@pytest.mark.slow
def test_every_role_pulls_exactly_what_the_api_serves_it(server: Live) -> None:
    _fill(server)
    with server.client(Role.OWNER) as http:
        _, everything = _pull_all(http)
    assert _PER_PERSON | {"members", "event_keys", "event_series"} <= set(everything)  # nothing vacuous
    assert len(everything["members"]) == len(Role)
    paths = {t: p.format(event=server.ids["event"], series=server.ids["series"]) for t, p in _API.items()}
    for role in Role:
        with server.client(role) as http:
            if not may(role, PULL_CHANGES):
                assert http.get("/api/sync/changes").status_code == 403, role
                continue
            scope, got = _pull_all(http)
            api = {t: http.get(path).status_code for t, path in paths.items()}
        own = uuid.UUID(_member_id(server, role)).hex
        held = may_hold(role)
        assert scope["role"] == role.value and set(scope["tables"]) == held
        for table in HOLD:
            rows = got.get(table, [])
            if table in held:  # all of it, as the owner has it
                key = REPLICAS[table].pk_names
                assert ({tuple(r[k] for k in key) for r in rows}
                        == {tuple(r[k] for k in key) for r in everything.get(table, [])}), (role, table)
            elif table in OWN_ROW_ONLY:
                assert [r["id"] for r in rows] == [own], (role, table)
                assert rows[0]["email"] == f"{role.value}@example.org"
            else:
                assert rows == [], (role, table)
            if table in api:  # the API agrees, route by route
                assert api[table] == (200 if table in held else 403), (role, table, api[table])
        if role is Role.VIEWER:
            assert not _PER_PERSON & set(got)
        assert ("tag_secrets" in got) == may(role, HOLD["tag_secrets"])
        for table, refs in REFERENCES.items():  # no row names a row this role does not hold
            for row in got.get(table, []):
                for i, target in refs:
                    value = row[REPLICAS[table].column_names[i]]
                    if target not in held and value is not None:
                        assert target in OWN_ROW_ONLY and value == own, (role, table, target, value)


def test_a_reference_to_a_table_a_role_does_not_hold_can_travel_empty() -> None:
    """The server blanks such references (a series' creator, for a viewer): every one must be nullable."""
    for role in Role:
        held = may_hold(role)
        for table, refs in REFERENCES.items():
            if table not in held:
                continue
            for i, target in refs:
                if target not in held:
                    column = REPLICAS[table].columns[i]
                    assert column.nullable, f"{table}.{column.name} names {target}, which a {role} does not hold"


def _count(store: Store, table: str) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(REPLICAS[table].table)) or 0)


def _sync_until_role(store: Store, role: Role, seconds: float = 30) -> sync_client.SyncReport:
    """Sync until a page was cut for ``role`` (the server sees a role change within its token cache bound)."""
    deadline = time.monotonic() + seconds
    while True:
        report = sync(store)
        with store.read() as session:
            scope = read_scope(session)
        if scope is not None and scope.role is role:
            return report
        assert time.monotonic() < deadline, f"the station's pulls never came as {role}"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_lowered_role_takes_the_data_off_the_station_and_a_raised_one_brings_it_back(
    server: Live, station: Station,
) -> None:
    _fill(server)
    owner = resolve_actor(server.store, OWNER)
    box = station("Box 1", "member@example.org")
    sync(box)
    per_person = ("tickets", "wristbands", "series_wristband_assignments", "checkins", "series_presence")
    held = {t: _count(box, t) for t in per_person}
    assert all(held.values()), held
    assert _count(box, "tag_secrets") == 0 and _count(box, "members") == 1

    organization.set_role(server.store, owner, "member@example.org", Role.VIEWER)
    report = _sync_until_role(box, Role.VIEWER)
    assert {t: _count(box, t) for t in per_person} == dict.fromkeys(per_person, 0)
    assert _count(box, "members") == 1 and _count(box, "event_series") == 1  # the series stay
    said = ("Your role is now viewer: this station no longer holds tickets and their holders, wristbands "
            "and check-ins, which a viewer may not see. They were removed from this computer.")
    assert report.notices == [said]
    assert scope_notice(box) == said and said in sync_status(box).describe()
    assert resolve_actor(box, "member@example.org").role is Role.VIEWER  # the station still knows who works here

    organization.set_role(server.store, owner, "member@example.org", Role.MEMBER)
    _sync_until_role(box, Role.MEMBER)
    assert {t: _count(box, t) for t in per_person} == held
    assert scope_notice(box) is None

    organization.remove_member(server.store, owner, "member@example.org")
    deadline = time.monotonic() + 30
    with pytest.raises(MemberRemovedError) as removed:
        while time.monotonic() < deadline:
            sync(box)
            time.sleep(0.2)
    assert removed.value.message.startswith("member@example.org is no longer a member of this organization.")
    assert all(_count(box, t) == 0 for t in REPLICAS)
    notice = scope_notice(box)
    assert notice is not None and "removed the organization's data it held" in notice


def test_role_changes_are_refused_in_words(server: Live) -> None:
    from boxoffice.errors import NotFoundError, PermissionDeniedError, ValidationError

    owner = resolve_actor(server.store, OWNER)
    admin = resolve_actor(server.store, "admin@example.org")
    with pytest.raises(ValidationError, match="one owner"):
        organization.set_role(server.store, owner, "member@example.org", Role.OWNER)
    with pytest.raises(ValidationError, match="owner's role cannot be changed"):
        organization.set_role(server.store, owner, OWNER, Role.ADMIN)
    with pytest.raises(ValidationError, match="owner cannot be removed"):
        organization.remove_member(server.store, owner, OWNER)
    with pytest.raises(NotFoundError, match=r"No member nobody@example\.org"):
        organization.set_role(server.store, owner, "nobody@example.org", Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        organization.set_role(server.store, admin, "member@example.org", Role.VIEWER)
    organization.remove_member(server.store, owner, "viewer@example.org")
    assert [m.active for m in organization.list_members(server.store, owner) if m.role is Role.VIEWER] == [False]
    with pytest.raises(ValidationError, match="give them a role to bring them back"):
        organization.add_member(server.store, owner, "viewer@example.org", Role.VIEWER)
    back = organization.set_role(server.store, owner, "viewer@example.org", Role.MEMBER)  # the way back
    assert back.active and back.role is Role.MEMBER
