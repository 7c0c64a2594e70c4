"""The command lines the tests run in process answer exactly as the installed command does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import Cli, make_cli

LINES = [
    ("--version",),
    ("event", "list"),
    ("--json", "series", "list"),
    ("series", "show", "Friday"),
    # refused input: one sentence on stderr, exit 1
    ("series", "create", "--event", "Harbour Days", "Saturday", "--start", "2027-08-07 14:00",
     "--end", "2027-08-07 12:00", "--capacity", "10"),
    ("--json", "gate", "add", "--event", "Nowhere", "Main", "--kind", "entry"),
    # usage errors: click's message, exit 2
    ("series", "create", "--event", "Harbour Days"),
    ("no-such-command",),
    # -v: more of the log on stderr
    ("-v", "event", "list"),
]


def _copy(festival_cli: Cli, folder: Path) -> Cli:
    """The festival's database in a folder of its own, with a home of its own, readable by others:
    opening it logs a warning on stderr as it tightens that (the log as a process sets it up)."""
    folder.mkdir()
    other = make_cli(folder)
    for suffix in ("", "-wal"):
        source = festival_cli.db.with_name(festival_cli.db.name + suffix)
        if source.exists():
            shutil.copy(source, other.db.with_name(other.db.name + suffix))
            other.db.with_name(other.db.name + suffix).chmod(0o644)
    return other


@pytest.mark.parametrize("line", LINES, ids=lambda line: " ".join(line)[:40])
@pytest.mark.slow
def test_a_command_line_run_in_process_answers_as_the_installed_command(festival_cli: Cli, tmp_path: Path,
                                                                          line: tuple[str, ...]) -> None:
    by_process = _copy(festival_cli, tmp_path / "process")
    here = _copy(festival_cli, tmp_path / "here")
    expected, got = by_process.process(*line), here(*line)
    opens_the_database = line[0] != "--version" and expected.code != 2
    assert ("made readable by you only" in expected.err) is opens_the_database
    assert (got.code, got.out, got.err.replace(str(here.db.parent), str(by_process.db.parent))) == (
        expected.code, expected.out, expected.err)
