"""Where a station keeps its login token: the OS keyring, or a private file when there is none.

A token is as good as the password for twelve hours (longer for a device),
so it goes where the operating system guards secrets. Headless Linux boxes
often have no keyring; there the token goes to a file only the user can
read, and the caller tells the user so.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors
from keyring.backends import fail

from boxoffice import files

log = logging.getLogger(__name__)

SERVICE = "boxoffice"


@dataclass(frozen=True)
class Stored:
    """Where the token went, said the way a person can check it."""

    in_keyring: bool
    place: str


def _account(server: str, email: str) -> str:
    return f"{email.strip().lower()}@{server.rstrip('/')}"


def _keyring_usable() -> bool:
    # A file named on purpose (the demo's own folder, a test's) is where tokens go, keyring or not.
    if files.credentials_file_chosen():
        return False
    backend = keyring.get_keyring()
    return not isinstance(backend, fail.Keyring) and backend.priority > 0


def _read_file() -> dict[str, str]:
    path = files.credentials_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable credentials file %s: %s", path, exc)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_file(data: dict[str, str]) -> Path:
    path = files.credentials_file()
    files.private_folder(path.parent)
    tmp = path.with_suffix(".tmp")
    # Created private, not chmod-ed after: no moment where others could read it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)
    return path


def save_token(server: str, email: str, token: str) -> Stored:
    account = _account(server, email)
    if _keyring_usable():
        try:
            keyring.set_password(SERVICE, account, token)
            _forget_in_file(account)
            return Stored(True, f"the system keyring ({keyring.get_keyring().name})")
        except keyring.errors.KeyringError as exc:
            log.warning("the keyring refused the token (%s); using the file instead", exc)
    data = _read_file()
    data[account] = token
    path = _write_file(data)
    return Stored(False, str(path))


def load_token(server: str, email: str) -> str | None:
    account = _account(server, email)
    if _keyring_usable():
        try:
            token = keyring.get_password(SERVICE, account)
            if token:
                return token
        except keyring.errors.KeyringError as exc:
            log.warning("could not read the keyring: %s", exc)
    return _read_file().get(account)


def forget_token(server: str, email: str) -> None:
    account = _account(server, email)
    if _keyring_usable():
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(SERVICE, account)
    _forget_in_file(account)


def _forget_in_file(account: str) -> None:
    data = _read_file()
    if account in data:
        del data[account]
        _write_file(data)
