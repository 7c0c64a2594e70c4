"""The gate scanner phones as the supervisor's desktop sees them, through the server it logged in to.

Two calls, both made off the GUI thread: the scanners' last heartbeats
(lane, online, queued scans, last contact) and a new gate device token with
the scanner page's address, which the Gates page shows as a QR code
(``scanner_link``). No Qt here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from boxoffice.errors import IdentityError
from boxoffice.schemas.scanner import GateDeviceView
from boxoffice.store.database import Store
from boxoffice.sync import credentials
from boxoffice.sync.client import ServerUnreachableError, SyncRefusedError
from boxoffice.sync.state import ServerLogin

log = logging.getLogger(__name__)

TIMEOUT = 10.0


@dataclass(frozen=True)
class ScannerLink:
    """What a phone needs to start: the page's address, the token in its fragment (never sent over HTTP)."""

    url: str
    email: str
    label: str


def _client(store: Store) -> tuple[httpx.Client, str]:
    login = ServerLogin.load(store)
    token = credentials.load_token(login.url, login.email)
    if not token:
        raise IdentityError(f"No saved login for {login.email} at {login.url}: log in to the server again.")
    return httpx.Client(base_url=login.url, headers={"Authorization": f"Bearer {token}"},
                        timeout=TIMEOUT), login.url


def _unreachable(url: str, exc: Exception) -> ServerUnreachableError:
    return ServerUnreachableError(f"The server at {url} cannot be reached ({type(exc).__name__}).")


def _answer(response: httpx.Response, what: str) -> object:
    if response.is_success:
        return response.json()
    try:
        message = str(response.json().get("message", ""))
    except ValueError:
        message = response.text[:200]
    raise SyncRefusedError(f"The server refused {what}: {message or response.status_code}")


def scanner_link(store: Store, email: str, label: str, public_url: str | None = None) -> ScannerLink:
    """Ask the server for a device token of the gate member ``email``; the link a QR code carries.

    ``public_url``: the address phones reach the server at (behind a reverse proxy it is not the one
    this station uses); by default the station's own.
    """
    http, url = _client(store)
    with http:
        try:
            response = http.post("/api/scanner/device-tokens", json={"email": email, "label": label})
        except httpx.TransportError as exc:
            raise _unreachable(url, exc) from exc
        data = _answer(response, "the gate token")
    assert isinstance(data, dict)
    base = (public_url or url).rstrip("/")
    log.info("gate device token made for %s (%s)", email, label)
    return ScannerLink(url=f"{base}{data['path']}", email=email, label=label)


def devices(store: Store) -> list[GateDeviceView]:
    """Every scanner the server heard from: lane, online, queued scans, last contact."""
    http, url = _client(store)
    with http:
        try:
            response = http.get("/api/scanner/devices")
        except httpx.TransportError as exc:
            raise _unreachable(url, exc) from exc
        data = _answer(response, "the list of scanners")
    assert isinstance(data, list)
    return [GateDeviceView.model_validate(item) for item in data]
