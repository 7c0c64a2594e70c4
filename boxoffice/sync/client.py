"""The station's sync client: push the outbox, pull the change log, and say how it is going.

Push comes before pull, and a pulled page is applied only once the outbox is
empty: the server then already holds (or has refused) every local change, so
its state can overwrite the local one without losing anything.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.domain.enums import OutboxStatus
from boxoffice.errors import AuthenticationError, BoxOfficeError, IdentityError, MemberRemovedError
from boxoffice.schemas.sales import LeaseView
from boxoffice.services import band_numbers, place_leases
from boxoffice.store.database import Store
from boxoffice.store.models import LocalSetting, Member, OutboxEntry, SyncState
from boxoffice.store.types import utcnow
from boxoffice.sync import credentials
from boxoffice.sync.gc_pause import gc_paused
from boxoffice.sync.local import (
    UnpushedChangesError,
    apply_page,
    let_go_of_organization,
    organization_ids,
    read_cursor,
    reset_cursor,
)
from boxoffice.sync.login_answer import login_refusal
from boxoffice.sync.position import Position
from boxoffice.sync.state import (
    HEALTH_KEY,
    SERVER_KEY,
    ServerLogin,
    SyncStatus,
    add_follow_ons,
    queue_status,
    rejected_entries,
    sync_status,
)
from boxoffice.sync.wire import (
    DEFAULT_PAGE,
    MAX_BATCH,
    EntryStatus,
    PushEntry,
    PushRequest,
    PushResponse,
)

log = logging.getLogger(__name__)

#: How long a login waits for the server to serve the member's own row (seconds).
LOGIN_CATCH_UP = 10.0

# Use cases that only add rows. A refused one leaves a local row the server
# never had; any other refused change (an edit, a delete) altered a row the
# server still has as it was, and the log will not send that row again
# unless it changes there: the station has to pull everything again.
_ADDING = frozenset({"create", "register", "record", "assign_bands", "assign_gates",
                     "generate_recurring", "start", "plan", "outcome", "import"})


# Kinds that make a band (its id in the payload's ``id``), and those that act on one made before.
_MAKES_BAND = frozenset({"wristband.plan", "wristband.register"})
_USES_BAND = {"wristband.activate": "band_id"}


def _band_named(entry: OutboxEntry) -> str | None:
    """The band an entry makes or acts on, by id, if it is one of the kinds above."""
    key = "id" if entry.kind in _MAKES_BAND else _USES_BAND.get(entry.kind)
    value = entry.payload.get(key) if key else None
    return uuid.UUID(str(value)).hex if value else None


def _refused_bands(session: Session) -> dict[str, tuple[uuid.UUID, str]]:
    """Bands whose plan or registration the server refused before: band id -> (that entry, its UID)."""
    out: dict[str, tuple[uuid.UUID, str]] = {}
    for entry in session.scalars(select(OutboxEntry).where(
            OutboxEntry.status == OutboxStatus.REJECTED, OutboxEntry.kind.in_(_MAKES_BAND))):
        band = _band_named(entry)
        if band is not None:
            out[band] = (entry.id, str(entry.payload.get("uid", "")))
    return out


class ServerUnreachableError(BoxOfficeError):
    code = "offline"


class SyncRefusedError(BoxOfficeError):
    code = "sync_refused"
    server_code: str | None = None  # the server's own error code (``sold_out``, ``forbidden``…)


@dataclass
class PushSummary:
    applied: int = 0
    duplicate: int = 0
    rejected: int = 0
    retry: int = 0
    # Refused only because an earlier entry was (counted in ``rejected`` once, as that one).
    follow_ons: int = 0


@dataclass
class SyncReport:
    pushed: PushSummary = field(default_factory=PushSummary)
    pulled: int = 0
    superseded: list[dict[str, Any]] = field(default_factory=list)
    # Sentences for the person: rows removed because the role may no longer hold them.
    notices: list[str] = field(default_factory=list)
    # Blocks of band numbers reserved for printing offline (``services.band_numbers``).
    number_blocks: int = 0
    # Leases of places given back and granted for selling offline (``services.place_leases``).
    leases_returned: int = 0
    leases_granted: int = 0


class Backoff:
    """Exponential, with jitter so a room of stations does not retry in step after an outage."""

    def __init__(self, base: float = 1.0, cap: float = 60.0,
                 rng: Callable[[], float] = random.random) -> None:
        self.base, self.cap, self.rng = base, cap, rng
        self.failures = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.failures)
        self.failures += 1
        return ceiling / 2 + self.rng() * ceiling / 2

    def reset(self) -> None:
        self.failures = 0


def _error_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body.get("error")) if isinstance(body, dict) else None


class SyncClient:
    def __init__(self, store: Store, login: ServerLogin, token: str, *,
                 http: httpx.Client | None = None, page_size: int = DEFAULT_PAGE,
                 timeout: float = 30.0) -> None:
        self.store = store
        self.login = login
        self.page_size = page_size
        self.timeout = timeout
        self.http = http or httpx.Client(
            base_url=login.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
        )

    @classmethod
    def from_store(cls, store: Store, **kwargs: Any) -> SyncClient:
        login = ServerLogin.load(store)
        token = credentials.load_token(login.url, login.email)
        if not token:
            raise IdentityError(
                f"No saved login for {login.email} at {login.url}: run boxoffice login again."
            )
        return cls(store, login, token, **kwargs)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- HTTP ---------------------------------------------------------------

    def _request(self, method: str, path: str, *, refused: str | None = "The server refused the sync",
                 **kwargs: Any) -> httpx.Response:
        """One call; every failure a sentence. ``refused`` prefixes a 4xx's message (None: as it is)."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachableError(
                f"The server at {self.login.url} cannot be reached ({type(exc).__name__}); "
                "work goes on here and is sent when it is back."
            ) from exc
        if response.status_code == 401:
            if _error_code(response) == MemberRemovedError.code:
                message = str(response.json().get("message", "This member was removed."))
                let_go_of_organization(self.store, message)
                raise MemberRemovedError(f"{message} This station removed the organization's data it held.")
            raise AuthenticationError(
                f"The server no longer accepts this station's login; log in again: "
                f"boxoffice login --server {self.login.url} --email {self.login.email}"
            )
        if response.status_code >= 500:
            raise ServerUnreachableError(
                f"The server at {self.login.url} answered {response.status_code}; trying again later."
            )
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            error = SyncRefusedError(f"{refused}: {message}" if refused else str(message))
            error.server_code = _error_code(response)
            raise error
        return response

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to one of the server's API routes with this login (``sync.door``); a refusal is the
        server's own sentence."""
        return self._request(method, path, refused=None, **kwargs)

    # -- push ---------------------------------------------------------------

    def _pending(self) -> list[OutboxEntry]:
        with self.store.read() as session:
            return list(session.scalars(
                select(OutboxEntry).where(OutboxEntry.status == OutboxStatus.PENDING)
                .order_by(OutboxEntry.seq).limit(MAX_BATCH)
            ))

    def push(self) -> PushSummary:
        summary = PushSummary()
        while True:
            entries = self._pending()
            if not entries:
                return summary
            request = PushRequest(
                station=self.login.station,
                entries=[
                    PushEntry(id=e.id, seq=e.seq, kind=e.kind, entity_id=e.entity_id,
                              payload=e.payload, created_at=e.created_at)
                    for e in entries
                ],
            )
            response = self._request("POST", "/api/sync/push",
                                     content=request.model_dump_json(), headers={
                                         "Content-Type": "application/json"})
            results = {r.id: r for r in PushResponse.model_validate_json(response.content).results}
            progressed, follow_ons = self._record_results(entries, results, summary)
            refused = [e.kind for e in entries if (r := results.get(e.id)) is not None
                       and r.status is EntryStatus.REJECTED and e.id not in follow_ons
                       and e.kind.rsplit(".", 1)[-1] not in _ADDING]
            if refused:
                log.warning("the server refused %s; pulling everything again to get back its rows",
                            ", ".join(sorted(set(refused))))
                reset_cursor(self.store)
            if summary.retry or not progressed:
                return summary

    def _record_results(self, entries: list[OutboxEntry], results: dict[uuid.UUID, Any],
                        summary: PushSummary) -> tuple[bool, set[uuid.UUID]]:
        """Keep the server's answers; returns whether any entry moved on, and the follow-ons.

        A refused entry that only follows from an earlier refusal (a band's
        activation after the server refused its plan) is a follow-on: kept
        with its own reason but counted and shown once, under its cause.
        """
        progressed = False
        now = utcnow()
        found: dict[str, str] = {}
        with self.store.write() as session:
            refused_bands = _refused_bands(session)
            for entry in entries:
                result = results.get(entry.id)
                if result is None:
                    continue
                row = session.get_one(OutboxEntry, entry.seq)
                row.attempts += 1
                if result.status in (EntryStatus.APPLIED, EntryStatus.DUPLICATE):
                    row.status, row.sent_at, row.error = OutboxStatus.SENT, now, None
                    progressed = True
                    if result.status is EntryStatus.APPLIED:
                        summary.applied += 1
                    else:
                        summary.duplicate += 1
                elif result.status is EntryStatus.REJECTED:
                    row.status, row.sent_at = OutboxStatus.REJECTED, now
                    row.error = result.reason or result.error or "refused"
                    progressed = True
                    band = _band_named(entry)
                    cause = refused_bands.get(band) if band is not None else None
                    if cause is not None and cause[0] != entry.id:
                        found[str(entry.id)] = str(cause[0])
                        summary.follow_ons += 1
                        row.error = f"Not applied: band {cause[1]} was refused, so it could not be activated."
                        log.info("%s of band %s not applied: its band was refused", entry.kind, cause[1])
                        continue
                    if band is not None and entry.kind in _MAKES_BAND:
                        refused_bands[band] = (entry.id, str(entry.payload.get("uid", "")))
                    summary.rejected += 1
                    log.warning("the server refused %s: %s", entry.kind, row.error)
                else:
                    row.error = result.reason
                    summary.retry += 1
            add_follow_ons(session, found)
        return progressed, {uuid.UUID(i) for i in found}

    # -- pull ---------------------------------------------------------------

    def _fetch(self, after: Position | str, wait: float) -> dict[str, Any]:
        response = self._request(
            "GET", "/api/sync/changes",
            params={"after": str(after), "limit": self.page_size, "wait": wait},
            timeout=self.timeout + wait,
        )
        with gc_paused():
            page: dict[str, Any] = json.loads(response.content)
        return page

    def pull(self, wait: float = 0.0, report: SyncReport | None = None) -> int:
        """Apply every change the server has for us; with ``wait``, first wait for one.

        The next page is fetched while this one is applied: the network and
        the server's work then hide behind the local inserts.
        """
        report = report or SyncReport()
        total = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-fetch") as pool:
            while True:
                with self.store.read() as session:
                    cursor = read_cursor(session)
                page = self._fetch(cursor.position, wait)
                wait = 0.0
                if ((cursor.log and page["log"] != cursor.log)
                        or cursor.position > Position.parse(page["head"])):
                    log.warning("the server's change log was replaced or restored from a backup; "
                                "pulling everything again")
                    reset_cursor(self.store)
                    continue
                while True:
                    ahead = pool.submit(self._fetch, page["cursor"], 0.0) if page["more"] else None
                    try:
                        with gc_paused():
                            _, result = apply_page(self.store, page, page["log"])
                    except UnpushedChangesError:
                        if ahead is not None:
                            ahead.exception()  # let it finish; its page is stale now
                        report.pushed = self.push()
                        if report.pushed.retry:
                            return total
                        break
                    total += result.applied
                    report.superseded.extend(result.superseded)
                    if result.notice:
                        report.notices.append(result.notice)
                    if result.restarted:  # the role may hold more now: the log again from the start
                        if ahead is not None:
                            ahead.exception()
                        break
                    if ahead is None:
                        return total
                    page = ahead.result()

    # -- band numbers -------------------------------------------------------

    def reserve_numbers(self) -> int:
        """Top up the band numbers this station may print offline; how many blocks it reserved.

        After the pull, so the categories and this login's role are the
        server's. A category the server refuses (removed there, or a role
        that may not encode) is skipped: the next pull says why.
        """
        got = 0
        for event_id, category_id, size in band_numbers.wanted(self.store, self.login.member_id):
            try:
                self.reserve_block(event_id, category_id, size)
            except SyncRefusedError as exc:
                log.info("no band numbers for category %s: %s", category_id, exc.message)
                continue
            got += 1
        return got

    def reserve_block(self, event_id: uuid.UUID, category_id: uuid.UUID,
                      size: int) -> band_numbers.NumberBlockView:
        """``size`` numbers of a category from the server, kept here for this station to print."""
        response = self._request(
            "POST", f"/api/events/{event_id}/categories/{category_id}/number-blocks",
            json={"size": size, "station": self.login.station})
        block = band_numbers.NumberBlockView.model_validate(response.json())
        band_numbers.keep(self.store, block, self.login.member_id)
        log.info("band numbers %d-%d reserved for category %s", block.first, block.last, category_id)
        return block

    # -- leases of places ---------------------------------------------------

    def lease_places(self, report: SyncReport | None = None) -> SyncReport:
        """Give back the leases that are used up or ending, then lease what the recent sales call for.

        After the push, so the server has counted every sale made from a
        lease before it settles it. A product the server refuses (sold out,
        sales closed) is skipped: this station then sells it online only.
        """
        report = report or SyncReport()
        for lease_id in place_leases.due_for_return(self.store):
            try:
                response = self._request("POST", f"/api/place-leases/{lease_id}/return")
            except SyncRefusedError as exc:
                log.info("lease %s not settled: %s", lease_id, exc.message)
                continue
            settled = LeaseView.model_validate(response.json())
            place_leases.returned(self.store, lease_id, settled.returned_at or utcnow())
            report.leases_returned += 1
        for product_id, size in place_leases.wanted(self.store, self.login.member_id):
            try:
                self.lease(product_id, size)
            except SyncRefusedError as exc:
                log.info("no lease of product %s: %s", product_id, exc.message)
                continue
            report.leases_granted += 1
        return report

    def lease(self, product_id: uuid.UUID, size: int) -> LeaseView:
        """Lease up to ``size`` places of a product from the server, kept here to sell offline."""
        response = self._request("POST", f"/api/products/{product_id}/leases", refused=None,
                                 json={"size": size, "station": self.login.station})
        lease = LeaseView.model_validate(response.json())
        place_leases.keep(self.store, lease, self.login.member_id)
        log.info("leased %d places of product %s until %s", lease.size, product_id, lease.expires_at)
        return lease

    # -- together -----------------------------------------------------------

    def sync_once(self, wait: float = 0.0) -> SyncReport:
        report = SyncReport()
        try:
            report.pushed = self.push()
            report.pulled = self.pull(wait, report)
            report.number_blocks = self.reserve_numbers()
            self.lease_places(report)
        except ServerUnreachableError as exc:
            self._record_health(online=False, error=exc.message)
            raise
        self._record_health(online=True, error=None)
        return report

    def run(self, stop: threading.Event, on_status: Callable[[SyncStatus], None] | None = None,
            wait: float = 5.0, backoff: Backoff | None = None) -> None:
        """Sync until ``stop`` is set: long-polling while online, backing off while not.

        ``wait`` bounds how long a change made here waits for its push while
        the pull is waiting for the server's changes.
        """
        backoff = backoff or Backoff()
        while not stop.is_set():
            delay = 0.0
            try:
                self.sync_once(wait=wait)
                backoff.reset()
            except ServerUnreachableError as exc:
                delay = backoff.next_delay()
                log.info("offline (%s); next try in %.1f s", exc.message, delay)
            if on_status is not None:
                on_status(sync_status(self.store))
            if delay:
                stop.wait(delay)

    def _record_health(self, *, online: bool, error: str | None) -> None:
        with self.store.write() as session:
            setting = session.get(LocalSetting, HEALTH_KEY)
            value = dict(setting.value) if setting else {}
            value.update(online=online, last_error=error, last_attempt=utcnow().isoformat())
            if online:
                value["last_success"] = utcnow().isoformat()
            if setting is None:
                session.add(LocalSetting(key=HEALTH_KEY, value=value))
            else:
                setting.value = value


