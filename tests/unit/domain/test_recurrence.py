"""Recurrence patterns: the dates they fall on and the local times on those dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from boxoffice.domain.enums import RecurrenceKind
from boxoffice.domain.recurrence import (
    Instance,
    RecurrenceRule,
    instances,
    occurrence_dates,
    parse_weekdays,
)
from boxoffice.domain.validation import SeriesTimes
from boxoffice.errors import ValidationError

DAILY, WEEKLY, EVERY = (
    RecurrenceKind.DAILY,
    RecurrenceKind.WEEKLY,
    RecurrenceKind.EVERY_N_DAYS,
)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")


def local(
    tz: ZoneInfo, y: int, m: int, d: int, hour: int = 0, minute: int = 0
) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=tz)


def template(start: datetime, hours: float = 4, early: float = 1) -> SeriesTimes:
    end = start + timedelta(hours=hours)
    return SeriesTimes(start, end, start - timedelta(hours=early), end)


def local_starts(result: list[Instance], tz: ZoneInfo) -> list[datetime]:
    return [i.starts_at.astimezone(tz).replace(tzinfo=None) for i in result]


def fields_of(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.field for p in error.value.problems]


# --- the rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        RecurrenceRule(DAILY, 1),
        RecurrenceRule(DAILY, 366),
        RecurrenceRule(EVERY, 10, interval=365),
        RecurrenceRule(WEEKLY, 4, interval=2, weekdays=frozenset({FRI, SAT})),
        RecurrenceRule(WEEKLY, 4, weekdays=frozenset(range(7))),
    ],
)
def test_valid_rules(rule: RecurrenceRule) -> None:
    assert isinstance(rule.weekdays, frozenset)


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"kind": DAILY, "count": 0}, "count", "between 1 and 366; it is 0"),
        ({"kind": DAILY, "count": 367}, "count", "between 1 and 366; it is 367"),
        (
            {"kind": EVERY, "count": 3, "interval": 0},
            "interval",
            "between 1 and 365; it is 0",
        ),
        ({"kind": EVERY, "count": 3, "interval": 366}, "interval", "between 1 and 365"),
        (
            {"kind": WEEKLY, "count": 3, "interval": 0, "weekdays": {MON}},
            "interval",
            "it is 0",
        ),
        ({"kind": DAILY, "count": 3, "interval": 2}, "interval", 'use "every N days"'),
        ({"kind": WEEKLY, "count": 3}, "weekdays", "needs at least one weekday"),
        (
            {"kind": WEEKLY, "count": 3, "weekdays": {7}},
            "weekdays",
            "7 is not a weekday",
        ),
        ({"kind": WEEKLY, "count": 3, "weekdays": {-1, FRI}}, "weekdays", "-1 is not"),
        (
            {"kind": DAILY, "count": 3, "weekdays": {MON}},
            "weekdays",
            "Only a weekly pattern",
        ),
        (
            {"kind": EVERY, "count": 3, "interval": 2, "weekdays": {MON}},
            "weekdays",
            "Only a weekly",
        ),
        (
            {"kind": "fortnightly", "count": 3},
            "kind",
            '"fortnightly" is not a repetition pattern',
        ),
    ],
)
def test_invalid_rules(kwargs: dict[str, object], field: str, text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RecurrenceRule(**kwargs)  # type: ignore[arg-type]
    assert fields_of(caught) == [field]
    assert text in str(caught.value)


def test_all_rule_problems_are_reported_together() -> None:
    with pytest.raises(ValidationError) as caught:
        RecurrenceRule(WEEKLY, 0, interval=0)
    assert fields_of(caught) == ["count", "interval", "weekdays"]


def test_rule_accepts_plain_values() -> None:
    rule = RecurrenceRule("weekly", 2, weekdays=[FRI, SAT])  # type: ignore[arg-type]
    assert rule.kind is WEEKLY
    assert rule.weekdays == frozenset({FRI, SAT})


# --- weekday names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon,wed,fri", {MON, WED, FRI}),
        ("Mon Tue", {MON, TUE}),
        ("  SAT , sun  ", {SAT, SUN}),
        ("Friday,saturday Sunday", {FRI, SAT, SUN}),
        ("thu thu", {THU}),
    ],
)
def test_parse_weekdays(text: str, expected: set[int]) -> None:
    assert parse_weekdays(text) == frozenset(expected)


@pytest.mark.parametrize(
    ("text", "named"), [("1,3", '"1", "3"'), ("mon,fry", '"fry"'), ("tues", '"tues"')]
)
def test_parse_weekdays_refuses_what_it_does_not_know(text: str, named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_weekdays(text)
    assert fields_of(caught) == ["weekdays"]
    assert named in str(caught.value)


@pytest.mark.parametrize("text", ["", "  ", ", ,"])
def test_parse_weekdays_needs_one(text: str) -> None:
    with pytest.raises(ValidationError, match="at least one weekday"):
        parse_weekdays(text)


# --- dates -------------------------------------------------------------------------

WED_JULY_2 = date(2025, 7, 2)


def test_daily_dates() -> None:
    assert occurrence_dates(RecurrenceRule(DAILY, 3), WED_JULY_2) == [
        date(2025, 7, 2),
        date(2025, 7, 3),
        date(2025, 7, 4),
    ]


def test_every_n_days_dates() -> None:
    assert occurrence_dates(RecurrenceRule(EVERY, 3, interval=10), WED_JULY_2) == [
        date(2025, 7, 2),
        date(2025, 7, 12),
        date(2025, 7, 22),
    ]


def test_weekly_dates_skip_days_before_first() -> None:
    rule = RecurrenceRule(WEEKLY, 5, weekdays=frozenset({MON, WED, FRI}))
    assert occurrence_dates(rule, WED_JULY_2) == [
        date(2025, 7, 2),  # Wed; Monday 30 June is before first
        date(2025, 7, 4),  # Fri
        date(2025, 7, 7),  # Mon
        date(2025, 7, 9),
        date(2025, 7, 11),
    ]


def test_weekly_first_need_not_be_an_occurrence() -> None:
    rule = RecurrenceRule(WEEKLY, 2, weekdays=frozenset({MON}))
    assert occurrence_dates(rule, WED_JULY_2) == [date(2025, 7, 7), date(2025, 7, 14)]


def test_weekly_every_other_week_counts_from_the_week_of_first() -> None:
    rule = RecurrenceRule(WEEKLY, 4, interval=2, weekdays=frozenset({TUE, SAT}))
    # Week 0 is 30 June - 6 July: Tuesday 1 July is before first, Saturday 5 counts.
    assert occurrence_dates(rule, WED_JULY_2) == [
        date(2025, 7, 5),
        date(2025, 7, 15),
        date(2025, 7, 19),
        date(2025, 7, 29),
    ]


def test_dates_past_the_end_of_the_calendar() -> None:
    with pytest.raises(ValidationError) as caught:
        occurrence_dates(RecurrenceRule(EVERY, 3, interval=365), date(9998, 6, 1))
    assert fields_of(caught) == ["count"]


# --- instances -------------------------------------------------------------------


def test_instances_are_numbered_and_in_utc() -> None:
    start = local(AMS, 2025, 7, 4, 20, 0)
    result = instances(RecurrenceRule(DAILY, 3), AMS, template(start))
    assert [i.sequence for i in result] == [1, 2, 3]
    assert all(i.starts_at.tzinfo is UTC for i in result)
    assert result[0] == Instance(
        sequence=1,
        starts_at=datetime(2025, 7, 4, 18, 0, tzinfo=UTC),
        ends_at=datetime(2025, 7, 4, 22, 0, tzinfo=UTC),
        checkin_opens_at=datetime(2025, 7, 4, 17, 0, tzinfo=UTC),
        checkin_closes_at=datetime(2025, 7, 4, 22, 0, tzinfo=UTC),
    )
    assert result[2].starts_at == datetime(2025, 7, 6, 18, 0, tzinfo=UTC)


def test_weekly_instances() -> None:
    start = local(AMS, 2025, 7, 4, 20, 0)  # a Friday
    rule = RecurrenceRule(WEEKLY, 4, weekdays=frozenset({FRI, SAT}))
    assert [
        d.date() for d in local_starts(instances(rule, AMS, template(start)), AMS)
    ] == [
        date(2025, 7, 4),
        date(2025, 7, 5),
        date(2025, 7, 11),
        date(2025, 7, 12),
    ]


def test_every_n_days_instances() -> None:
    start = local(NYC, 2025, 7, 4, 9, 0)
    rule = RecurrenceRule(EVERY, 2, interval=7)
    assert local_starts(instances(rule, NYC, template(start)), NYC) == [
        datetime(2025, 7, 4, 9, 0),
        datetime(2025, 7, 11, 9, 0),
    ]


def test_template_in_another_zone_uses_the_series_zone_date() -> None:
    # 23:30 UTC on 4 July is already 5 July in Amsterdam: the pattern starts on the 5th.
    start = datetime(2025, 7, 4, 23, 30, tzinfo=UTC)
    result = instances(RecurrenceRule(DAILY, 2), AMS, template(start))
    assert local_starts(result, AMS) == [
        datetime(2025, 7, 5, 1, 30),
        datetime(2025, 7, 6, 1, 30),
    ]


@pytest.mark.parametrize(
    ("tz", "first", "utc_hours"),
    [
        # Amsterdam: clocks go forward on Sunday 30 March 2025, back on 26 October 2025.
        (AMS, date(2025, 3, 29), [19, 18, 18]),
        (AMS, date(2025, 10, 25), [18, 19, 19]),
        # New York: forward on Sunday 9 March 2025, back on 2 November 2025.
        (NYC, date(2025, 3, 8), [1, 0, 0]),  # 20:00 EST is 01:00 UTC the next day
        (NYC, date(2025, 11, 1), [0, 1, 1]),
    ],
)
def test_local_time_is_kept_across_dst(
    tz: ZoneInfo, first: date, utc_hours: list[int]
) -> None:
    start = datetime.combine(first, time(20, 0), tzinfo=tz)
    result = instances(RecurrenceRule(DAILY, 3), tz, template(start, hours=3, early=2))
    assert [i.starts_at.hour for i in result] == utc_hours
    for i, expected_day in zip(result, range(3), strict=True):
        for moment in (i.starts_at, i.ends_at, i.checkin_opens_at, i.checkin_closes_at):
            assert moment.astimezone(tz).date() == first + timedelta(days=expected_day)
        assert i.starts_at.astimezone(tz).time() == time(20, 0)
        assert i.checkin_opens_at.astimezone(tz).time() == time(18, 0)
        assert i.ends_at.astimezone(tz).time() == time(23, 0)


def test_overnight_series_across_the_spring_change_is_an_hour_shorter() -> None:
    start = local(AMS, 2025, 3, 28, 22, 0)
    end = local(AMS, 2025, 3, 29, 4, 0)  # the next morning
    result = instances(
        RecurrenceRule(DAILY, 3), AMS, SeriesTimes(start, end, start, end)
    )
    assert [i.ends_at - i.starts_at for i in result] == [
        timedelta(hours=6),
        timedelta(hours=5),  # the night the clocks go forward
        timedelta(hours=6),
    ]
    assert {i.ends_at.astimezone(AMS).time() for i in result} == {time(4, 0)}


def test_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    start = local(AMS, 2025, 3, 29, 2, 30)  # 02:30 does not exist on 30 March
    result = instances(RecurrenceRule(DAILY, 3), AMS, template(start, hours=4, early=0))
    assert local_starts(result, AMS) == [
        datetime(2025, 3, 29, 2, 30),
        datetime(2025, 3, 30, 3, 30),
        datetime(2025, 3, 31, 2, 30),
    ]
    assert result[1].ends_at.astimezone(AMS).time() == time(6, 30)


def test_ambiguous_time_takes_the_first_occurrence() -> None:
    start = local(AMS, 2025, 10, 25, 2, 30)  # 02:30 happens twice on 26 October
    result = instances(RecurrenceRule(DAILY, 2), AMS, template(start, early=0))
    assert result[1].starts_at == datetime(
        2025, 10, 26, 0, 30, tzinfo=UTC
    )  # 02:30 summer time
    assert result[1].starts_at.astimezone(AMS).utcoffset() == timedelta(hours=2)


def test_series_turned_inside_out_by_the_gap_is_refused() -> None:
    start = local(AMS, 2025, 3, 29, 2, 30)
    times = SeriesTimes(
        start, local(AMS, 2025, 3, 29, 3, 10), start, local(AMS, 2025, 3, 29, 3, 10)
    )
    with pytest.raises(ValidationError) as caught:
        instances(RecurrenceRule(DAILY, 2), AMS, times)
    assert fields_of(caught) == ["starts_at"]
    assert "On 2025-03-30 the clocks change in Europe/Amsterdam" in str(caught.value)


def test_window_turned_inside_out_by_the_gap_is_refused() -> None:
    times = SeriesTimes(
        local(AMS, 2025, 3, 29, 1, 0),
        local(AMS, 2025, 3, 29, 5, 0),
        local(AMS, 2025, 3, 29, 2, 30),
        local(AMS, 2025, 3, 29, 3, 10),
    )
    with pytest.raises(ValidationError) as caught:
        instances(RecurrenceRule(DAILY, 2), AMS, times)
    assert fields_of(caught) == ["checkin_opens_at"]


def test_naive_template_is_refused() -> None:
    naive = datetime(2025, 7, 4, 20, 0)
    times = SeriesTimes(
        naive, naive + timedelta(hours=1), naive, naive + timedelta(hours=1)
    )
    with pytest.raises(ValidationError) as caught:
        instances(RecurrenceRule(DAILY, 2), AMS, times)
    assert fields_of(caught) == [
        "starts_at",
        "ends_at",
        "checkin_opens_at",
        "checkin_closes_at",
    ]


def test_invalid_template_is_refused() -> None:
    start = local(AMS, 2025, 7, 4, 20, 0)
    with pytest.raises(ValidationError, match="must end after it starts"):
        instances(
            RecurrenceRule(DAILY, 2), AMS, SeriesTimes(start, start, start, start)
        )


# --- properties -----------------------------------------------------------------

ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "Europe/Amsterdam",
        "America/New_York",
        "Australia/Sydney",
        "Australia/Lord_Howe",  # a half-hour clock change
        "Asia/Kolkata",
    )
]


@st.composite
def rules(draw: st.DrawFn) -> RecurrenceRule:
    kind = draw(st.sampled_from(list(RecurrenceKind)))
    count = draw(st.integers(1, 40))
    if kind == DAILY:
        return RecurrenceRule(kind, count)
    if kind == EVERY:
        return RecurrenceRule(kind, count, interval=draw(st.integers(1, 40)))
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    return RecurrenceRule(
        kind, count, interval=draw(st.integers(1, 5)), weekdays=weekdays
    )


@cache
def clock_changes(tz: ZoneInfo, year: int = 2025) -> list[date]:
    """The dates in ``year`` on which ``tz`` changes its clocks."""
    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    noon = [datetime.combine(d, time(12), tzinfo=tz).utcoffset() for d in days]
    return [days[n] for n in range(1, len(days)) if noon[n] != noon[n - 1]]


@st.composite
def templates(draw: st.DrawFn, tz: ZoneInfo) -> SeriesTimes:
    # Half the time start within a few days before a clock change, at night,
    # so that gaps and repeated hours are actually met.
    near = [c - timedelta(days=k) for c in clock_changes(tz) for k in range(3)]
    if draw(st.booleans()) and near:
        day = draw(st.sampled_from(near))
        at = draw(st.times(time(1, 0), time(3, 30)))
    else:
        day = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
        at = draw(st.times())
    wall = datetime.combine(day, at.replace(microsecond=0))
    start = wall.replace(tzinfo=tz).astimezone(UTC)
    duration = timedelta(
        minutes=draw(st.one_of(st.integers(1, 180), st.integers(1, 3 * 24 * 60)))
    )
    early = timedelta(minutes=draw(st.integers(0, 12 * 60)))
    closes_before_end = timedelta(
        minutes=draw(st.integers(0, duration // timedelta(minutes=1) - 1))
    )
    end = start + duration
    return SeriesTimes(start, end, start - early, end - closes_before_end)


def wall_of(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def gap_length(wall: datetime, tz: ZoneInfo) -> timedelta:
    """How far a wall-clock time is pushed forward: zero unless it is in a gap."""
    before = wall.replace(tzinfo=tz, fold=0).utcoffset()
    after = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None and after is not None
    resolved = (
        wall.replace(tzinfo=tz, fold=0)
        .astimezone(UTC)
        .astimezone(tz)
        .replace(tzinfo=None)
    )
    return timedelta(0) if resolved == wall else after - before


FIELDS = ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at")


@given(st.data())
def test_instances_properties(data: st.DataObject) -> None:
    tz = data.draw(st.sampled_from(ZONES))
    rule = data.draw(rules())
    times = data.draw(templates(tz))
    base = wall_of(times.starts_at, tz).date()
    dates = occurrence_dates(rule, base)
    shifted = [
        {f: wall_of(getattr(times, f), tz) + (d - base) for f in FIELDS} for d in dates
    ]

    try:
        result = instances(rule, tz, times)
    except ValidationError as error:
        # Refusal is only allowed when a clock change is involved: a wall time in
        # a gap, or a template whose wall-clock order differs from its real order.
        assert "clocks change" in str(error)
        template_walls = {f: wall_of(getattr(times, f), tz) for f in FIELDS}
        assert (
            any(gap_length(w, tz) for s in shifted for w in s.values())
            or template_walls["ends_at"] <= template_walls["starts_at"]
            or template_walls["checkin_closes_at"] <= template_walls["checkin_opens_at"]
        )
        assume(False)
        return

    assert len(result) == rule.count
    assert [i.sequence for i in result] == list(range(1, rule.count + 1))
    assert all(a.starts_at < b.starts_at for a, b in pairwise(result))
    template_wall_duration = wall_of(times.ends_at, tz) - wall_of(times.starts_at, tz)
    for instance, day, walls in zip(result, dates, shifted, strict=True):
        assert instance.ends_at > instance.starts_at
        for f in FIELDS:
            moment = getattr(instance, f)
            assert moment.tzinfo is UTC
            # Same wall-clock time as the template, pushed forward only out of a gap.
            assert wall_of(moment, tz) == walls[f] + gap_length(walls[f], tz)
        start_wall = wall_of(instance.starts_at, tz)
        assert start_wall.date() == day or gap_length(walls["starts_at"], tz)
        if rule.kind == WEEKLY:
            assert day.weekday() in rule.weekdays
        if not gap_length(walls["starts_at"], tz) and not gap_length(
            walls["ends_at"], tz
        ):
            assert wall_of(instance.ends_at, tz) - start_wall == template_wall_duration
