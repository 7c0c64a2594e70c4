"""Each per-process cache lets a change made elsewhere go unseen for at most its stated bound.

Two real server processes on one database, the bounds shortened through
their environment variables (``boxoffice.cache_bounds``) so the tests need
not wait a minute. Each test fills the second process's cache, makes the
change through the first process (or beside both, as the CLI does, where no
route exists), shows the second still acts on its copy just after, when that
moment is still inside the bound, and then polls until the change is seen,
with a deadline a little past the bound.
"""

from __future__ import annotations

import base64
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select, update

from boxoffice import cache_bounds
from boxoffice.domain import payload as pl
from boxoffice.domain.enums import Role
from boxoffice.errors import ValidationError
from boxoffice.services import auth
from boxoffice.services.actor import resolve_actor
from boxoffice.store.models import EventKey, Member, Wristband
from tests.helpers.seeding import Live
from tests.helpers.servers import client, running_servers, seeded_organization, wait_until

REPO = Path(__file__).resolve().parents[2]
TOKEN_BOUND = 3.0
KEY_BOUND = 4.0
ENV = {cache_bounds.TOKENS.variable: str(TOKEN_BOUND), cache_bounds.EVENT_KEYS.variable: str(KEY_BOUND)}
# Past the bound: one poll interval plus a request's round trip on a busy 2-core machine.
SLACK = 2.0
# How far inside the bound the "still cached" check must start to be sure it is.
MARGIN = 1.0


@dataclass
class Pair:
    org: Live
    first: str
    second: str


@pytest.fixture
def pair(shared_db: str) -> Iterator[Pair]:
    with seeded_organization(shared_db) as org, running_servers(shared_db, count=2, env=ENV) as (first, second):
        yield Pair(org, first, second)


def _me_refused(http: httpx.Client) -> bool:
    status = http.get("/api/me").status_code
    assert status in (200, 401), status
    return status == 401


def _seen_within(seen: Callable[[], bool], bound: float, cached_at: float, changed_at: float) -> float:
    """Show the change unseen just after it (when still inside the bound), then seen by the bound.

    ``cached_at`` is when the process read its copy (just before the request
    that filled its cache): the copy is dropped ``bound`` seconds later, so
    the change must be seen by then, however late it was made.
    """
    assert cached_at <= changed_at
    if time.monotonic() < cached_at + bound - MARGIN:
        assert not seen(), "seen at once: the process kept no copy, so this test shows nothing"
    waited = wait_until(seen, timeout=cached_at + bound + SLACK - time.monotonic(), interval=0.1)
    seen_after = time.monotonic() - cached_at
    assert seen_after <= bound + SLACK, f"seen {seen_after:.2f} s after it was cached; bound {bound} s"
    return waited


@pytest.mark.slow
def test_a_logout_through_one_process_is_refused_by_the_other_within_the_bound(pair: Pair) -> None:
    token = pair.org.tokens[Role.GATE]
    with client(pair.first, token) as first, client(pair.second, token) as second:
        cached_at = time.monotonic()
        assert second.get("/api/me").status_code == 200  # the second process caches the token
        assert first.post("/api/auth/logout").status_code == 204
        changed_at = time.monotonic()
        assert _me_refused(first)  # the process that logged it out forgets it at once
        _seen_within(lambda: _me_refused(second), TOKEN_BOUND, cached_at, changed_at)


@pytest.mark.slow
def test_a_deactivated_member_is_refused_by_every_process_within_the_bound(pair: Pair) -> None:
    token = pair.org.tokens[Role.MEMBER]
    with client(pair.first, token) as first, client(pair.second, token) as second:
        cached_at = time.monotonic()
        assert second.get("/api/me").status_code == 200
        # No route or service deactivates a member yet: the column is set in the
        # database, as an administrator would, beside both servers.
        with pair.org.store.write() as session:
            session.execute(update(Member).where(Member.email == "member@example.org").values(active=False))
        changed_at = time.monotonic()
        assert _me_refused(first)  # never cached there: the database answers
        _seen_within(lambda: _me_refused(second), TOKEN_BOUND, cached_at, changed_at)


@pytest.mark.slow
def test_a_changed_password_ends_sessions_on_every_process_within_the_bound(pair: Pair) -> None:
    token = pair.org.tokens[Role.MANAGER]
    with client(pair.first, token) as first, client(pair.second, token) as second:
        cached_at = time.monotonic()
        assert first.get("/api/me").status_code == 200
        assert second.get("/api/me").status_code == 200
        # As `boxoffice member passwd` does it: the service on the database, beside the servers.
        owner = resolve_actor(pair.org.store, "owner@example.org")
        auth.set_password(pair.org.store, owner, "manager@example.org", "a brand new password")
        changed_at = time.monotonic()
        _seen_within(lambda: _me_refused(second), TOKEN_BOUND, cached_at, changed_at)
        assert _me_refused(first)
        fresh = httpx.post(f"{pair.second}/api/auth/login", timeout=30,
                           json={"email": "manager@example.org", "password": "a brand new password"})
        assert fresh.status_code == 200


