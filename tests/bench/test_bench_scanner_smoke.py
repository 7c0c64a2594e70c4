"""The scanner benchmark still runs: a few taps online and offline, a small queue uploaded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers.bench import bench_script
from tests.helpers.scanner import chromium_available

pytestmark = pytest.mark.slow


@pytest.fixture
def bench() -> Iterator[ModuleType]:
    with bench_script("bench_scanner") as module:
        yield module


def test_benchmark_prints_each_figure_against_health(bench: ModuleType, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    if not chromium_available():
        pytest.skip("chromium is not installed: apt-get install chromium")
    assert bench.main(["--taps", "3", "--queue", "5", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "x health" in out and "offline: decided on the page" in out, out
    assert "upload when the server came back" in out, out
