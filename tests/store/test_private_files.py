"""A station's keys at rest: its folders are 0700 and its database files 0600, made so or tightened on open.

Real files, real ``os.stat``; the umask is the usual 022, under which SQLite and Python would
otherwise make everything readable by every user of the machine.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from boxoffice import files
from boxoffice.services import events, organization
from boxoffice.services.actor import resolve_actor
from boxoffice.store.database import Store
from boxoffice.store.migrate import _backup
from boxoffice.store.opening import open_store
from boxoffice.sync import credentials

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX modes; Windows guards the profile with ACLs")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def fill(store: Store) -> None:
    """Some writes, so that SQLite makes its -wal and -shm files."""
    organization.create_organization(store, "Key Org", "owner@example.org")
    events.create_event(store, resolve_actor(store, "owner@example.org"), "Key Fest", "Europe/Amsterdam")


def test_a_new_database_in_the_data_folder_is_private_from_the_start() -> None:
    path = files.default_db_path()
    assert not path.parent.exists()
    store = open_store(path)
    try:
        fill(store)
        assert mode(path.parent) == 0o700
        for made in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            assert made.exists() and mode(made) == 0o600, made
    finally:
        store.dispose()


def test_an_existing_open_database_is_tightened_once_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    path = files.default_db_path()
    running = open_store(path)  # another process with it open: its -wal and -shm are on disk
    fill(running)
    backup = _backup(running, "0008")
    assert backup is not None and mode(backup) == 0o600  # a backup is as private as its database
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    # As an older Box office left them: readable by everyone.
    path.parent.chmod(0o755)
    for loose in (path, wal, shm, backup):
        loose.chmod(0o644)

    try:
        with caplog.at_level(logging.WARNING, logger="boxoffice.files"):
            open_store(path).dispose()
    finally:
        running.dispose()
    lines = [r.getMessage() for r in caplog.records if r.name == "boxoffice.files"]
    assert len(lines) == 1
    for tightened in (path.parent, path, wal, shm, backup):
        assert str(tightened) in lines[0]
    assert mode(path.parent) == 0o700
    assert {mode(p) for p in (path, backup)} == {0o600}

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="boxoffice.files"):
        open_store(path).dispose()
    assert not [r for r in caplog.records if r.name == "boxoffice.files"]  # nothing left to say


def test_a_folder_of_the_persons_own_keeps_its_mode_and_only_the_files_are_made_private(
        tmp_path: Path) -> None:
    own = tmp_path / "festival"
    own.mkdir(mode=0o755)
    path = own / "desk.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o644)
    Store(path).dispose()
    assert mode(own) == 0o755
    assert mode(path) == 0o600
    made = tmp_path / "new" / "deeper" / "desk.sqlite3"
    Store(made).dispose()
    assert mode(made.parent) == 0o700 and mode(made) == 0o600  # a folder Box office made is its own


def test_the_credentials_file_and_its_folder_are_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("BOXOFFICE_CREDENTIALS_FILE", raising=False)
    folder = files.config_dir()
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    stored = credentials.save_token("http://central:8750", "owner@example.org", "a-token")
    assert not stored.in_keyring and Path(stored.place) == folder / "credentials.json"
    assert mode(folder) == 0o700 and mode(folder / "credentials.json") == 0o600


def test_helpers_leave_private_and_missing_paths_alone(tmp_path: Path) -> None:
    private = tmp_path / "p"
    assert files.create_private_file(private) and not files.create_private_file(private)
    assert mode(private) == 0o600
    assert files.tighten([private, tmp_path / "missing"]) == []
