"""Several ``boxoffice server`` processes on one database serve one organization as one server would.

Separate processes share nothing but the database: a login made through
one is honoured by the other, a tap recorded by one is seen by the other,
and taps of one band decided in both at once still admit it once.
"""

from __future__ import annotations

import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import httpx
import pytest

from boxoffice.domain.enums import Role
from boxoffice.services import occupancy
from tests.helpers.seeding import Live
from tests.helpers.servers import (
    PASSWORD,
    ServerStartError,
    client,
    running_servers,
    seeded_organization,
)


def _tap(http: httpx.Client, org: Live, uid: str, scan_id: str | None = None, *,
         out: bool = False) -> dict[str, object]:
    answer = http.post("/api/verify", json={
        "series_id": org.ids["series"], "gate_id": org.ids["gate:Exit" if out else "gate:Main"], "uid": uid,
        "direction": "out" if out else "in", "scan_id": scan_id or f"scan-{uuid.uuid4()}",
    })
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _inside(http: httpx.Client, org: Live) -> int:
    metrics = http.get(f"/api/series/{org.ids['series']}/metrics", params={"fresh": "true"})
    assert metrics.status_code == 200, metrics.text
    return int(metrics.json()["inside_now"])


@pytest.mark.slow
def test_two_processes_serve_one_organization(shared_db: str) -> None:
    with seeded_organization(shared_db) as org, running_servers(shared_db, count=2) as (first_url, second_url):
        # A login through one process is a session at the other.
        login = httpx.post(f"{first_url}/api/auth/login",
                           json={"email": "gate@example.org", "password": PASSWORD}, timeout=30)
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        with client(first_url, token) as first, client(second_url, token) as second, \
                client(second_url, org.tokens[Role.OWNER]) as owner_second:
            assert second.get("/api/me").json()["email"] == "gate@example.org"

            let_in = _tap(first, org, org.bands[0], scan_id="door-1")
            assert (let_in["result"], let_in["reason"]) == ("allowed", "ok")
            # The other process sees the band inside, and the same scan id's first answer.
            again = _tap(second, org, org.bands[0])
            assert (again["result"], again["reason"]) == ("denied", "already_inside")
            replayed = _tap(second, org, org.bands[0], scan_id="door-1")
            assert (replayed["id"], replayed["result"], replayed["replayed"]) == (let_in["id"], "allowed", True)
            assert _inside(owner_second, org) == 1


@pytest.mark.slow
def test_a_burst_of_one_band_at_two_processes_admits_it_once(shared_db: str) -> None:
    """Entries, then exits, of one band at once in both processes: one of each is let through.

    Each tap reads the band's presence in the statement that locks the band, so
    all but the first read a presence that the first then moves; each of them
    decides again (``checkins.PresenceMoved``). The kept count equals a recount after each burst.
    """
    with seeded_organization(shared_db) as org, running_servers(shared_db, count=2) as urls:
        token = org.tokens[Role.GATE]
        clients = [client(urls[i % 2], token) for i in range(16)]
        try:
            # Someone else inside, so a wrong exit would move the count without breaking its floor of 0.
            assert _tap(clients[0], org, org.bands[2])["reason"] == "ok"
            with ThreadPoolExecutor(max_workers=len(clients)) as pool:
                for out, expected, inside in ((False, ["already_inside"] * 15 + ["ok"], 2),
                                              (True, ["exit_ok"] + ["not_inside"] * 15, 1)):
                    answers = list(pool.map(partial(_tap, org=org, uid=org.bands[1], out=out), clients))
                    reasons = sorted(str(a["reason"]) for a in answers)
                    assert reasons == expected, reasons
                    with client(urls[1], org.tokens[Role.OWNER]) as owner:
                        assert _inside(owner, org) == inside
                    with org.store.read() as session:
                        assert occupancy.mismatches(session) == []
        finally:
            for http in clients:
                http.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_workers_of_one_server_share_one_postgres_database(pg_database: str) -> None:
    """``--workers 2``: uvicorn's worker processes each open the database; every tap counts once."""
    with seeded_organization(pg_database) as org, running_servers(pg_database, count=1, workers=2) as [url]:
        bands = org.bands[:12]
        clients = [client(url, org.tokens[Role.GATE]) for _ in bands]
        try:
            with ThreadPoolExecutor(max_workers=len(clients)) as pool:
                answers = list(pool.map(lambda pair: _tap(pair[0], org, pair[1]), zip(clients, bands,
                                                                                    strict=True)))
        finally:
            for http in clients:
                http.close()
        assert {a["reason"] for a in answers} == {"ok"}
        with client(url, org.tokens[Role.OWNER]) as owner:
            assert _inside(owner, org) == len(bands)


@pytest.mark.slow
def test_servers_started_at_once_on_a_new_database_all_serve(shared_db: str) -> None:
    """Nothing seeded: each server would migrate the database and start its change log.

    On PostgreSQL, before the start-up lock, the second one's CREATE TABLE
    collided with the first's and it exited.
    """
    with running_servers(shared_db, count=3) as urls:
        for url in urls:
            refused = httpx.post(f"{url}/api/auth/login", json={"email": "nobody@example.org",
                                                               "password": "not a password"}, timeout=30)
            assert refused.status_code == 401, refused.text


@pytest.mark.slow
def test_stopped_servers_no_longer_answer(tmp_path: Path) -> None:
    db = tmp_path / "stop.sqlite3"
    with seeded_organization(db), running_servers(db, count=2, log_dir=tmp_path) as urls:
        assert all(httpx.get(f"{u}/api/health", timeout=10).status_code == 200 for u in urls)
    for url in urls:
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{url}/api/health", timeout=2)
    assert "Box office server on" in (tmp_path / "server-0.log").read_text()


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    not_a_database = tmp_path / f"folder-{secrets.token_hex(3)}"
    not_a_database.mkdir()
    with pytest.raises(ServerStartError, match=r"exited with [1-9](.|\n)*"), \
            running_servers(not_a_database, count=1, start_timeout=30):
        raise AssertionError("a server on a folder must not start")
