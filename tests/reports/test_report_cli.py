"""``boxoffice report`` as a person runs it, on the demo festival."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.reports import Demo, page_count, pdf_text

_SCRIPT = Path(sys.executable).with_name("boxoffice")


def _run(demo: Demo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOXOFFICE_DB": str(demo.path)}
    return subprocess.run([str(_SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)


def test_report_writes_pdf_and_csv(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "gates.pdf"
    done = _run(demo, "--json", "report", "gates", "--event", "Northern Lights 2026", "--series", "Day 1",
                "--out", str(out), "--csv", str(tmp_path / "csv"))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["pages"] == page_count(out)
    assert sorted(Path(p).name for p in answer["csv"]) == [
        "gates-devices.csv", "gates-gates.csv", "gates-hourly.csv", "gates-peak_minutes.csv"]
    assert "Gate throughput: Day 1 of Northern Lights 2026" in pdf_text(out)


@pytest.mark.slow
def test_unknown_series_is_one_sentence_and_no_file(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    done = _run(demo, "report", "series", "--series", "Day 12", "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.strip() == "error: No series Day 12 was found."
    assert not out.exists()
    done = _run(demo, "report", "series", "--series", "Day 1", "--out", str(tmp_path / "no" / "such" / "x.pdf"))
    assert done.returncode == 1
    assert done.stderr.startswith("error: Could not write the report to ")
