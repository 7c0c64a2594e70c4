"""The central server as its own process for the benchmarks that time a client against it over loopback.

A server in the benchmark's own process would share its GIL with the client
being timed; a box office runs it on another machine.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, logfile: Path) -> subprocess.Popen[bytes]:
    """``boxoffice server`` on ``db``, once it answers /api/health; its stderr goes to ``logfile``."""
    with logfile.open("ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "boxoffice", "--db", str(db), "server", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not start: {logfile.read_text()}")
