"""Every bad input: a sentence on stderr, a non-zero exit, and nothing written."""

from __future__ import annotations

import json

import pytest

from boxoffice.store.database import Store
from tests.helpers.cli import Cli
from tests.helpers.stores import table_counts


def counts(cli: Cli) -> dict[str, int]:
    store = Store(cli.db)
    try:
        return table_counts(store)
    finally:
        store.dispose()


CASES = [
    pytest.param(["series", "show", "Saturday"], "No series Saturday was found.", id="unknown-series"),
    pytest.param(["series", "show", "00000000-0000-0000-0000-000000000000"], "No series", id="unknown-id"),
    pytest.param(["series", "create", "--event", "Harbour Days", "Sat", "--start", "06/08/2027 14:00",
                  "--end", "2027-08-07 23:00", "--capacity", "10"],
                 "'06/08/2027 14:00' is not a date and time; write it like 2026-07-03 18:00.",
                 id="wrong-date-format"),
    pytest.param(["series", "create", "--event", "Harbour Days", "Sat", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 10:00", "--capacity", "10"],
                 "error: The end (2027-08-07 10:00) must come after the start (2027-08-07 14:00).\n",
                 id="end-before-start"),
    pytest.param(["series", "create", "--event", "Harbour Days", "Sat", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 20:00", "--capacity", "0"], "capacity", id="zero-capacity"),
    pytest.param(["series", "create", "--event", "Harbour Days", "friday", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 20:00", "--capacity", "10"],
                 "A series with name friday already exists in Harbour Days.", id="duplicate-series"),
    pytest.param(["series", "create", "--event", "Harbour Days", "Sat", "--start", "0001-01-01 00:00",
                  "--end", "0001-01-01 10:00", "--capacity", "10"],
                 "The start time must fall between the years 2000 and 2999; 0001-01-01 00:00 does not.",
                 id="year-one"),
    pytest.param(["series", "create", "--event", "Harbour Days", "Sat", "--start", "9999-12-31 20:00",
                  "--end", "9999-12-31 23:59", "--capacity", "10"],
                 "The end time must fall between the years 2000 and 2999", id="year-9999"),
    pytest.param(["series", "create", "--event", "Harbour Days", "Sat", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 20:00", "--capacity", "9223372036854775808"],
                 "The capacity can be at most 2,147,483,647; it is 9,223,372,036,854,775,808.",
                 id="capacity-past-bigint"),
    pytest.param(["series", "create", "--event", "Harbour Days", "Sat", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 20:00", "--capacity", "2147483648"],
                 "The capacity can be at most 2,147,483,647; it is 2,147,483,648.", id="capacity-past-integer"),
    pytest.param(["series", "update", "Friday", "--version", "1", "--capacity", "99999999999999999999"],
                 "The capacity can be at most 2,147,483,647", id="update-capacity-past-bigint"),
    pytest.param(["series", "create", "--event", "Harbour Days", "\u200b", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 20:00", "--capacity", "10"],
                 "The series name has no visible character; type a name people can read.",
                 id="zero-width-space-name"),
    pytest.param(["event", "create", "\u200d\ufeff\u2060", "--timezone", "UTC"],
                 "The event name has no visible character", id="format-characters-name"),
    pytest.param(["gate", "add", "--event", "Harbour Days", "Jetty\x07"],
                 "The gate name holds a control character (U+0007); remove it.", id="control-in-name"),
    pytest.param(["series", "create", "--event", "Nowhere", "Sat", "--start", "2027-08-07 14:00",
                  "--end", "2027-08-07 20:00", "--capacity", "10"], "No event Nowhere", id="unknown-event"),
    pytest.param(["series", "transition", "Friday", "completed", "--reason", "Done"],
                 "A draft series cannot become completed; from draft it can become: scheduled, cancelled.",
                 id="illegal-transition"),
    pytest.param(["series", "transition", "Friday", "scheduled", "--reason", "  "], "reason is required",
                 id="blank-reason"),
    pytest.param(["series", "update", "Friday", "--version", "9", "--capacity", "10"],
                 "you edited version 9, it is now at version 1", id="stale-version"),
    pytest.param(["series", "set-limit", "Friday", "VIP", "lots"], "'lots' is not a whole number",
                 id="limit-not-a-number"),
    pytest.param(["series", "set-limit", "Friday", "VIP", "6000"], "larger than the series capacity",
                 id="limit-over-capacity"),
    pytest.param(["series", "assign-gates", "Friday", "Back Door"], "No gate Back Door in Harbour Days",
                 id="unknown-gate"),
    pytest.param(["series", "assign-bands", "Friday", "--uid", "04AABBCCDDEEFF"],
                 "No wristband in Harbour Days has the UID 04AABBCCDDEEFF.", id="unknown-band"),
    pytest.param(["series", "assign-bands", "Friday"], "Say which bands", id="no-bands-named"),
    pytest.param(["series", "recur", "Friday", "--pattern", "weekly", "--count", "3"],
                 "weekday", id="weekly-without-days"),
    pytest.param(["series", "recur", "Friday", "--pattern", "weekly", "--weekdays", "fry", "--count", "3"],
                 "fry", id="bad-weekday"),
    pytest.param(["event", "create", "Harbour Days", "--timezone", "Europe/Amsterdam"],
                 "An event with name Harbour Days already exists.", id="duplicate-event"),
    pytest.param(["event", "create", "Dune Days", "--timezone", "Mars/Olympus"], "Mars/Olympus",
                 id="unknown-timezone"),
    pytest.param(["event", "create", "Dune Days", "--timezone", "UTC", "--starts-on", "2027-13-01"],
                 "'2027-13-01' is not a date", id="bad-day"),
    pytest.param(["gate", "add", "--event", "Harbour Days", "quay"], "A gate with name quay already exists",
                 id="duplicate-gate"),
    pytest.param(["gate", "add", "--event", "Harbour Days", "Jetty", "--category", "Crew"],
                 "No category Crew in Harbour Days", id="gate-unknown-category"),
    pytest.param(["category", "add", "--event", "Harbour Days", "Crew", "--color", "red"],
                 "'red' is not a colour like #1E90FF.", id="bad-colour"),
    pytest.param(["member", "add", "not-an-address", "--role", "viewer"], "is not an e-mail address",
                 id="bad-email"),
    pytest.param(["member", "add", "viewer@example.org", "--role", "admin"],
                 "A member with e-mail viewer@example.org already exists.", id="duplicate-member"),
    pytest.param(["--as", "nobody@example.org", "series", "list"],
                 "No member with the e-mail nobody@example.org is known", id="unknown-actor"),
    pytest.param(["--as", "viewer@example.org", "series", "create", "--event", "Harbour Days", "Sat",
                  "--start", "2027-08-07 14:00", "--end", "2027-08-07 20:00", "--capacity", "10"],
                 "Your role (viewer) may not create series.", id="viewer-creates"),
    pytest.param(["--as", "manager@example.org", "series", "update", "Friday", "--version", "1",
                  "--capacity", "10"], "Your role (manager) may not", id="manager-updates"),
    pytest.param(["--as", "manager@example.org", "gate", "add", "--event", "Harbour Days", "Jetty"],
                 "Your role (manager) may not", id="manager-adds-gate"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), CASES)
def test_bad_input_is_refused_clearly_and_writes_nothing(festival_cli: Cli, args: list[str],
                                                         message: str) -> None:
    before = counts(festival_cli)
    result = festival_cli(*args)
    assert result.code == 1, result
    assert result.out == ""
    assert result.err.startswith("error: ")
    assert message in result.err
    assert "Traceback" not in result.err
    assert counts(festival_cli) == before


def test_errors_in_json_mode_are_json(festival_cli: Cli) -> None:
    result = festival_cli("--json", "series", "create", "--event", "Harbour Days", "Sat", "--start",
                          "2027-08-07 14:00", "--end", "2027-08-07 10:00", "--capacity", "0")
    assert result.code == 1
    body = json.loads(result.err)
    assert body["error"] == "invalid"
    # Every problem at once, but the check-in window derived from the wrong times is not one of them.
    assert {p["field"] for p in body["problems"]} == {"ends_at", "capacity"}
    assert [p["message"] for p in body["problems"] if p["field"] == "ends_at"] == [
        "The end (2027-08-07 10:00) must come after the start (2027-08-07 14:00)."]


def test_usage_errors_exit_2(cli: Cli) -> None:
    result = cli("series", "transition", "Friday", "paused", "--reason", "x")
    assert result.code == 2
    assert "'paused' is not one of" in result.err


def test_commands_before_any_organization_say_what_to_do(cli: Cli) -> None:
    result = cli("series", "list")
    assert result.code == 1
    assert "Create an organization first: boxoffice org create NAME --owner EMAIL" in result.err
