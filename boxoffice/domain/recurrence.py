"""Recurring series: which days a pattern falls on, and the times on those days.

A recurring series repeats in *local* time: a concert at 20:00 in Amsterdam
is at 20:00 on every date, even though that is 19:00 UTC in winter and 18:00
UTC in summer. So instances are computed on the wall clock of the series'
time zone and only then turned into UTC.

Wall-clock times that do not exist or exist twice on a date are resolved the
way PEP 495 does with ``fold=0``, deterministically:

* a time in the spring-forward gap (02:30 in Amsterdam on the last Sunday of
  March) is moved forward by the length of the gap (to 03:30 summer time),
  which is where the clock hands would have been had nobody changed them;
* an ambiguous time in the autumn fall-back hour takes its first occurrence
  (summer time), so nothing starts an hour later than people were told.

If that resolution would make an instance end before it starts (or close
check-in before opening it), which only happens for times within the
night of a clock change, the whole generation is refused instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from boxoffice.domain.enums import RecurrenceKind
from boxoffice.domain.validation import SeriesTimes, series_time_problems
from boxoffice.errors import Problem, ValidationError

# A year of daily series; more is a typo and would flood the series list.
MAX_COUNT = 366
# Once a year at the least frequent; beyond that nobody means "recurring".
MAX_INTERVAL = 365

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_WEEKDAY_BY_NAME: Mapping[str, int] = MappingProxyType(
    {name: i for i, name in enumerate(WEEKDAY_NAMES)}
    | {name: i for i, name in enumerate(_FULL_NAMES)}
)


@dataclass(frozen=True)
class RecurrenceRule:
    """A repetition pattern; an invalid one cannot be constructed.

    ``interval`` counts days for ``EVERY_N_DAYS`` and weeks for ``WEEKLY``
    (every other week is ``interval=2``); ``DAILY`` is always every day.
    ``weekdays`` counts from 0 = Monday to 6 = Sunday, as ``date.weekday()``.
    """

    kind: RecurrenceKind
    count: int
    interval: int = 1
    weekdays: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable of weekdays so callers may pass a set or list.
        if not isinstance(self.weekdays, frozenset):
            object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        try:
            object.__setattr__(self, "kind", RecurrenceKind(self.kind))
        except ValueError:
            kinds = ", ".join(k.value for k in RecurrenceKind)
            raise ValidationError.single(
                "kind",
                f'"{self.kind}" is not a repetition pattern; use one of: {kinds}.',
            ) from None
        problems: list[Problem] = []
        if not 1 <= self.count <= MAX_COUNT:
            problems.append(
                Problem(
                    "count",
                    f"The number of repetitions must be between 1 and {MAX_COUNT}; "
                    f"it is {self.count}.",
                )
            )
        if not 1 <= self.interval <= MAX_INTERVAL:
            problems.append(
                Problem(
                    "interval",
                    f"The interval must be between 1 and {MAX_INTERVAL}; "
                    f"it is {self.interval}.",
                )
            )
        elif self.kind == RecurrenceKind.DAILY and self.interval != 1:
            problems.append(
                Problem(
                    "interval",
                    "A daily pattern repeats every day; "
                    f'use "every N days" to repeat every {self.interval} days.',
                )
            )
        if self.kind == RecurrenceKind.WEEKLY:
            if not self.weekdays:
                problems.append(
                    Problem("weekdays", "A weekly pattern needs at least one weekday.")
                )
            bad = sorted(d for d in self.weekdays if not 0 <= d <= 6)
            if bad:
                listed = ", ".join(str(d) for d in bad)
                problems.append(
                    Problem(
                        "weekdays",
                        "Weekdays are numbered 0 (Monday) to 6 (Sunday); "
                        f"{listed} is not a weekday.",
                    )
                )
        elif self.weekdays:
            problems.append(
                Problem("weekdays", "Only a weekly pattern can have weekdays.")
            )
        if problems:
            raise ValidationError(problems)


def parse_weekdays(text: str) -> frozenset[int]:
    """Read weekday names as typed ("fri,sat", "Friday Saturday").

    Numbers are refused on purpose: whether 1 means Monday or Tuesday
    depends on who you ask.
    """
    tokens = text.replace(",", " ").split()
    if not tokens:
        raise ValidationError.single(
            "weekdays", 'Give at least one weekday, for example "fri,sat".'
        )
    bad = [t for t in tokens if t.lower() not in _WEEKDAY_BY_NAME]
    if bad:
        listed = ", ".join(f'"{t}"' for t in bad)
        raise ValidationError.single(
            "weekdays",
            f"{listed} {'is not a weekday' if len(bad) == 1 else 'are not weekdays'}; "
            "use mon, tue, wed, thu, fri, sat, sun or the full names.",
        )
    return frozenset(_WEEKDAY_BY_NAME[t.lower()] for t in tokens)


def _too_far() -> ValidationError:
    return ValidationError.single(
        "count", "This pattern runs past the last date we can store."
    )


def occurrence_dates(rule: RecurrenceRule, first: date) -> list[date]:
    """The local dates the pattern falls on, starting on or after ``first``.

    For a weekly pattern, week 0 is the Monday-to-Sunday week containing
    ``first``; with ``interval=2`` weeks 0, 2, 4, ... are used. Days of week 0
    before ``first`` are skipped, so ``first`` is a lower bound, not
    necessarily an occurrence.
    """
    try:
        if rule.kind == RecurrenceKind.WEEKLY:
            return _weekly_dates(rule, first)
        step = 1 if rule.kind == RecurrenceKind.DAILY else rule.interval
        return [first + timedelta(days=k * step) for k in range(rule.count)]
    except OverflowError:
        raise _too_far() from None


def _weekly_dates(rule: RecurrenceRule, first: date) -> list[date]:
    monday = first - timedelta(days=first.weekday())
    days = sorted(rule.weekdays)
    found: list[date] = []
    week = 0
    while len(found) < rule.count:
        for weekday in days:
            day = monday + timedelta(weeks=week, days=weekday)
            if day >= first:
                found.append(day)
                if len(found) == rule.count:
                    break
        week += rule.interval
    return found


@dataclass(frozen=True)
class Instance:
    """One generated series, in UTC, ready to be stored."""

    sequence: int  # 1-based, in date order
    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime


def _shift_wall_clock(moment: datetime, tz: ZoneInfo, days: int) -> datetime:
    """The same local wall-clock time ``days`` calendar days later, in UTC.

    ``fold=0`` gives the documented gap and ambiguity behaviour (see the
    module docstring); converting to UTC is what applies it.
    """
    wall = moment.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def instances(rule: RecurrenceRule, tz: ZoneInfo, times: SeriesTimes) -> list[Instance]:
    """The series generated by ``rule`` from the template ``times``.

    The first occurrence date is the local date of ``times.starts_at``; each
    instance keeps the template's local wall-clock times, moved to its date.
    The template must be a valid series (it is checked, so that a refusal
    below can only be caused by a clock change). Instances are not checked
    against the early check-in limit again: on a clock-change day a window
    that was exactly 12 hours long may be 11 or 13 hours, which is intended.
    """
    problems = series_time_problems(times)
    if problems:
        raise ValidationError(problems)

    base = times.starts_at.astimezone(tz).date()
    result: list[Instance] = []
    for sequence, day in enumerate(occurrence_dates(rule, base), start=1):
        offset = (day - base).days
        try:
            instance = Instance(
                sequence=sequence,
                starts_at=_shift_wall_clock(times.starts_at, tz, offset),
                ends_at=_shift_wall_clock(times.ends_at, tz, offset),
                checkin_opens_at=_shift_wall_clock(times.checkin_opens_at, tz, offset),
                checkin_closes_at=_shift_wall_clock(
                    times.checkin_closes_at, tz, offset
                ),
            )
        except OverflowError:
            raise _too_far() from None
        _check_order(instance, day, tz)
        result.append(instance)
    return result


def _check_order(instance: Instance, day: date, tz: ZoneInfo) -> None:
    """Refuse an instance that a clock change turned inside out."""
    when = f"On {day.isoformat()} the clocks change in {tz}"
    if instance.ends_at <= instance.starts_at:
        raise ValidationError.single(
            "starts_at",
            f"{when}, so this series would end before it starts. "
            "Choose times outside the night of the clock change.",
        )
    if instance.checkin_closes_at <= instance.checkin_opens_at:
        raise ValidationError.single(
            "checkin_opens_at",
            f"{when}, so check-in would close before it opens. "
            "Choose times outside the night of the clock change.",
        )
