"""Real ``boxoffice server`` processes on one database, for tests of what several processes share.

An in-process server (``EmbeddedServer``) shares this process's memory: its
token cache, the event-key cache, the connection pool. What must hold
across the processes of a deployment (``--workers N``, or instances behind a
load balancer on one PostgreSQL database) can only be shown with separate
processes, started as an operator starts them::

    with seeded_organization(db) as org, running_servers(db, count=2) as urls:
        first = client(urls[0], org.tokens[Role.GATE])
        second = client(urls[1], org.tokens[Role.GATE])

``db`` is a SQLite path or a PostgreSQL URL (the ``pg_database`` fixture
makes a fresh one). Every server is waited for until it answers
``/api/health`` (bounded), and stopped at the end: SIGTERM, then SIGKILL of
its whole process group after a bound, so a hung server cannot outlive the
test.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx

from tests.helpers.seeding import PASSWORD, Live, seed
from tests.helpers.stores import migrated_store

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0  # a cold interpreter, migrations checked, uvicorn up; generous for a busy machine
STOP_TIMEOUT_S = 15.0
_PORT_ATTEMPTS = 3

__all__ = ["PASSWORD", "ServerProcess", "ServerStartError", "client", "free_port", "running_servers",
           "seeded_organization", "server_env", "wait_until"]


class ServerStartError(RuntimeError):
    """A server exited or did not answer /api/health in time; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, with this checkout first on the path, plus ``extra``.

    The child must import the same ``boxoffice`` as the test, whichever
    worktree it runs from.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


class ServerProcess:
    """One ``python -m boxoffice --db DB server`` on a free loopback port."""

    def __init__(self, db: str | Path, log_path: Path, *, workers: int = 1,
                 env: Mapping[str, str] | None = None, port: int = 0,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.db = str(db)
        self.fixed_port = port  # 0: a free one at each start; else this one (a restart keeps its URL)
        self.extra_args = extra_args
        self.log_path = log_path
        self.workers = workers
        self.env = server_env(env)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "https" if "--certfile" in self.extra_args else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        self.port = self.fixed_port or free_port()
        command = [sys.executable, "-m", "boxoffice", "--db", self.db, "server",
                   "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
                   *self.extra_args]
        with self.log_path.open("ab") as err:
            # Its own session: stop() can kill a --workers server's children with it.
            self.process = subprocess.Popen(command, env=self.env, stdout=err, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_healthy(self, deadline: float) -> None:
        """Return once /api/health answers 200; raise if the process exits or ``deadline`` passes."""
        assert self.process is not None
        with httpx.Client(timeout=2.0, verify=False) as http:
            while True:
                if self.process.poll() is not None:
                    raise ServerStartError(f"the server on {self.url} exited with {self.process.returncode}:\n"
                                           f"{self.log_tail()}")
                try:
                    if http.get(f"{self.url}/api/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise ServerStartError(f"the server on {self.url} did not answer /api/health:\n"
                                           f"{self.log_tail()}")
                time.sleep(0.05)

    def start(self, deadline: float) -> str:
        """Spawn and wait; a port another process took in between is tried again with a new one."""
        for attempt in range(_PORT_ATTEMPTS):
            self.spawn()
            try:
                self.wait_healthy(deadline)
                return self.url
            except ServerStartError:
                self.stop()
                if "address already in use" not in self.log_tail().lower() or attempt == _PORT_ATTEMPTS - 1:
                    raise
                log.info("port %d was taken; trying another", self.port)
        raise AssertionError("unreachable")

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (uvicorn finishes its requests and stops its workers), SIGKILL of the group after ``timeout``."""
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
                return
            except subprocess.TimeoutExpired:
                log.warning("server %s did not stop within %.0f s; killing its process group", self.url, timeout)
        with suppress(ProcessLookupError):  # the session it leads: its own workers, nothing else
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"


@contextmanager
def running_servers(db: str | Path, count: int = 2, *, workers: int = 1, env: Mapping[str, str] | None = None,
                    log_dir: Path | None = None, start_timeout: float = START_TIMEOUT_S,
                    stop_timeout: float = STOP_TIMEOUT_S) -> Iterator[list[str]]:
    """``count`` server processes (each with ``workers`` uvicorn workers) on ``db``; yields their URLs.

    They start together, as a deployment's instances may (the first to get
    the database's start-up lock prepares it, see ``server/startup.py``).
    ``env`` is added to each server's environment, e.g. the ``cache_bounds``
    variables. Logs go to ``log_dir`` (default: a temporary directory
    removed afterwards); a server that fails to start raises
    ``ServerStartError`` with its log.
    """
    if count < 1:
        raise ValueError("count must be 1 or more")
    with ExitStack() as stack:
        if log_dir is None:
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="boxoffice-servers-")))
        servers = [ServerProcess(db, log_dir / f"server-{i}.log", workers=workers, env=env) for i in range(count)]
        for server in servers:
            stack.callback(server.stop, stop_timeout)
        deadline = time.monotonic() + start_timeout
        for server in servers:
            server.spawn()
        for server in servers:
            try:
                server.wait_healthy(deadline)
            except ServerStartError:
                if "address already in use" not in server.log_tail().lower():
                    raise
                server.stop()
                server.start(deadline)
        log.info("%d server processes on %s: %s", count, db, ", ".join(s.url for s in servers))
        yield [s.url for s in servers]


@contextmanager
def seeded_organization(db: str | Path, *, bands: int = 20, capacity: int = 10_000) -> Iterator[Live]:
    """``tests/helpers/seeding.seed`` on ``db`` through the services, before any server starts.

    Yields the ``Live`` record (tokens and passwords of every role, ids of the
    event, categories, gates and the active series, the assigned bands' UIDs)
    with its store open, for changes a test makes beside the servers (the
    CLI's way); the store is closed at the end. ``Live.url`` stays empty: a
    test names the server it talks to.
    """
    store = migrated_store(db)
    try:
        yield seed(store, bands=bands, capacity=capacity)
    finally:
        store.dispose()


def client(url: str, token: str | None = None) -> httpx.Client:
    """An httpx client for one server, with a bearer token if given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.05) -> float:
    """Poll ``condition()`` until it is true; return the seconds it took, or raise after ``timeout``.

    For bounds: a test waits a little past the bound it checks, never a bare sleep.
    """
    started = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout:g} s: {getattr(condition, '__name__', condition)}")
        time.sleep(interval)


@contextmanager
def seeded_and_served(target: str | Path, processes: int, log_dir: Path) -> Iterator[tuple[Live, list[str]]]:
    """``seed`` on ``target``, served by one in-process server or by ``processes`` separate ones.

    For the concurrency tests that run one scenario against one process and
    against several on the same database; yields the seeded ``Live`` (its
    ``url`` the first server's) and every server's URL.
    """
    from boxoffice.programs.server.embedded import EmbeddedServer

    store = migrated_store(target)
    live = seed(store)
    try:
        if processes == 1:
            embedded = EmbeddedServer(store)
            live.url = embedded.start()
            try:
                yield live, [live.url]
            finally:
                embedded.stop()
        else:
            with running_servers(target, count=processes, log_dir=log_dir) as urls:
                live.url = urls[0]
                yield live, urls
    finally:
        store.dispose()
