"""The report benchmark still runs: a tiny scale end to end, no timing assertions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pypdf import PdfReader

from tests.helpers.bench import bench_script


@pytest.fixture
def bench() -> Iterator[ModuleType]:
    with bench_script("bench_report", also_loads=("bench_store",)) as module:
        yield module


def test_benchmark_prints_both_timings_a_ratio_and_memory(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, out = tmp_path / "bench.sqlite3", tmp_path / "bench.pdf"
    code = bench.main(["--checkins", "2000", "--repeat", "1", "--db", str(db), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "series report over 2,000 check-ins" in printed
    assert re.search(r"aggregation queries \(baseline\)\s+\d+\.\d{3} s", printed)
    assert re.search(r"series report, PDF written\s+\d+\.\d{3} s\s+\d+\.\d\dx the aggregation", printed)
    assert re.search(r"peak memory .*\s\d+\.\d MiB", printed)
    assert "Saturday" in PdfReader(str(out)).pages[0].extract_text()


def test_refuses_an_existing_database(bench: ModuleType, tmp_path: Path) -> None:
    db = tmp_path / "taken.sqlite3"
    db.write_bytes(b"")
    with pytest.raises(SystemExit):
        bench.main(["--db", str(db)])
    assert db.read_bytes() == b""
