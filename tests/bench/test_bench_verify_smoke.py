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

from tests.helpers.bench import bench_script


@pytest.fixture
def bench() -> Iterator[ModuleType]:
    with bench_script("bench_verify", also_loads=("bench_store", "loadgen")) as module:
        yield module


@pytest.mark.slow
def test_benchmark_prints_every_level_with_a_ratio(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = bench.main([
        "--bands", "2000", "--clients", "1,5", "--seconds", "0.6", "--warmup", "0.2", "--taps", "50",
        "--backend", "sqlite", "--workdir", str(tmp_path), "--open-rate", "40",
        "--floor-clients", "1,5", "--inside", "none", "--half-seconds", "0",
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
    # Answers counted in the 0.6 s window include taps due in the 0.2 s warm-up that a busy
    # server answered late, so the bound is what the schedule sends in both (40/s x 0.8 s, and
    # one more per connection for the schedule's offsets), not 40/s: never more than that.
    assert 0 < answered <= (40 * (0.2 + 0.6) + 5) / 0.6, open_line
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


def _line(out: str, pattern: str) -> str:
    found = next((ln for ln in out.splitlines() if re.search(pattern, ln)), None)
    assert found is not None, f"no line matching {pattern!r} in:\n{out}"
    return found


@pytest.mark.slow
def test_new_measurements_print_their_figures_and_ratios(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Occupancy, the floor and the half-load open loop on SQLite, the load spread over 2 generator processes."""
    code = bench.main([
        "--bands", "2000", "--clients", "1,4", "--floor-clients", "1,4", "--seconds", "0.5", "--warmup", "0.1",
        "--taps", "20", "--backend", "sqlite", "--workdir", str(tmp_path), "--open-rate", "0",
        "--inside", "0,1%,10%", "--half-seconds", "1", "--load-procs", "2",
    ])
    out = capsys.readouterr().out

    assert code == 0, out
    assert "Load generator: 2 process(es)" in out
    for clients in (1, 4):  # verify/s, health/s, the share and its verdict
        _line(out, rf"^\s+sqlite\s+{clients}\s+[\d,]+\.\d\s+[\d,]+\.\d\s+\d+%\s+(MET|MISSED)")
    # offered, answered, answered/offered, p50, p99, max, unsent, late, non-200 (0), CPUs, p99/lone p50
    _line(out, r"^\s+sqlite(\s+[\d,]+\.\d+){2}\s+\d\.\d\dx(\s+[\d,.]+){3}\s+\d+\s+\d+\s+0\s.*\d\.\d\dx\s+(MET|MISSED)")
    for inside in (0, 20, 200):  # 1 % and 10 % of 2,000
        _line(out, rf"^\s+{inside:,}(\s+[\d,]+\.\d+){{3}}\s+\d+\.\d\dx\s+\d+\.\d+\s+\d+\.\d\dx$")
    _line(out, r"at 200 inside against empty: (MET|MISSED)")
    _line(out, r"sqlite\s+verify with 200 inside / empty: HTTP p50 \d+\.\d\dx, in-process \d+\.\d\dx")
    _line(out, r"sqlite\s+half load .* (MET|MISSED)")
    _line(out, r"sqlite\s+verify/health at 4 client\(s\): \d+% (MET|MISSED)")
    assert "Server processes" not in out  # PostgreSQL only


@pytest.mark.slow
@pytest.mark.postgres
def test_one_against_two_server_processes_on_postgres(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str], pg_database: str
) -> None:
    code = bench.main([
        "--bands", "2000", "--clients", "1,4", "--floor-clients", "1,4", "--seconds", "0.5", "--warmup", "0.1",
        "--taps", "20", "--backend", "postgres", "--pg-url", pg_database, "--workdir", str(tmp_path),
        "--open-rate", "0", "--inside", "none", "--half-seconds", "0", "--procs-clients", "4",
    ])
    out = capsys.readouterr().out

    assert code == 0, out
    for processes in (1, 2):  # verify/s, p50, p99, non-200 (0), health/s, CPUs, machine busy
        _line(out, rf"^\s+{processes}(\s+[\d,]+\.\d+){{3}}\s+0\s+[\d,]+\.\d\s.*of \d+$")
    _line(out, r"2 processes / 1: verify \d+\.\d\dx (MET|MISSED) .*health \d+\.\d\dx")
    _line(out, r"cores' ceiling \d+\.\d\dx \(\d+ usable cores / \d+\.\d\d ms of the machine's CPU per verify "
               r"at 1 process = [\d,]+/s\), \d+% of it reached: with 1 process")
    for processes in (1, 2):  # where the transactions' time went, every kind named with its figure
        _line(out, rf"a verify's transaction, {processes} process\(es\), ms: waiting for its server process "
                   r"\d+\.\d\d, row locks \d+\.\d\d, PostgreSQL at work \d+\.\d\d, WAL to disk \d+\.\d\d, "
                   r"other \d+\.\d\d \(")
    _line(out, r"postgres\s+2 server processes / 1 at 4 clients: \d+\.\d\dx (MET|MISSED).*; cores' ceiling "
               r"\d+\.\d\dx")
    _line(out, r"postgres\s+verify/health at 1 client\(s\): \d+% (MET|MISSED)")
    assert (tmp_path / "server-postgres-2.log").exists()
