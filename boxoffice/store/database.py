"""A store: the engine, its sessions, and the SQLite settings we rely on.

Opening one for use (migrations, the open hooks) is ``boxoffice.store.opening``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from boxoffice.errors import ChangeLogMissingError
from boxoffice.files import private_database

log = logging.getLogger(__name__)

# The session of the unit of work in progress in this thread (or task), so
# that a service called inside another one's transaction joins it. The sync
# server relies on this: it replays a station's use case and records that it
# did so in one transaction.
# Keyed by store: a write to one database inside a read of another must not mix them.
_ambient: ContextVar[tuple[Store, Session] | None] = ContextVar("boxoffice_ambient_session", default=None)

# Long enough to ride out another process's write transaction (a bulk
# assignment of 100,000 bands takes a few seconds), short enough that a
# stuck writer is reported instead of hanging the counter.
BUSY_TIMEOUT_MS = 15_000


def database_url(target: str | Path) -> URL:
    """A path becomes a SQLite URL; anything with ``://`` is taken as a URL."""
    text = str(target)
    if "://" in text:
        return make_url(text)
    path = Path(text).expanduser().resolve()
    return URL.create("sqlite+pysqlite", database=str(path))


def _sqlite_engine(url: URL, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # A write transaction takes the write lock up front. A deferred one that
    # reads, then writes, can fail with "database is locked" no matter the
    # busy timeout when another writer got in between.
    begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_sql)

    return engine


class Store:
    """One database: where every service reads and writes.

    ``write()`` and ``read()`` each open one short session that commits (or
    rolls back) at the end of the ``with`` block. Objects stay usable after
    it (``expire_on_commit=False``) but must not cross threads.
    """

    def __init__(self, target: str | Path) -> None:
        self.url = database_url(target)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            assert self.url.database is not None
            if self.url.database and self.url.database != ":memory:":
                # Its keys and tag secret are for this user only (see ``boxoffice.files``).
                private_database(Path(self.url.database))
            self.write_engine = _sqlite_engine(self.url, immediate=True)
            self.read_engine = _sqlite_engine(self.url, immediate=False)
        else:
            # As many connections as the server has worker threads (AnyIO's
            # default is 40): a verify waiting for a connection is a verify
            # the gate is waiting for.
            self.write_engine = create_engine(self.url, pool_pre_ping=True, pool_size=20,
                                              max_overflow=30)
            self.read_engine = self.write_engine
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False, info={"store": self})
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False, info={"store": self})
        self.mode = "local"
        # Set by the layer that keeps the central server's change log
        # (``boxoffice.sync.changelog.install``) once it watches this store's
        # write sessions; the store does not know more of it than that.
        self.change_capture: object | None = None
        # SQLite has one writer at a time anyway; a thread that finds the write
        # lock taken waits in SQLite's busy handler, which sleeps in steps of
        # up to 100 ms and so leaves the database idle between writers. Queueing
        # this process's writers on a lock of our own hands the database over at once.
        self._write_lock: threading.Lock | None = threading.Lock() if self.is_sqlite else None

    def set_mode(self, mode: str) -> None:
        """What this database is to sync (see ``SyncState``); decides which bookkeeping writes keep."""
        self.mode = mode

    @property
    def keeps_outbox(self) -> bool:
        # The server applies changes; it has nobody to send them to.
        return self.mode != "server"

    @property
    def keeps_changelog(self) -> bool:
        return self.mode == "server"

    @property
    def path(self) -> Path | None:
        return Path(self.url.database) if self.is_sqlite and self.url.database else None

    @property
    def display_name(self) -> str:
        return str(self.path) if self.path else self.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction; inside another ``write()`` it is a savepoint of that one.

        The savepoint is what lets an outer caller keep going when an inner
        use case fails: the inner one's writes are undone, the outer ones stay.
        """
        outer = self._ambient_session()
        if outer is not None:
            with outer.begin_nested():
                yield outer
            return
        if self.keeps_changelog and self.change_capture is None:
            raise ChangeLogMissingError(self.display_name)
        lock = self._write_lock
        # Bounded: past the busy timeout, SQLite's own wait (and its error) takes over.
        locked = lock is not None and lock.acquire(timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            with self._writer.begin() as session:
                token = _ambient.set((self, session))
                try:
                    yield session
                finally:
                    _ambient.reset(token)
        finally:
            if locked:
                assert lock is not None
                lock.release()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read; inside a ``write()`` it reads through that transaction, seeing its changes."""
        outer = self._ambient_session()
        if outer is not None:
            yield outer
            return
        # Closing (not rolling back) ends the read transaction without
        # expiring what was loaded, so the objects stay readable afterwards.
        with self._reader() as session:
            yield session

    def _ambient_session(self) -> Session | None:
        current = _ambient.get()
        return current[1] if current is not None and current[0] is self else None

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """The write sessions' factory, for hooks that watch every write (the change log)."""
        return self._writer

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()

