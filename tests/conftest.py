"""Fixtures shared by every test: a real SQLite file per test, and actors of each role."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# The suite keeps Python's bytecode caches even where the environment turns them off
# (PYTHONDONTWRITEBYTECODE): it starts many Python processes (test processes, the
# `boxoffice` command, servers, simulators), and without the caches each compiled the project
# again: a CLI call took 1.3 s instead of 1.0 s, and every test process rewrote every test module.
# Set before the test processes and subprocesses start, so they inherit it (hence the late imports).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

from boxoffice.domain.enums import Role  # noqa: E402
from boxoffice.services import organization  # noqa: E402
from boxoffice.services.actor import Actor, resolve_actor  # noqa: E402
from boxoffice.store.database import Store  # noqa: E402
from tests.helpers.stores import PG_URL_VAR, migrated_store, pg_url  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """argon2's cheapest parameters for every password a test sets.

    The real parameters cost ~60 ms a hash by design, and a seeded server
    sets and checks a dozen; what the tests check (a hash verifies, a wrong
    password does not) does not depend on the cost.
    """
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    from boxoffice.services import auth

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "password_hasher", PasswordHasher.from_parameters(CHEAPEST))
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Never touch the real user's data directory from a test.
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.delenv("BOXOFFICE_DB", raising=False)
    monkeypatch.delenv("BOXOFFICE_AS", raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "boxoffice.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = migrated_store(db_path)
    yield s
    s.dispose()


@pytest.fixture
def owner(store: Store) -> Actor:
    organization.create_organization(store, "Test Festival", "owner@example.org", "Owner")
    return resolve_actor(store, "owner@example.org")


@pytest.fixture
def actors(store: Store, owner: Actor) -> dict[Role, Actor]:
    """One actor per role, all in the owner's organization."""
    out = {Role.OWNER: owner}
    for role in Role:
        if role is Role.OWNER:
            continue
        email = f"{role.value}@example.org"
        organization.add_member(store, owner, email, role)
        out[role] = resolve_actor(store, email)
    return out


def _pg_server_url() -> str:
    url = pg_url()
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_URL_VAR} must be set in CI: the PostgreSQL tests are required there")
        pytest.skip(f"set {PG_URL_VAR} to a PostgreSQL server URL to run this test")
    return url


@contextmanager
def _pg_scratch_database(url: str, template: str | None = None) -> Iterator[str]:
    """A new database on the server at ``url`` (a copy of ``template`` if given), dropped afterwards."""
    import uuid as _uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"boxoffice_test_{_uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """One PostgreSQL database migrated to head per test session, copied for each test.

    ``CREATE DATABASE … TEMPLATE`` copies it in a fraction of the time the
    migrations take; nothing connects to the template after it is made (a
    template must have no other sessions while it is copied).
    """
    with _pg_scratch_database(_pg_server_url()) as url:
        migrated_store(url).dispose()
        yield url


@pytest.fixture
def pg_database(_pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema for one test, dropped afterwards.

    CI sets the server URL and must run these tests; a developer without
    PostgreSQL gets a skip that says what to set.
    """
    with _pg_scratch_database(_pg_server_url(), template=_pg_template) as url:
        yield url


@pytest.fixture
def empty_pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no schema): for the tests of migrating one."""
    with _pg_scratch_database(_pg_server_url()) as url:
        yield url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives widgets is a ``gui`` test: ``-m "not gui"`` runs without a display."""
    gui = pytest.mark.gui
    for item in items:
        if "qtbot" in getattr(item, "fixturenames", ()):
            item.add_marker(gui)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI every test must run: a skip there is a failure, not a pass."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter:
            reporter.write_line(f"CI: {len(skipped)} test(s) skipped; every test must run in CI.", red=True)
