"""What the command line says, word for word: dates in lists, articles, one-sentence errors, and the
README's own commands run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from boxoffice.words import A_or_An, a_or_an
from tests.helpers.cli import Cli

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.slow
def test_event_list_prints_the_first_and_last_day(festival_cli: Cli) -> None:
    out = festival_cli.ok("event", "list").out
    assert "<10" not in out
    assert re.search(r"^Harbour Days\s+Europe/Amsterdam\s+2027-08-06 2027-08-08 [0-9a-f-]{36}$", out, re.M)


@pytest.mark.parametrize(("word", "expected"), [
    ("active", "an active"), ("draft", "a draft"), ("owner", "an owner"), ("Artist", "an Artist"),
    ("Ørsted", "an Ørsted"), ("unique code", "a unique code"), ("hour", "an hour"), ("VIP", "a VIP"),
    ("GA", "a GA"), ("NTAG213 band", "an NTAG213 band"), ("RFID card", "an RFID card"),
    ("MIFARE Classic", "a MIFARE Classic"), ("8-day pass", "an 8-day pass"), ("one-day pass", "a one-day pass"),
])
def test_one_helper_picks_a_or_an(word: str, expected: str) -> None:
    assert a_or_an(word) == expected
    assert A_or_An(word) == expected[0].upper() + expected[1:]


def test_an_active_series_in_the_refusal(festival_cli: Cli) -> None:
    cli = festival_cli
    cli.ok("series", "transition", "Friday", "scheduled", "--reason", "Line-up announced")
    cli.ok("series", "transition", "Friday", "active", "--reason", "Doors open")
    again = cli("series", "transition", "Friday", "active", "--reason", "twice")
    assert again.code == 1
    assert again.err.strip() == ("error: An active series cannot become active; from active it can become: "
                                 "completed, cancelled.")


@pytest.mark.slow
def test_an_end_before_the_start_is_one_sentence(festival_cli: Cli) -> None:
    cli = festival_cli
    created = cli("series", "create", "--event", "Harbour Days", "Saturday", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 12:00", "--capacity", "100")
    assert created.code == 1
    assert created.err.strip() == "error: The end (2027-08-07 12:00) must come after the start (2027-08-07 14:00)."
    version = str(cli.ok("--json", "series", "show", "Friday").json["series"]["version"])
    updated = cli("series", "update", "Friday", "--version", version, "--end", "2027-08-06 09:00")
    assert updated.code == 1
    assert updated.err.strip() == "error: The end (2027-08-06 09:00) must come after the start (2027-08-06 14:00)."
    assert "Saturday" not in cli.ok("series", "list").out


def test_recur_help_says_which_series_is_number_one(cli: Cli) -> None:
    text = " ".join(cli.ok("series", "recur", "--help").out.split())
    assert "SERIES is a template, and copy #1 falls on its own date" in text
    assert '"Day 1" with "Day {n}" and --count 2 makes Day 2 and Day 3.' in text


def readme_commands(section: str) -> list[list[str]]:
    """The ``boxoffice …`` lines of the first sh block under the README heading ``section``."""
    text = README.read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1]
    block = body.split("```sh\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    return [shlex.split(line, comments=True)[1:] for line in block.splitlines() if line.startswith("boxoffice ")]


@pytest.mark.slow
def test_the_readme_command_line_example_runs_as_written(cli: Cli) -> None:
    """'Using the command line' in the README, line by line: the recurring series included."""
    commands = readme_commands("Using the command line")
    assert ["series", "recur", "Day 1", "--pattern", "daily", "--count", "2", "--name-pattern", "Day {n}"] in commands
    outputs = {" ".join(args[:2]): cli.ok(*args).out for args in commands}
    recur = outputs["series recur"].splitlines()
    assert recur[0].startswith("#1   Day 1 ") and recur[0].endswith("(the series itself)")
    assert [line.split()[1:3] for line in recur[1:]] == [["Day", "2"], ["Day", "3"]]
    assert "2027-08-07 14:00 → 2027-08-07 23:30" in recur[1]
    assert "2027-08-08 14:00 → 2027-08-08 23:30" in recur[2]
    shown = cli.ok("series", "show", "Day 1").out
    assert "VIP             400" in shown and "draft → scheduled" in shown
    listed = cli.ok("series", "list").out
    assert [line.split()[0:2] for line in listed.splitlines()] == [["Day", "1"], ["Day", "2"], ["Day", "3"]]
