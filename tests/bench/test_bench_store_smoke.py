"""The store benchmark still runs: a tiny scale end to end, no timing assertions.

CI runs this so a schema or service change that breaks the benchmark (a new
column the bulk loader does not fill, a renamed service) is caught the day it
lands, not the day someone next wants the numbers.
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
    with bench_script("bench_store", also_loads=()) as module:
        yield module


def test_benchmark_prints_every_query_with_a_ratio(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bench.sqlite3"
    code = bench.main([
        "--bands", "2000", "--series", "20", "--checkins", "2000", "--assignments", "500",
        "--lookups", "50", "--repeat", "1", "--db", str(db),
    ])
    out = capsys.readouterr().out

    assert code == 0
    assert db.exists()
    for name in bench.QUERY_NAMES:
        line = next((ln for ln in out.splitlines() if ln.strip().startswith(name)), None)
        assert line is not None, f"no result line for {name!r} in:\n{out}"
        assert re.search(r"\d[\d,]*\.\d+\s+\d[\d,]*\.\d+\s+\d[\d,]*\.\d+x\s*$", line), line
    assert "Query plans of the raw SQL" in out


def test_refuses_an_existing_database(bench: ModuleType, tmp_path: Path) -> None:
    db = tmp_path / "taken.sqlite3"
    db.write_bytes(b"")
    with pytest.raises(SystemExit):
        bench.main(["--db", str(db)])
    assert db.read_bytes() == b""
