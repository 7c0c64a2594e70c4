"""The encoding benchmark still runs: a few bands on both transports, no timing assertions.

So a change to the encoding services, the job or the simulator that breaks
the benchmark is caught the day it lands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers.bench import bench_script


@pytest.fixture
def bench() -> Iterator[ModuleType]:
    with bench_script("bench_encode") as module:
        yield module


def test_benchmark_prints_a_ratio_per_transport(bench: ModuleType, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(["--bands", "4", "--warmup", "1", "--workdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    for transport in ("inproc", "udp"):
        line = next((ln for ln in out.splitlines() if ln.startswith(transport)), None)
        assert line is not None, f"no result line for {transport} in:\n{out}"
        assert re.match(rf"{transport}\s+4(\s+\d+\.\d+){{7}}x\s+\d+\s+\d+\.\d+\s+(ok|!! over)", line), line
    assert (tmp_path / "station-udp.sqlite3").exists()  # --workdir keeps the files


def test_refuses_an_unknown_transport(bench: ModuleType) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--transport", "bluetooth"])
