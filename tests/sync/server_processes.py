"""Real ``boxoffice server`` processes on free loopback ports, for tests that need more than one."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(base_url=url, timeout=2) as http:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}): {log.read_text()[-2000:]}")
            try:
                if http.get("/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s: "
                                   f"{log.read_text()[-2000:]}")
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def server_processes(db: str, count: int, logs: Path) -> Iterator[list[str]]:
    """``count`` separate ``boxoffice server`` processes on ``db``; yields their URLs, stops them after."""
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for i in range(count):
            port = _free_port()  # closed again before the server binds it: a small race, reported if lost
            log = logs / f"server-{i}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "boxoffice", "--db", db, "server", "--port", str(port)],
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            procs.append(proc)
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(proc, url, log)
            urls.append(url)
        yield urls
    finally:
        for proc in procs:
            _stop(proc)
