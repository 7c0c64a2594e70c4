"""The sync pull benchmark still runs: a tiny scale end to end, no timing assertions."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.helpers.bench import BENCH_DIR


@pytest.mark.slow
def test_sync_pull_benchmark_prints_its_figure_and_ratio() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    result = subprocess.run(
        [sys.executable, str(BENCH_DIR / "bench_sync_pull.py"), "--checkins", "3000", "--bands", "300"],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert re.search(r"sync pull: 3,000 check-ins \(\+\d+ other rows\) in [\d.]+ s", out), out
    assert "baseline raw sqlite3 executemany of the same check-ins" in out
    assert re.search(r"ratio raw/pull: \d+\.\d\d", out), out
