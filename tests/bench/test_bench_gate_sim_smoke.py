"""The gate-traffic benchmark still runs: a tiny scale end to end on SQLite, no timing assertions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.bench import bench_script


@pytest.mark.slow  # about 6 s: the demo seed, a server process and a 2 s run
def test_gate_sim_benchmark_prints_its_figures_and_ratios(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with bench_script("bench_gate_sim") as bench:
        code = bench.main(["--bands", "300", "--taps", "20", "--rate", "20/s", "--seconds", "2",
                           "--workdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    for name in ("uid-only", "genuine payload", "forged payload"):
        assert re.search(rf"{name}\s+[\d.]+ ms/tap\s+ratio to uid-only\s+[\d.]+x", out), out
    assert re.search(r"forged payload .* answers bad_signature$", out, re.MULTILINE), out
    assert re.search(r"sent (\d+), errors 0, achieved [\d.]+/s, ratio achieved/offered [\d.]+x", out), out
    assert (tmp_path / "server.log").exists()
