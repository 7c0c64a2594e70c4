"""Rules for names, time zones and series times, with reasons a person can act on.

Every check collects all that is wrong before raising, so a form can mark
every bad field at once instead of making someone fix them one at a time.

Category limits are a deliberate split: a single limit above the series
capacity is rejected, because that number can never be reached and is almost
certainly a typo; limits that only *together* exceed the capacity are a
warning, not an error. Limits are ceilings, not reservations: 400 VIP and
4,800 regular on a 5,000 series is a sensible way of saying "at most 400 VIP",
and the capacity itself is still enforced at the gates.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

from boxoffice.errors import Problem, ValidationError

# Doors open a few hours before a show, and a festival day may start its
# check-in the evening before; more than half a day early is a mistake in
# the date, not a plan.
MAX_EARLY_CHECKIN = timedelta(hours=12)
# A series is one admission unit (a day, a weekend, a week of a festival).
# Anything longer than a month is a date typo; long runs are recurring series.
MAX_SERIES_DURATION = timedelta(days=31)
# Fits on a wristband print, a gate display and the database column.
MAX_NAME_LENGTH = 120

# How fields are named in sentences.
FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "starts_at": "start time",
        "ends_at": "end time",
        "checkin_opens_at": "check-in opening time",
        "checkin_closes_at": "check-in closing time",
    }
)

# Names zoneinfo knows on some machines only; storing one would break elsewhere.
_MACHINE_LOCAL_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def is_aware(value: datetime) -> bool:
    """True when ``value`` is one instant; a naive time differs per machine."""
    return value.tzinfo is not None and value.utcoffset() is not None


def naive_problem(field: str, value: datetime) -> Problem | None:
    """The problem to report for a naive datetime, or None if it is aware."""
    if is_aware(value):
        return None
    label = FIELD_LABELS.get(field, field.replace("_", " "))
    return Problem(field, f"The {label} must include a time zone.")


def ensure_aware(field: str, value: datetime) -> datetime:
    """Reject a naive datetime, naming the field; return it unchanged otherwise."""
    problem = naive_problem(field, value)
    if problem is not None:
        raise ValidationError([problem])
    return value


def validate_name(field: str, value: str, max_len: int = MAX_NAME_LENGTH) -> str:
    """Strip and check a name; surrounding blanks are never meant and break lookups."""
    stripped = value.strip()
    if not stripped:
        raise ValidationError.single(field, f"The {field} cannot be empty.")
    if len(stripped) > max_len:
        raise ValidationError.single(
            field,
            f"The {field} can be at most {max_len} characters long; "
            f"this one has {len(stripped)}.",
        )
    return stripped


@lru_cache(maxsize=1)
def _known_zones() -> Mapping[str, str]:
    """Lower-cased IANA name to its canonical spelling, read once."""
    return {
        name.lower(): name
        for name in zoneinfo.available_timezones()
        if name not in _MACHINE_LOCAL_ZONES
    }


def validate_timezone(name: str) -> zoneinfo.ZoneInfo:
    """Turn an IANA name into a zone, accepting any capitalisation.

    The name is matched case-insensitively and the zone is built from its
    canonical spelling, because on Windows and macOS ``ZoneInfo`` would accept
    "europe/amsterdam" and store that spelling, which a Linux server then
    cannot load.
    """
    canonical = _known_zones().get(name.strip().lower())
    if canonical is None:
        raise ValidationError.single(
            "timezone",
            f'"{name}" is not a time zone we know. '
            'Use a name like "Europe/Amsterdam" or "America/New_York".',
        )
    return zoneinfo.ZoneInfo(canonical)


@dataclass(frozen=True)
class SeriesTimes:
    """The four instants that define when a series runs and when gates admit."""

    starts_at: datetime
    ends_at: datetime
    checkin_opens_at: datetime
    checkin_closes_at: datetime


def _hours(delta: timedelta) -> str:
    hours = round(delta.total_seconds() / 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"


def _days_and_hours(delta: timedelta) -> str:
    days, rest = delta.days, delta - timedelta(days=delta.days)
    text = "1 day" if days == 1 else f"{days} days"
    hours = int(rest.total_seconds() // 3600)
    if hours:
        text += " and " + _hours(timedelta(hours=hours))
    return text


def series_time_problems(times: SeriesTimes) -> list[Problem]:
    """Everything wrong with the four times; empty when they are fine.

    Comparisons that involve a naive time are skipped: the naive time is
    already reported, and comparing it would only add noise (or crash).
    """
    problems: list[Problem] = []
    aware: dict[str, bool] = {}
    for field in FIELD_LABELS:
        problem = naive_problem(field, getattr(times, field))
        aware[field] = problem is None
        if problem is not None:
            problems.append(problem)

    def both(a: str, b: str) -> bool:
        return aware[a] and aware[b]

    start, end = times.starts_at, times.ends_at
    opens, closes = times.checkin_opens_at, times.checkin_closes_at

    if both("starts_at", "ends_at"):
        if end <= start:
            problems.append(Problem("ends_at", "The series must end after it starts."))
        elif end - start > MAX_SERIES_DURATION:
            problems.append(
                Problem(
                    "ends_at",
                    f"A series can last at most {MAX_SERIES_DURATION.days} days; "
                    f"this one lasts {_days_and_hours(end - start)}. "
                    "Use a recurring series for longer runs.",
                )
            )
    if both("checkin_opens_at", "checkin_closes_at") and closes <= opens:
        problems.append(
            Problem("checkin_closes_at", "Check-in must close after it opens.")
        )
    if both("checkin_opens_at", "starts_at") and opens < start - MAX_EARLY_CHECKIN:
        problems.append(
            Problem(
                "checkin_opens_at",
                f"Check-in can open at most {_hours(MAX_EARLY_CHECKIN)} "
                "before the series starts.",
            )
        )
    if both("checkin_opens_at", "ends_at") and opens >= end:
        problems.append(
            Problem("checkin_opens_at", "Check-in must open before the series ends.")
        )
    if both("checkin_closes_at", "ends_at") and closes > end:
        problems.append(
            Problem(
                "checkin_closes_at",
                "Check-in must close no later than the series ends.",
            )
        )
    return problems


def validate_series(times: SeriesTimes, capacity: int) -> None:
    """Check a series' times and capacity, reporting every problem in one error."""
    problems = series_time_problems(times)
    if capacity < 1:
        problems.append(
            Problem("capacity", f"The capacity must be at least 1; it is {capacity:,}.")
        )
    if problems:
        raise ValidationError(problems)


