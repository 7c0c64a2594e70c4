"""One server process at a time prepares a database: migrations and the start of its change log.

Several ``boxoffice server`` processes may be started at the same moment on
one new PostgreSQL database (two instances behind a load balancer, brought
up together). Each migrates the database and makes it the server's on
start; run side by side, the second one's ``CREATE TABLE`` collided with the
first's and it exited (``duplicate key value violates unique constraint
"pg_type_typname_nsp_index"``). A PostgreSQL advisory lock, held on its own
connection for the length of the preparation, makes the others wait and
then find the work done. SQLite needs none: every write transaction there
begins ``IMMEDIATE``, which already puts them one after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from boxoffice.store.database import database_url

log = logging.getLogger(__name__)

# Any constant 64-bit key: "boxoffice" in ASCII. Advisory locks are per database.
_LOCK_KEY = int.from_bytes(b"boxoffic", "big") & 0x7FFF_FFFF_FFFF_FFFF


@contextmanager
def preparation_lock(target: str | Path) -> Iterator[None]:
    """Hold the database's start-up lock (PostgreSQL) while the block prepares it."""
    url = database_url(target)
    if url.get_backend_name() != "postgresql":
        yield
        return
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()
