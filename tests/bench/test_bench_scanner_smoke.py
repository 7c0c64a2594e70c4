"""The scanner benchmark still runs: a few taps online and offline, a small queue uploaded.

In a process of its own: playwright's sync API allows one running instance
per process, and the scanner tests' browser may already be running in this one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.scanner import chromium_available
from tests.helpers.servers import REPO, server_env

pytestmark = pytest.mark.slow


def test_benchmark_prints_each_figure_against_health(tmp_path: Path) -> None:
    if not chromium_available():
        if os.environ.get("CI") == "true":  # as tests/scanner: CI installs chromium, so it must run here
            pytest.fail("chromium is not installed (packaging/setup-dev.sh installs it)")
        pytest.skip("chromium is not installed: apt-get install chromium")
    done = subprocess.run([sys.executable, str(REPO / "bench" / "bench_scanner.py"), "--taps", "3", "--queue", "5",
                           "--workdir", str(tmp_path)], env=server_env(), capture_output=True, text=True,
                          timeout=300, check=False)
    out = done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
    assert "x health" in out and "offline: decided on the page" in out, out
    assert "upload when the server came back" in out, out