def default_checkin_window(
    starts_at: datetime, ends_at: datetime
) -> tuple[datetime, datetime]:
    """Check-in open for exactly the run of the series, the safe default.

    Anything earlier is a decision someone should make on purpose.
    """
    problems = [
        p
        for p in (
            naive_problem("starts_at", starts_at),
            naive_problem("ends_at", ends_at),
        )
        if p is not None
    ]
    if problems:
        raise ValidationError(problems)
    return starts_at, ends_at


def check_category_limits(capacity: int, limits: Mapping[str, int]) -> list[str]:
    """Reject impossible limits and return warnings for merely surprising ones.

    See the module docstring for why the sum is only a warning.
    """
    problems: list[Problem] = []
    for name, limit in limits.items():
        if limit < 0:
            problems.append(
                Problem(
                    "limits", f"The {name} limit cannot be negative; it is {limit:,}."
                )
            )
        elif limit > capacity:
            problems.append(
                Problem(
                    "limits",
                    f"The {name} limit ({limit:,}) is larger than "
                    f"the series capacity ({capacity:,}).",
                )
            )
    if problems:
        raise ValidationError(problems)

    warnings: list[str] = []
    total = sum(limits.values())
    if total > capacity:
        warnings.append(
            f"Category limits add up to {total:,}, "
            f"more than the capacity of {capacity:,}; "
            "the capacity still applies at the gates."
        )
    return warnings


def check_gates_belong(event_id: object, gates: Iterable[tuple[str, object]]) -> None:
    """Refuse gates of another event: they would admit people to the wrong site."""
    strangers = [name for name, gate_event_id in gates if gate_event_id != event_id]
    if not strangers:
        return
    if len(strangers) == 1:
        message = f"The gate {strangers[0]} belongs to another event."
    else:
        message = f"These gates belong to another event: {', '.join(strangers)}."
    raise ValidationError.single("gates", message)
