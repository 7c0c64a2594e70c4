"""The gate monitor benchmark still runs: 3 gates, 2,000 check-ins, 2 s of live taps; no timing assertions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.bench import BENCH_DIR


@pytest.mark.slow  # about 10 s: a Qt start, 2 s of live taps and the settling around them
def test_monitor_benchmark_prints_each_figure_with_its_baseline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, str(BENCH_DIR / "bench_monitor.py"), "--gates", "3", "--checkins", "2000",
         "--seconds", "2", "--rate", "20"],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"first full picture of 3 gates, 2,000 check-ins: [\d.]+ s", out), out
    assert re.search(r"baseline, the GROUP BY over the day's check-ins the rollup replaces: [\d.]+ s; "
                     r"ratio [\d.]+x", out), out
    assert re.search(r"live: \d+ check-ins at 20/s .* GUI thread in updates: [\d.]+ %", out), out
    assert re.search(r"baseline, pyqtgraph setData of all 6 curves 4 times a second: [\d.]+ % .*ratio [\d.]+x",
                     out), out
