"""The desktop benchmark still runs: one start, a 5-band batch and a 500-row sync; no timing assertions."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.helpers.bench import BENCH_DIR


@pytest.mark.slow
def test_gui_benchmark_prints_each_figure_with_its_baseline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, str(BENCH_DIR / "bench_gui.py"), "--starts", "1", "--bands", "5",
         "--sync-rows", "500"],
        capture_output=True, text=True, timeout=600, check=False, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"cold start to the Series page loaded: median [\d,]+ ms", out), out
    assert re.search(r"baseline, a bare PySide6 window: median [\d,]+ ms; ratio [\d.]+x", out), out
    assert re.search(r"encoding batch: 5 bands in [\d.]+ s; GUI stalls: worst [\d.]+ ms", out), out
    assert re.search(r"sync pull of 500 check-ins in [\d.]+ s; GUI stalls: worst [\d.]+ ms", out), out
    assert out.count("baseline, the same loop idle") == 2, out