# --------------------------------------------------------------------------- event keys


def _new_key() -> tuple[uuid.UUID, bytes, Ed25519PrivateKey]:
    return uuid.uuid4(), os.urandom(pl.KEY_ID_SIZE), pl.new_private_key()


def _push_key(http: httpx.Client, org: Live, row_id: uuid.UUID, key_id: bytes,
              private: Ed25519PrivateKey) -> None:
    """What a station's sync does with the key it made: ``event_key.create`` through the push route."""
    public = pl.raw_public(private.public_key()).hex()
    payload = {"id": str(row_id), "event_id": org.ids["event"], "key_id": key_id.hex(), "public_key": public,
               "station": "Box office 2"}
    entry = {"id": str(uuid.uuid4()), "seq": 1, "kind": "event_key.create", "entity_id": str(row_id),
             "payload": payload, "created_at": datetime.now(UTC).isoformat()}
    answer = http.post("/api/sync/push", json={"station": "Box office 2", "entries": [entry]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == "applied", answer.text


def _signed(org: Live, uid: str, key_id: bytes, private: Ed25519PrivateKey) -> str:
    with org.store.read() as session:
        band = session.scalars(select(Wristband).where(Wristband.uid == uid)).one()
        fields = pl.BandPayload(pl.VERSION, band.id, band.event_id, band.category_id, key_id)
    return base64.b64encode(pl.sign_payload(fields, bytes.fromhex(uid), private)).decode()


def _reason(http: httpx.Client, org: Live, uid: str, payload: str) -> str:
    answer = http.post("/api/verify", json={
        "series_id": org.ids["series"], "gate_id": org.ids["gate:Main"], "uid": uid, "direction": "in",
        "scan_id": f"scan-{uuid.uuid4()}", "payload": payload,
    })
    assert answer.status_code == 200, answer.text
    return str(answer.json()["reason"])


@pytest.mark.slow
def test_a_key_rotated_through_one_process_is_used_by_the_other_within_the_bound(pair: Pair) -> None:
    org = pair.org
    old_band, new_band = org.bands[0], org.bands[1]
    old_row, old_id, old_private = _new_key()
    new_row, new_id, new_private = _new_key()
    old_payload = _signed(org, old_band, old_id, old_private)
    new_payload = _signed(org, new_band, new_id, new_private)
    with client(pair.first, org.tokens[Role.OWNER]) as owner_first, \
            client(pair.first, org.tokens[Role.GATE]) as first, \
            client(pair.second, org.tokens[Role.GATE]) as second:
        _push_key(owner_first, org, old_row, old_id, old_private)
        cached_at = time.monotonic()
        assert _reason(second, org, old_band, old_payload) == "ok"  # the second process caches the old key

        # The new key: unknown at first, used at once after a station pushed it through the
        # first process (a key that is not found is never remembered).
        assert _reason(second, org, new_band, new_payload) == "bad_signature"
        _push_key(owner_first, org, new_row, new_id, new_private)
        assert _reason(second, org, new_band, new_payload) == "ok"

        # The old key dropped. No route or service drops a key yet: the row is deleted in the
        # database, as an administrator would after a station was stolen.
        with org.store.write() as session:
            session.execute(delete(EventKey).where(EventKey.id == old_row))
        changed_at = time.monotonic()
        assert _reason(first, org, old_band, old_payload) == "bad_signature"  # never cached there

        def distrusted() -> bool:
            reason = _reason(second, org, old_band, old_payload)
            assert reason in ("already_inside", "bad_signature"), reason  # trusted: the band is inside
            return reason == "bad_signature"

        _seen_within(distrusted, KEY_BOUND, cached_at, changed_at)


# --------------------------------------------------------------------------- the declaration


def test_each_bound_is_stated_in_the_readme_as_the_code_declares_it() -> None:
    readme = (REPO / "README.md").read_text()
    for bound in cache_bounds.BOUNDS:
        assert bound.variable in readme, f"README does not name {bound.variable}"
        stated = re.search(rf"{re.escape(bound.name)}[^.]*?(\d+) s", readme, re.IGNORECASE)
        assert stated is not None, f"README does not state the bound of {bound.name}"
        assert float(stated.group(1)) == bound.default, (bound.name, stated.group(0))


def test_a_bound_comes_from_its_variable_and_a_malformed_one_is_refused() -> None:
    bound = cache_bounds.TOKENS
    assert bound.seconds({}) == bound.default
    assert bound.seconds({bound.variable: " 0.5 "}) == 0.5
    assert bound.seconds({bound.variable: "0"}) == 0
    for wrong in ("five", "-1", "nan", "1e9"):
        with pytest.raises(ValidationError, match=bound.variable):
            bound.seconds({bound.variable: wrong})
