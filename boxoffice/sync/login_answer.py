"""A refused login, as the server said it, turned back into the error the station can act on."""

from __future__ import annotations

import httpx

from boxoffice.errors import (
    AuthenticationError,
    BoxOfficeError,
    OrganizationChoiceError,
    TooManyAttemptsError,
)


def login_refusal(response: httpx.Response) -> BoxOfficeError:
    """The error for a 401, 409 or 429 answer to ``/api/auth/login``, with the server's sentence."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    message = str(body.get("message") or "The login was refused.")
    if response.status_code == 409 and body.get("error") == "choose_organization":
        return OrganizationChoiceError([str(name) for name in body.get("organizations") or []])
    if response.status_code == 429:
        retry = response.headers.get("retry-after", "")
        return TooManyAttemptsError(int(retry) if retry.isdigit() else 60, message=message)
    return AuthenticationError(message)