@dataclass(frozen=True)
class LoginOutcome:
    login: ServerLogin
    role: str
    stored: credentials.Stored
    report: SyncReport


def login(store: Store, url: str, email: str, password: str, *, station: str | None = None,
          organization: str | None = None, http: httpx.Client | None = None) -> LoginOutcome:
    """Log this station in to a server, keep the token, and pull the organization's data.

    ``organization`` (id or exact name) picks the account of an e-mail that has one in several
    organizations; the server asks for it with ``OrganizationChoiceError``.
    """
    url = url.rstrip("/")
    if store.mode == "server":
        raise SyncRefusedError(
            f"{store.display_name} is a central server's database; a station needs its own."
        )
    client = http or httpx.Client(base_url=url, timeout=30)
    try:
        asked = {"email": email, "password": password}
        if organization:
            asked["organization"] = organization
        response = client.post("/api/auth/login", json=asked)
    except httpx.TransportError as exc:
        raise ServerUnreachableError(
            f"The server at {url} cannot be reached ({type(exc).__name__})."
        ) from exc
    finally:
        if http is None:
            client.close()
    if response.status_code in (401, 409, 429):
        raise login_refusal(response)
    if response.status_code != 200:
        raise SyncRefusedError(f"The server refused the login ({response.status_code}).")
    body = response.json()
    member = body["member"]
    org_id = uuid.UUID(member["organization_id"])
    others = organization_ids(store) - {org_id}
    if others:
        raise SyncRefusedError(
            f"{store.display_name} already holds another organization's data; "
            "log in with a fresh database (--db NEW_FILE)."
        )
    stored = credentials.save_token(url, email, body["token"])
    server_login = ServerLogin(url, member["email"], uuid.UUID(member["id"]), org_id, station)
    with store.write() as session:
        value = {"url": url, "email": server_login.email, "member_id": str(server_login.member_id),
                 "organization_id": str(org_id), "station": station}
        setting = session.get(LocalSetting, SERVER_KEY)
        if setting is None:
            session.add(LocalSetting(key=SERVER_KEY, value=value))
        else:
            setting.value = value
        session.get_one(SyncState, 1).mode = "station"
    store.set_mode("station")
    with SyncClient(store, server_login, body["token"]) as sync:
        report = sync.sync_once()
        # The server serves its log only below its oldest transaction still writing
        # (``sync.changelog``): a member added a moment ago, while the server is busy,
        # can be held back for a moment. Wait for it (long-polling), within a bound.
        deadline = time.monotonic() + LOGIN_CATCH_UP
        while not _holds_member(store, server_login.member_id) and time.monotonic() < deadline:
            report.pulled += sync.pull(wait=min(1.0, max(0.0, deadline - time.monotonic())))
    from boxoffice.services.organization import use_member

    use_member(store, server_login.email)
    return LoginOutcome(server_login, member["role"], stored, report)


def _holds_member(store: Store, member_id: uuid.UUID) -> bool:
    with store.read() as session:
        return session.get(Member, member_id) is not None


def logout(store: Store) -> ServerLogin:
    server_login = ServerLogin.load(store)
    token = credentials.load_token(server_login.url, server_login.email)
    if token:
        try:
            httpx.post(f"{server_login.url}/api/auth/logout",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
        except httpx.TransportError:
            log.info("the server could not be told; the token is forgotten here anyway")
    credentials.forget_token(server_login.url, server_login.email)
    return server_login


# The station-state names are re-exported: callers have long known them as the client's.
__all__ = [
    "HEALTH_KEY", "SERVER_KEY", "Backoff", "LoginOutcome", "PushSummary", "ServerLogin",
    "ServerUnreachableError", "SyncClient", "SyncRefusedError", "SyncReport", "SyncStatus", "login",
    "logout", "queue_status", "rejected_entries", "sync_status",
]
