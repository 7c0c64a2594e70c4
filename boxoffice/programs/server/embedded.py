"""The central server on a loopback port, in a thread of this process.

The demo runs the whole system in one process, and a station's own tests
want a real server they can stop; both need uvicorn without its signal
handlers (they belong to whoever owns the process) and a port chosen by the
operating system, so two demos never fight over one.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime

import uvicorn

from boxoffice.errors import BoxOfficeError
from boxoffice.programs.server.app import create_app
from boxoffice.store.database import Store
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


class ServerStartError(BoxOfficeError):
    code = "server_start"


class _ThreadServer(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        """Ctrl+C belongs to the program that embeds the server, which stops it in turn."""


class EmbeddedServer:
    """``start()`` returns the URL once the server accepts connections; ``stop()`` waits for it to end."""

    def __init__(self, store: Store, host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock
        self.host = host
        self.port = port
        self.url = ""
        self._server: _ThreadServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ServerStartError(f"Cannot listen on {self.host}:{self.port}: {exc.strerror}.") from exc
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(self.store, self.clock), log_level="warning", lifespan="off")
        self._server = _ThreadServer(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="boxoffice-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"The central server did not start on {self.host}:{self.port}.")
            time.sleep(0.02)
        self.url = f"http://{self.host}:{self.port}"
        log.info("central server on %s with %s", self.url, self.store.display_name)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the central server did not stop within %.0f s", timeout)
        self._server = self._thread = None
