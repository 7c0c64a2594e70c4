"""Migrated databases for tests, made once per test process and copied per test.

Migrating a new SQLite file from 0001 to head costs a few hundred
milliseconds, and over a thousand tests each opened one. The schema a test
gets is the same either way: the template is made by ``open_store`` itself
(Alembic, every migration) and copied byte for byte, so a test opening the
copy takes ``open_store``'s everyday path ("already at head"). The migration
tests still migrate their own empty files and databases.

PostgreSQL's equivalent is ``CREATE DATABASE … TEMPLATE`` (the
``pg_database`` fixture in ``tests/conftest.py``; ``pg_url`` is the server
it uses, if one is set). ``table_counts`` proves a refused call wrote nothing.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from boxoffice.store.database import Store
from boxoffice.store.opening import open_store

PG_URL_VAR = "BOXOFFICE_TEST_PG_URL"


@functools.cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="boxoffice-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.sqlite3"
    open_store(path).dispose()
    # One self-contained file: whatever the write-ahead log still holds goes into it.
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


def is_postgres(target: str | Path) -> bool:
    return str(target).startswith("postgresql")


def migrated_store(target: str | Path) -> Store:
    """``open_store(target)`` on a database already at head: a copy of the template for a new SQLite
    file; a PostgreSQL URL from ``pg_database`` is already migrated, and an existing file is
    opened as it is."""
    if not is_postgres(target) and not Path(target).exists():
        shutil.copyfile(_sqlite_template(), target)
    return open_store(target)


def pg_url() -> str | None:
    """The PostgreSQL server the tests make their databases on (``BOXOFFICE_TEST_PG_URL``), if set."""
    return os.environ.get(PG_URL_VAR)


def table_counts(store: Store) -> dict[str, int]:
    """Row count of every table: compared before and after a refused call, it proves nothing was written."""
    from sqlalchemy import func, select

    from boxoffice.store.models import Base

    with store.read() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
        }
