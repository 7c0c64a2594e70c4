"""The gate board read from the server, for a station whose role holds no check-ins.

Which stations: ``summary.reads_from_server``, from the permission table.
The station reaches the server it logged in to with its saved token, as the
sync client does, and each failure becomes one of our errors with a
sentence: the server cannot be reached, the login is no longer accepted, the
role may not (lowered on the server since), the event is not there.
"""

from __future__ import annotations

import logging
import uuid

import httpx

from boxoffice.errors import (
    AuthenticationError,
    IdentityError,
    NotFoundError,
)
from boxoffice.schemas.board import GateBoardView
from boxoffice.store.database import Store
from boxoffice.sync import credentials
from boxoffice.sync.client import ServerUnreachableError, SyncRefusedError
from boxoffice.sync.state import ServerLogin

log = logging.getLogger(__name__)

class BoardUnreachableError(ServerUnreachableError):
    """The server did not answer for the gate figures; ``url`` names it for the page's sentence."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url


#: Seconds: a board poll that waits longer is reported as the server being out of reach.
TIMEOUT = 10.0


class RemoteBoard:
    """One station's way to the server's ``/api/events/{id}/gate-board``; made and used off the GUI thread."""

    def __init__(self, login: ServerLogin, token: str, http: httpx.Client | None = None) -> None:
        self.login = login
        self.http = http or httpx.Client(base_url=login.url, headers={"Authorization": f"Bearer {token}"},
                                         timeout=TIMEOUT)

    @classmethod
    def from_store(cls, store: Store) -> RemoteBoard:
        login = ServerLogin.load(store)
        token = credentials.load_token(login.url, login.email)
        if not token:
            raise IdentityError(
                f"No saved login for {login.email} at {login.url}: log in to the server again.")
        return cls(login, token)

    @property
    def url(self) -> str:
        return self.login.url

    def fetch(self, event_id: uuid.UUID) -> GateBoardView:
        try:
            response = self.http.get(f"/api/events/{event_id}/gate-board")
        except httpx.TransportError as exc:
            raise BoardUnreachableError(
                self.url, f"The server at {self.url} cannot be reached ({type(exc).__name__})."
            ) from exc
        status = response.status_code
        if status == 200:
            return GateBoardView.model_validate_json(response.content)
        message = _message(response)
        log.info("gate board of %s: %d %s", event_id, status, message)
        if status == 401:
            raise AuthenticationError(
                f"The server no longer accepts this station's login; log in again. ({message})")
        if status == 404:
            raise NotFoundError("event", str(event_id))
        if status >= 500:
            raise BoardUnreachableError(self.url,
                                        f"The server at {self.url} answered {status}; trying again shortly.")
        # 403 among them: the role was lowered on the server since this station logged in.
        raise SyncRefusedError(f"The server refused the gate figures: {message}")

    def close(self) -> None:
        self.http.close()


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("message", body)) if isinstance(body, dict) else str(body)
