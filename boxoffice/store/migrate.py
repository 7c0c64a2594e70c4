"""Schema migrations, run from code rather than from an ``alembic.ini`` on disk.

The migrations ship inside the package so that an installed program (and a
PyInstaller bundle) can upgrade a user's database by itself. The rules:
refuse a database written by a newer program; copy the file aside before
upgrading an existing SQLite database; never delete a user's database.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect
from sqlalchemy.exc import DBAPIError

from boxoffice.errors import DatabaseError, DatabaseTooNewError
from boxoffice.files import create_private_file
from boxoffice.store.database import Store

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

#: The newest migration shipped. Kept here as well as in the migration files so that opening an
#: up-to-date database needs no Alembic import (half a second of every start-up); a test checks
#: that it equals Alembic's head.
HEAD_REVISION = "0012"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    location = files("boxoffice.store") / "migrations"
    with as_file(location) as path:
        cfg.set_main_option("script_location", str(path))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations shipped"
    return head


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _backup(store: Store, revision: str) -> Path | None:
    """Copy a SQLite file aside with the online backup API (safe while WAL is in use)."""
    source = store.path
    if source is None or not source.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = source.with_name(f"{source.name}.{revision}.{stamp}.bak")
    # As private as the database it copies, from its first byte.
    create_private_file(target)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    log.info("backed up %s to %s before upgrading", source, target)
    return target


def _stamped_revision(store: Store) -> str | None:
    """The revision in ``alembic_version``, read with plain SQL; None when there is no such table."""
    with store.write_engine.connect() as probe:
        try:
            value = probe.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except DBAPIError:
            return None
    return str(value) if value is not None else None


def upgrade(store: Store) -> str:
    """Bring the database to the newest schema; return the revision it is at."""
    if _stamped_revision(store) == HEAD_REVISION:
        return HEAD_REVISION  # the everyday case: nothing to do, and no Alembic to load
    head = head_revision()
    with store.write_engine.connect() as probe:
        current = current_revision(probe)
        tables = set(inspect(probe).get_table_names())
    if current == head:
        return head
    if current is None and tables - {"alembic_version"}:
        raise DatabaseError(
            f"{store.display_name} holds tables that are not a Box office database; "
            "choose another file."
        )
    if current is not None and current not in known_revisions():
        raise DatabaseTooNewError(store.display_name, current)
    if current is not None:
        _backup(store, current)
    log.info("migrating %s from %s to %s", store.display_name, current or "empty", head)
    from alembic import command

    cfg = alembic_config()
    with store.write_engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    return head
