"""The verify benchmark still runs: a tiny scale end to end on SQLite, no timing assertions.

CI runs this so that a change to the schema, the services, the verify route or
the server start-up that breaks the benchmark (a column the bulk loader does
not fill, a renamed field in the verify body) is caught the day it lands, not
the day someone next wants the throughput figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.bench.conftest import bench_script


@pytest.fixture
def bench() -> Iterator[ModuleType]:
    with bench_script("bench_verify", also_loads=("bench_store",)) as module:
        yield module


def test_benchmark_prints_every_level_with_a_ratio(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = bench.main([
        "--bands", "2000", "--clients", "1,5", "--seconds", "2", "--warmup", "0.5", "--taps", "50",
        "--backend", "sqlite", "--workdir", str(tmp_path), "--open-rate", "40",
    ])
    out = capsys.readouterr().out

    assert code == 0, out
    for clients in (1, 5):
        line = next((ln for ln in out.splitlines() if re.match(rf"\s+sqlite\s+{clients}\s", ln)), None)
        assert line is not None, f"no result line for {clients} clients in:\n{out}"
        # verify/s, p50, p99, non-200, health/s, p50, p99, non-200, then the health/verify ratio.
        assert re.search(r"(\s+[\d,]+\.\d+){3}\s+0(\s+[\d,]+\.\d+){3}\s+0\s+[\d,]+\.\d+x\s", line), line
    # The open-loop level: 40/s offered over the largest client count, every answer 200.
    open_line = next((ln for ln in out.splitlines() if re.match(r"\s+sqlite\s+40\s", ln)), None)
    assert open_line is not None, f"no open-loop line in:\n{out}"
    answered = float(open_line.split()[2].replace(",", ""))
    assert 0 < answered <= 45, open_line
    assert re.search(r"(\s+[\d,]+\.\d+){5}\s+0\s", open_line), open_line
    assert "checkins.decide_and_record" in out and "ms/tap" in out
    assert "design need 28/s" in out
    # The SQLite file was removed; only the server log is left in the work directory.
    assert not list(tmp_path.glob("*.sqlite3*"))
    assert (tmp_path / "server-sqlite.log").exists()


def test_refuses_a_remote_postgres(bench: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--bands", "2000", "--backend", "postgres", "--workdir", str(tmp_path),
                    "--pg-url", "postgresql+psycopg://postgres@db.example.org:5432/test"])
