"""``boxoffice server --workers N``: uvicorn's worker processes each open the database themselves."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.cli import SCRIPT, Cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_two_workers_serve_one_database(cli: Cli, tmp_path: Path) -> None:
    cli.ok("org", "create", "Harbour Days BV", "--owner", "anna@example.org")
    port = _free_port()
    proc = subprocess.Popen([str(SCRIPT), "--db", str(cli.db), "server", "--port", str(port), "--workers", "2"],
                            env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200, proc.stderr.read() if proc.poll() else ""
        # a login goes through whichever worker takes it: both see the same members
        refused = httpx.post(f"http://127.0.0.1:{port}/api/auth/login",
                             json={"email": "anna@example.org", "password": "wrong password"}, timeout=10)
        assert refused.status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "2 worker processes" in err
