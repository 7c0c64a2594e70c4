"""Failed logins over real HTTP: slowed per account and address, per address, per account; never a lock
a stranger holds over the owner. Requests come from real, different loopback addresses (127.0.0.x);
time moves only when a test moves the server's clock past a Retry-After.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from boxoffice.domain import login_limits as limits
from boxoffice.domain.enums import Role
from boxoffice.errors import AuthenticationError
from boxoffice.programs.server.embedded import EmbeddedServer
from boxoffice.services import auth, organization
from boxoffice.services.actor import resolve_actor
from boxoffice.store.opening import open_store
from tests.helpers.seeding import PASSWORD, Live
from tests.helpers.stores import table_counts

OWNER = "owner@example.org"
STRANGER, OWNERS_PLACE, SPRAYER, BYSTANDER = "127.0.0.2", "127.0.0.3", "127.0.0.5", "127.0.0.6"


def attempt(http: httpx.Client, email: str, password: str, organization: str | None = None) -> httpx.Response:
    body = {"email": email, "password": password}
    if organization is not None:
        body["organization"] = organization
    return http.post("/api/auth/login", json=body)


def assert_waits(answer: httpx.Response, label: str) -> int:
    """A 429 that says, in its header and its sentence, how long to wait; the seconds."""
    assert answer.status_code == 429, answer.text
    seconds = int(answer.headers["retry-after"])
    body = answer.json()
    assert body["error"] == "too_many_attempts"
    unit = "second" if seconds < 120 else "minutes"
    assert body["message"].startswith(f"Too many failed logins {label}; try again in ")
    assert unit in body["message"]
    return seconds


def fail_until_refused(http: httpx.Client, email: str, most: int = 50) -> int:
    """Wrong passwords until the server makes us wait; how many 401s it took."""
    for failures in range(most):
        answer = attempt(http, email, f"wrong guess {failures}")
        if answer.status_code == 429:
            return failures
        assert answer.status_code == 401, answer.text
    raise AssertionError(f"{most} failures and never slowed")


def test_a_strangers_failures_do_not_lock_out_the_owner_elsewhere(live: Live) -> None:
    with live.client_at(STRANGER) as stranger, live.client_at(OWNERS_PLACE) as owner:
        assert fail_until_refused(stranger, OWNER) == limits.ACCOUNT_FROM_ADDRESS.free + 1
        waiting = attempt(stranger, OWNER, PASSWORD)  # the right password changes nothing while waiting
        assert assert_waits(waiting, "for this account from this address") == 2
        before = table_counts(live.store)
        assert attempt(stranger, OWNER, PASSWORD).status_code == 429
        assert table_counts(live.store) == before  # a refused wait writes nothing

        assert attempt(owner, OWNER, PASSWORD).status_code == 200

        live.clock.advance(2)  # the wait is over: the next attempt is looked at again
        assert attempt(stranger, OWNER, "still wrong").status_code == 401
        assert assert_waits(attempt(stranger, OWNER, PASSWORD), "for this account from this address") == 4
        live.clock.advance(4)
        assert attempt(stranger, OWNER, PASSWORD).status_code == 200  # whoever knows it, once it is due


def test_many_addresses_on_one_account_slow_new_places_but_not_the_owners_own(live: Live) -> None:
    with live.client_at(OWNERS_PLACE) as owner:
        assert attempt(owner, OWNER, PASSWORD).status_code == 200  # an address the owner uses
    free = limits.ACCOUNT_FROM_ADDRESS.free
    strangers = -(-(limits.ACCOUNT.free + 1) // free)  # enough addresses, each within its own free tries
    for n in range(strangers):
        with live.client_at(f"127.0.1.{n + 1}") as stranger:
            for i in range(free):
                assert attempt(stranger, OWNER, f"guess {n}.{i}").status_code == 401
    with live.client_at("127.0.2.1") as new_place:
        seconds = assert_waits(attempt(new_place, OWNER, PASSWORD), "for this account")
        assert seconds <= limits.ACCOUNT.max_delay.total_seconds()
    with live.client_at(OWNERS_PLACE) as owner:
        assert attempt(owner, OWNER, PASSWORD).status_code == 200


@pytest.mark.slow
def test_spraying_accounts_from_one_address_is_slowed_more_and_more_while_others_are_not(live: Live) -> None:
    # Real accounts and made-up ones alike; the owner is kept out of it (see the end).
    emails = [f"{role.value}@example.org" for role in Role if role is not Role.OWNER]
    emails += [f"nobody{i}@example.org" for i in range(30 - len(emails))]
    with live.client_at(SPRAYER) as sprayer:
        assert attempt(sprayer, OWNER, PASSWORD).status_code == 200  # the owner works from here too
        waits: list[int] = []
        for tried, email in enumerate(emails, start=1):
            while (answer := attempt(sprayer, email, "Summer2026!")).status_code == 429:
                waits.append(assert_waits(answer, "from this address"))
                if len(waits) == 1:
                    with live.client_at(BYSTANDER) as other:  # another address is not slowed at all
                        assert attempt(other, "viewer@example.org", PASSWORD).status_code == 200
                        assert attempt(other, "ghost@example.org", "nope").status_code == 401
                live.clock.advance(waits[-1])
            assert answer.status_code == 401
            assert waits or tried <= limits.ADDRESS.free + 1
        # And the owner, who has logged in from here before, is not held by other accounts' failures.
        assert attempt(sprayer, OWNER, PASSWORD).status_code == 200
    assert len(waits) == len(emails) - limits.ADDRESS.free - 1
    assert waits[:4] == [2, 4, 8, 16]
    assert waits == sorted(waits) and waits[-1] >= limits.ADDRESS.leak_every.total_seconds()
    assert max(waits) <= limits.ADDRESS.max_delay.total_seconds()


def test_an_unknown_email_is_answered_and_slowed_exactly_like_a_known_one(live: Live) -> None:
    with live.client_at(STRANGER) as http:
        known = [attempt(http, "viewer@example.org", "nope") for _ in range(6)]
        unknown = [attempt(http, "ghost@example.org", "nope") for _ in range(6)]
    assert [a.status_code for a in known] == [a.status_code for a in unknown] == [401] * 4 + [429] * 2
    assert [a.json() for a in known] == [a.json() for a in unknown]
    assert [a.headers.get("retry-after") for a in known] == [a.headers.get("retry-after") for a in unknown]


@pytest.mark.slow
def test_several_server_processes_share_the_counters_and_never_give_extra_tries(live: Live) -> None:
    """Two servers on one database (two connection pools, as two processes would have), 24 guesses at once:
    exactly the free ones and the one that starts the wait are looked at."""
    second_store = open_store(live.store.url.render_as_string(hide_password=False))
    second = EmbeddedServer(second_store, clock=live.clock)
    urls = [live.url, second.start()]
    # One request each first: FastAPI builds its routes at the first request under
    # warnings.catch_warnings(), which is not thread-safe; a burst of first requests can let
    # a pydantic warning escape, and pytest's filterwarnings=error make it a 500.
    for url in urls:
        assert httpx.get(f"{url}/api/health", timeout=30).status_code == 200
    try:
        def guess(i: int) -> int:
            transport = httpx.HTTPTransport(local_address=STRANGER)
            with httpx.Client(base_url=urls[i % 2], transport=transport, timeout=60) as http:
                return attempt(http, "manager@example.org", f"guess {i}").status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(guess, range(24)))
    finally:
        second.stop()
        second_store.dispose()
    assert sorted(codes) == [401] * (limits.ACCOUNT_FROM_ADDRESS.free + 1) + [429] * (
        23 - limits.ACCOUNT_FROM_ADDRESS.free), codes


def test_one_email_in_two_organizations_logs_in_to_either_by_naming_it(live: Live) -> None:
    store = live.store
    shared = "shared@example.org"
    gate_owner = resolve_actor(store, OWNER)
    organization.add_member(store, gate_owner, shared, Role.MANAGER)
    auth.set_password(store, gate_owner, shared, PASSWORD)
    rival_org, _ = organization.create_organization(store, "Rival Org", "rival@example.org")
    rival = resolve_actor(store, "rival@example.org")
    organization.add_member(store, rival, shared, Role.VIEWER)
    auth.set_password(store, rival, shared, PASSWORD)

    with live.client_at(OWNERS_PLACE) as http:
        both = attempt(http, shared, PASSWORD)
        assert both.status_code == 409
        assert both.json() == {
            "error": "choose_organization", "organizations": ["Gate Org", "Rival Org"],
            "message": "This e-mail belongs to several organizations; choose one: Gate Org, Rival Org."}
        wrong = attempt(http, shared, "not it")
        assert wrong.status_code == 401 and wrong.json()["message"] == "The e-mail or password is wrong."
        assert "organizations" not in wrong.json()

        by_name = attempt(http, shared, PASSWORD, "Gate Org")
        assert by_name.status_code == 200 and by_name.json()["member"]["role"] == "manager"
        by_id = attempt(http, shared, PASSWORD, str(rival_org.id))
        assert by_id.status_code == 200 and by_id.json()["member"]["role"] == "viewer"
        assert by_id.json()["member"]["organization_id"] == str(rival_org.id)
        for bad_org in ("Nowhere Org", str(uuid.uuid4()), "gate org"):
            answer = attempt(http, shared, PASSWORD, bad_org)
            assert answer.status_code == 401
            assert answer.json()["message"] == "The e-mail, password or organization is wrong."

    # Each organization's account keeps its own count: guessing one never slows the other.
    with live.client_at(STRANGER) as http:
        for i in range(limits.ACCOUNT_FROM_ADDRESS.free + 1):
            assert attempt(http, shared, f"guess {i}", "Gate Org").status_code == 401
        assert attempt(http, shared, PASSWORD, "Gate Org").status_code == 429
        assert attempt(http, shared, PASSWORD, "Rival Org").status_code == 200

    # A password that fits only one of them is that account, named or not.
    auth.set_password(store, rival, shared, "another long password")
    with live.client_at(BYSTANDER) as http:
        only = attempt(http, shared, "another long password")
        assert only.status_code == 200 and only.json()["member"]["organization_id"] == str(rival_org.id)


def test_every_login_without_an_organization_checks_the_same_number_of_passwords(
        live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    """Time says nothing about an e-mail: unknown, in one organization or in two, the same hash checks."""
    store = live.store
    organization.create_organization(store, "Rival Org", "rival@example.org")
    rival = resolve_actor(store, "rival@example.org")
    organization.add_member(store, rival, "viewer@example.org", Role.VIEWER)
    auth.set_password(store, rival, "viewer@example.org", "another long password")
    checks: list[str] = []
    real = auth._verifies
    monkeypatch.setattr(auth, "_verifies", lambda stored, pw: checks.append(stored) or real(stored, pw))
    counted = []
    for email in ("ghost@example.org", "manager@example.org", "viewer@example.org"):
        checks.clear()
        with pytest.raises(AuthenticationError):
            auth.login(store, email, "wrong password", now=live.clock())
        counted.append(len(checks))
    assert counted == [2, 2, 2]
    checks.clear()
    auth.login(store, "viewer@example.org", PASSWORD, now=live.clock())
    assert len(checks) == 2
