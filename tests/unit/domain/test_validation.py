"""Names, time zones, series times, category limits and gates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from boxoffice.domain.validation import (
    EARLIEST_TIME,
    INTEGER_RANGE,
    LATEST_TIME,
    MAX_EARLY_CHECKIN,
    MAX_NAME_LENGTH,
    MAX_SERIES_DURATION,
    SeriesTimes,
    check_category_limits,
    check_gates_belong,
    code_key,
    default_checkin_window,
    ensure_aware,
    validate_holder_email,
    validate_holder_name,
    validate_name,
    validate_series,
    validate_timezone,
)
from boxoffice.errors import Problem, ValidationError

START = datetime(2025, 7, 4, 18, 0, tzinfo=UTC)
END = START + timedelta(hours=6)


def times(**changes: datetime) -> SeriesTimes:
    values = {
        "starts_at": START,
        "ends_at": END,
        "checkin_opens_at": START - timedelta(hours=2),
        "checkin_closes_at": END,
    }
    values.update(changes)
    return SeriesTimes(**values)


def problems_of(error: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in error.value.problems]


def fields_of(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.field for p in error.value.problems]


# --- constants -------------------------------------------------------------


def test_constants() -> None:
    assert timedelta(hours=12) == MAX_EARLY_CHECKIN
    assert timedelta(days=31) == MAX_SERIES_DURATION
    assert MAX_NAME_LENGTH == 120


# --- names -----------------------------------------------------------------


def test_name_is_stripped() -> None:
    assert validate_name("name", "  Day 1 \n") == "Day 1"


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_empty_name(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_name("name", value)
    assert problems_of(caught) == [("name", "The name cannot be empty.")]


def test_name_at_the_limit_is_fine() -> None:
    assert validate_name("name", "x" * MAX_NAME_LENGTH) == "x" * MAX_NAME_LENGTH


def test_name_too_long() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_name("name", "x" * (MAX_NAME_LENGTH + 1))
    assert problems_of(caught) == [
        ("name", "The name can be at most 120 characters long; this one has 121.")
    ]


def test_name_custom_limit_counts_after_stripping() -> None:
    assert validate_name("gate name", "  North  ", max_len=5) == "North"
    with pytest.raises(ValidationError, match="at most 4 characters"):
        validate_name("gate name", "North", max_len=4)


# --- time zones ------------------------------------------------------------


def test_known_timezone() -> None:
    assert validate_timezone("Europe/Amsterdam") == ZoneInfo("Europe/Amsterdam")


def test_timezone_spelling_is_canonicalised() -> None:
    assert validate_timezone(" america/new_york ").key == "America/New_York"


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "Europe", "../etc/passwd", "CEST+2", "localtime"]
)
def test_unknown_timezone(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_timezone(name)
    assert fields_of(caught) == ["timezone"]
    message = str(caught.value)
    assert f'"{name}"' in message and "Europe/Amsterdam" in message


# --- aware datetimes ---------------------------------------------------------


def test_ensure_aware() -> None:
    assert ensure_aware("starts_at", START) is START
    with pytest.raises(ValidationError) as caught:
        ensure_aware("starts_at", datetime(2025, 7, 4, 18, 0))
    assert problems_of(caught) == [
        ("starts_at", "The start time must include a time zone.")
    ]


# --- series ----------------------------------------------------------------


def test_a_good_series_passes() -> None:
    validate_series(times(), capacity=5000)


def test_boundaries_that_are_still_fine() -> None:
    validate_series(
        times(
            ends_at=START + MAX_SERIES_DURATION,
            checkin_opens_at=START - MAX_EARLY_CHECKIN,
            checkin_closes_at=START + MAX_SERIES_DURATION,
        ),
        capacity=1,
    )


def test_other_time_zones_compare_as_instants() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    validate_series(times(checkin_opens_at=START.astimezone(amsterdam)), capacity=10)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_at": START}, "ends_at", "The series must end after it starts."),
        (
            {"ends_at": START - timedelta(hours=1)},
            "ends_at",
            "The series must end after it starts.",
        ),
        (
            {"ends_at": START + timedelta(days=32, hours=3), "checkin_closes_at": END},
            "ends_at",
            "A series can last at most 31 days; this one lasts 32 days and 3 hours. "
            "Use a recurring series for longer runs.",
        ),
        (
            {"checkin_closes_at": START - timedelta(hours=2)},
            "checkin_closes_at",
            "Check-in must close after it opens.",
        ),
        (
            {"checkin_opens_at": START - MAX_EARLY_CHECKIN - timedelta(seconds=1)},
            "checkin_opens_at",
            "Check-in can open at most 12 hours before the series starts.",
        ),
        (
            {"checkin_opens_at": END, "checkin_closes_at": END + timedelta(hours=1)},
            "checkin_opens_at",
            "Check-in must open before the series ends.",
        ),
        (
            {"checkin_closes_at": END + timedelta(seconds=1)},
            "checkin_closes_at",
            "Check-in must close no later than the series ends.",
        ),
    ],
)
def test_each_time_rule(changes: dict[str, datetime], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_series(times(**changes), capacity=100)
    assert (field, message) in problems_of(caught)


@pytest.mark.parametrize("capacity", [0, -5])
def test_capacity_must_be_positive(capacity: int) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_series(times(), capacity=capacity)
    assert problems_of(caught) == [
        ("capacity", f"The capacity must be at least 1; it is {capacity}.")
    ]


@pytest.mark.parametrize(
    "field", ["starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at"]
)
def test_naive_datetime_names_its_field(field: str) -> None:
    naive = getattr(times(), field).replace(tzinfo=None)
    with pytest.raises(ValidationError) as caught:
        validate_series(times(**{field: naive}), capacity=100)
    # Only the naive field is reported: comparisons with it are skipped, not crashed.
    assert fields_of(caught) == [field]
    assert "must include a time zone" in str(caught.value)


def test_all_problems_are_reported_together() -> None:
    # Every rule broken at once: ends before it starts, window inside out,
    # opens too early yet after the end, closes after the end, no capacity.
    bad = SeriesTimes(
        starts_at=START,
        ends_at=START - timedelta(days=1),
        checkin_opens_at=START - timedelta(hours=13),
        checkin_closes_at=START - timedelta(hours=20),
    )
    with pytest.raises(ValidationError) as caught:
        validate_series(bad, capacity=0)
    assert fields_of(caught) == [
        "ends_at",
        "checkin_closes_at",
        "checkin_opens_at",
        "checkin_opens_at",
        "checkin_closes_at",
        "capacity",
    ]
    # The error's text is all the sentences in one, for places that show one line.
    assert str(caught.value) == " ".join(m for _, m in problems_of(caught))


def test_naive_and_other_problems_together() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_series(
            times(checkin_opens_at=datetime(2025, 7, 4, 17, 0), ends_at=START),
            capacity=0,
        )
    assert fields_of(caught) == [
        "checkin_opens_at",
        "ends_at",
        "checkin_closes_at",
        "capacity",
    ]


def test_default_checkin_window() -> None:
    assert default_checkin_window(START, END) == (START, END)


def test_default_checkin_window_rejects_naive() -> None:
    with pytest.raises(ValidationError) as caught:
        default_checkin_window(START.replace(tzinfo=None), END.replace(tzinfo=None))
    assert fields_of(caught) == ["starts_at", "ends_at"]


# --- category limits ---------------------------------------------------------


def test_limits_within_capacity_give_no_warnings() -> None:
    assert check_category_limits(500, {"VIP": 100, "Crew": 50}) == []
    assert check_category_limits(500, {}) == []
    assert check_category_limits(500, {"VIP": 500, "Crew": 0}) == []


def test_a_single_limit_over_capacity_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        check_category_limits(500, {"VIP": 600})
    assert problems_of(caught) == [
        ("limits", "The VIP limit (600) is larger than the series capacity (500).")
    ]


def test_a_negative_limit_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        check_category_limits(500, {"Crew": -1})
    assert problems_of(caught) == [
        ("limits", "The Crew limit cannot be negative; it is -1.")
    ]


def test_all_bad_limits_are_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        check_category_limits(5000, {"VIP": 6000, "Crew": -2, "Regular": 100})
    assert len(caught.value.problems) == 2
    assert "VIP limit (6,000)" in str(caught.value) and "Crew" in str(caught.value)


def test_limits_adding_up_over_capacity_only_warn() -> None:
    warnings = check_category_limits(5000, {"VIP": 400, "Regular": 4800})
    assert warnings == [
        "Category limits add up to 5,200, more than the capacity of 5,000; "
        "the capacity still applies at the gates."
    ]


# --- gates -------------------------------------------------------------------


def test_gates_of_the_same_event_pass() -> None:
    check_gates_belong("event-1", [("North", "event-1"), ("South", "event-1")])
    check_gates_belong("event-1", [])


def test_one_foreign_gate() -> None:
    with pytest.raises(ValidationError) as caught:
        check_gates_belong("event-1", [("North", "event-1"), ("Dock", "event-2")])
    assert problems_of(caught) == [("gates", "The gate Dock belongs to another event.")]


def test_several_foreign_gates_are_named() -> None:
    with pytest.raises(ValidationError) as caught:
        check_gates_belong(1, [("North", 2), ("South", 1), ("Dock", 3)])
    assert problems_of(caught) == [
        ("gates", "These gates belong to another event: North, Dock.")
    ]


def test_problem_type() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_name("name", "")
    assert caught.value.problems == [Problem("name", "The name cannot be empty.")]


@pytest.mark.parametrize("value", ["\u200b", " \u200b\u200d ", "\ufeff\u2060", "\u00ad", "\u3164", "\u2800",
                                   "\u0301", "\U000e0020"])
def test_a_name_with_no_visible_character_is_refused(value: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_name("gate name", value)
    assert err.value.message == "The gate name has no visible character; type a name people can read."


@pytest.mark.parametrize("value", ["Zoë", "👍", "Stage\u200dB", "دروازه\u200cشمالی", "7"])
def test_visible_names_keep_their_joiners(value: str) -> None:
    assert validate_name("gate name", value) == value


@pytest.mark.parametrize(("value", "code"), [("Gate\x00A", "U+0000"), ("Gate\nA", "U+000A"),
                                             ("Gate\x7f", "U+007F"), ("Gate\x85A", "U+0085")])
def test_a_control_character_in_a_name_is_named(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_name("gate name", value)
    assert err.value.message == f"The gate name holds a control character ({code}); remove it."


def test_the_holder_rules_are_one_sentence_each() -> None:
    assert validate_holder_name("  Ana  ") == "Ana" and validate_holder_name(" ") is None
    with pytest.raises(ValidationError, match=r"The holder's name holds a control character \(U\+0000\)"):
        validate_holder_name("Ana\x00")
    with pytest.raises(ValidationError, match="at most 200 characters"):
        validate_holder_name("x" * 201)
    assert validate_holder_email(" Ana@Example.org ") == "ana@example.org"
    with pytest.raises(ValidationError, match="is not an e-mail address"):
        validate_holder_email("ana@example\x00.org")
    assert code_key(" A-1 ") == code_key("a-1")


@pytest.mark.parametrize(("capacity", "message"), [
    (INTEGER_RANGE[1], None),
    (INTEGER_RANGE[1] + 1, "The capacity can be at most 2,147,483,647; it is 2,147,483,648."),
    (2**63, "The capacity can be at most 2,147,483,647; it is 9,223,372,036,854,775,808."),
])
def test_capacity_fits_the_database_column(capacity: int, message: str | None) -> None:
    if message is None:
        validate_series(times(), capacity)
        return
    with pytest.raises(ValidationError) as err:
        validate_series(times(), capacity)
    assert err.value.message == message


@pytest.mark.parametrize("moment", [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    datetime(1999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(3000, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),
])
def test_times_outside_the_years_of_a_series_are_refused_without_arithmetic(moment: datetime) -> None:
    with pytest.raises(ValidationError) as err:
        validate_series(SeriesTimes(moment, moment, moment, moment), 10)
    # Said once for the start (the others repeat it), never an OverflowError.
    assert [p.field for p in err.value.problems] == ["starts_at"]
    assert err.value.message.startswith("The start time must fall between the years 2000 and 2999; ")
    assert EARLIEST_TIME.year == 2000 and LATEST_TIME.year == 3000
