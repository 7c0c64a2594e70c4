"""Rules for names, texts, numbers, time zones and series times, with reasons a person can act on.

Every channel (the REST API, the command line, a CSV import, a station's
push) reaches these through the services, so a value is refused with the
same sentence whichever way it came in, and SQLite and PostgreSQL never
differ on what they accept: a number is checked against the range of the
column that keeps it (PostgreSQL's INTEGER is narrower than SQLite's), and a
time against the years a series can sensibly fall in, before any arithmetic
on it can overflow.

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

import re
import unicodedata
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
# A series' description: a paragraph for staff, not a document.
MAX_DESCRIPTION = 2000
# What a ``Mapped[int]`` column holds: PostgreSQL's INTEGER. SQLite would take
# 64 bits, so without this check the two databases would disagree.
INTEGER_RANGE = (-(2**31), 2**31 - 1)
# When a series can take place. Outside this a time is a typo, and arithmetic
# on it (a check-in window, a recurrence) could run off Python's calendar.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(3000, 1, 1, tzinfo=UTC)
# How far ahead of the server's clock a station's clock may run: a time a
# station says something happened (a band encoded) later than this is wrong.
MAX_CLOCK_SKEW = timedelta(minutes=5)
# A ticket's code, as ticketing systems print them, and its holder's details.
MAX_TICKET_CODE = 64
MAX_HOLDER_NAME = 200
MAX_EMAIL = 254
# An event's venue and its IANA time zone name (the longest real one has 32 characters).
MAX_VENUE = 200
MAX_TIMEZONE = 64
# A category's colour: ``#RRGGBB``.
MAX_COLOR = 7
# Categories a gate may be limited to, and gates a series may use, in one request.
MAX_GATE_CATEGORIES = 100
MAX_SERIES_GATES = 500
# Why a series changes state: a sentence or two for the log, kept whole.
MAX_TRANSITION_REASON = 1000
# A band's UID as stored: hex digits (4-, 7- and 10-byte UIDs are 8, 14 and 20), up to the column's 32.
MAX_UID = 32
# A gate's scan id and device name: what their columns hold, on SQLite and PostgreSQL alike.
MAX_SCAN_ID = 64
MAX_DEVICE_ID = 120
# A signed band payload in hex: NTAG216's 888 user bytes are the most any band holds.
MAX_PAYLOAD_HEX = 2 * 888
# Band numbers a station reserves at once: enough for a night offline at one encoder
# (about 600 bands an hour), and at most so many that a forgotten block leaves no wide gap.
NUMBER_BLOCK = 200
MAX_NUMBER_BLOCK = 5_000
# A band number is printed with four digits and kept in a 32-bit column.
BAND_NUMBER_RANGE = (1, 2**31 - 1)

# Door sales (``boxoffice.services.products``, ``sales``, ``place_leases``, ``waitlist``).
# A price in minor units (cents): up to 100,000.00 a ticket; more is a typo of the decimal point.
MAX_PRICE_MINOR = 10_000_000
# Places a product can have: a very large festival day, well inside the 32-bit column.
MAX_QUOTA = 1_000_000
# Tickets of one product in one sale: a family or a small group at the counter; more is a typo
# (a group booking is made in several sales, or through the ticketing system).
MAX_QUANTITY_PER_LINE = 20
# Lines of one order: every product of a small festival at once.
MAX_LINES_PER_ORDER = 20
# A card terminal's receipt number, a complimentary ticket's reason, a refund's reason.
MAX_PAYMENT_REFERENCE = 64
MAX_REASON = 500
# A booking reference staff read aloud: six characters without the 0/O and 1/I look-alikes
# (32**6, about a billion references: a collision is retried, never kept).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
REFERENCE_ATTEMPTS = 8
# Places leased to a station at once, and for how long (see ``services.place_leases``): a
# lease is sized from the station's recent sales (``domain.sales.lease_size``) between these.
MIN_LEASE = 5
MAX_LEASE = 200
# The sales a lease is sized on: the places sold at the station over this past window, and
# the time ahead a lease should cover (an afternoon without network at that rate).
LEASE_RATE_WINDOW = timedelta(hours=1)
LEASE_COVERS = timedelta(hours=2)
# A lease's life; a station never sells from it after ``expires_at`` by its own clock.
LEASE_DURATION = timedelta(hours=4)
# How long after ``expires_at`` the server waits before it takes back a lease's unused places:
# more than a station's clock may be wrong by (``MAX_CLOCK_SKEW``), so a sale the station made
# just before expiry by its clock is still inside the lease when it arrives.
LEASE_GRACE = timedelta(minutes=15)
# A station gives a lease back at sync when it ends within this, and leases a fresh one.
LEASE_RENEW_BEFORE = timedelta(minutes=30)
# How long a waitlist offer holds its place before it passes to the next person.
OFFER_DURATION = timedelta(minutes=30)
MAX_CONTACT = 254
_HEX = frozenset("0123456789ABCDEFabcdef")
# Deliberately loose: an address is an identifier here, not a mailbox we write to.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Letters that draw nothing (Hangul fillers, the blank Braille pattern): a name of these looks empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")

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


def control_characters(text: str) -> list[str]:
    """The control characters in ``text`` (NUL, a line break, DEL…) as U+XXXX, each once, in order."""
    found = dict.fromkeys(f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cc")
    return list(found)


def is_visible(char: str) -> bool:
    """A character that draws something: a letter, digit, punctuation or symbol.

    Not a space, not a combining mark on its own, not a format character
    (zero-width space, joiners, the byte-order mark, soft hyphen), not a control.
    """
    return unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LETTERS


def text_problem(field: str, label: str, value: str, max_len: int) -> Problem | None:
    """What is wrong with a (stripped, non-empty) text: a control character, or its length."""
    controls = control_characters(value)
    if controls:
        return Problem(field, f"The {label} holds a control character ({', '.join(controls)}); "
                              "remove it.")
    if len(value) > max_len:
        return Problem(field, f"The {label} can be at most {max_len} characters long; "
                              f"this one has {len(value)}.")
    return None


def uid_form(text: str) -> str:
    """A UID as a reader printed it or a person typed it (``04:A2:…``), in the stored form, unchecked."""
    return "".join(ch for ch in text if ch not in ": -").upper()


def shown_uid(uid: str) -> str:
    """A UID for a sentence: at most 40 characters of it, and control characters as U+XXXX."""
    shown = uid if len(uid) <= 40 else f"{uid[:40]}… ({len(uid)} characters)"
    return "".join(ch if ch.isprintable() else f"U+{ord(ch):04X}" for ch in shown)


def validate_uid(value: str, field: str = "uid") -> str:
    """A UID as readers print it (``04:A2:…``, ``04a2…``, with spaces) in the one form stored, or refused.

    Checked here, before anything is written, so SQLite (which would keep a
    10,000-character UID in its 32-character column) and PostgreSQL (which
    refuses it) answer alike, and a station never makes what the server refuses.
    """
    uid = uid_form(value)
    if not uid or len(uid) > MAX_UID or not set(uid) <= _HEX:
        said = shown_uid(uid) or "an empty one"
        raise ValidationError.single(
            field, f"A band's UID is up to {MAX_UID} hex digits, like 04A2B3C4D5E6F7; {said} is not.")
    return uid


def validate_token(field: str, label: str, value: str, max_len: int) -> str:
    """A machine-made text (a scan id, a device name): not empty, no control character, within its column."""
    if not value:
        raise ValidationError.single(field, f"The {label} is empty.")
    problem = text_problem(field, label, value, max_len)
    if problem is not None:
        raise ValidationError([problem])
    return value


def validate_payload_hex(value: str, field: str = "payload") -> bytes:
    """A band's signed payload as a station sends it (hex), as bytes; a sentence when it is not hex."""
    if len(value) > MAX_PAYLOAD_HEX or len(value) % 2 or not set(value) <= _HEX:
        raise ValidationError.single(field, f"A band's payload is an even number of hex digits (at most "
                                            f"{MAX_PAYLOAD_HEX}); this one is not.")
    return bytes.fromhex(value)


def validate_name(field: str, value: str, max_len: int = MAX_NAME_LENGTH) -> str:
    """Strip and check a name; surrounding blanks are never meant and break lookups.

    A name must show something: one made only of invisible characters (a
    zero-width space) looks empty in every list yet is not, and cannot be
    typed to look it up.
    """
    stripped = value.strip()
    if not stripped:
        raise ValidationError.single(field, f"The {field} cannot be empty.")
    problem = text_problem(field, field, stripped, max_len)
    if problem is not None:
        raise ValidationError([problem])
    if not any(is_visible(c) for c in stripped):
        raise ValidationError.single(
            field, f"The {field} has no visible character; type a name people can read."
        )
    return stripped


def validate_optional_text(field: str, label: str, value: str | None, max_len: int) -> str | None:
    """Strip a text that may be left out (a ticket holder's name); blank becomes None."""
    stripped = value.strip() if value else ""
    if not stripped:
        return None
    problem = text_problem(field, label, stripped, max_len)
    if problem is not None:
        raise ValidationError([problem])
    return stripped


def validate_ticket_code(code: str) -> str:
    """A ticket's code as printed on it; codes of one event are unique ignoring case."""
    code = code.strip()
    if not code:
        raise ValidationError.single("code", "A ticket code cannot be empty.")
    if len(code) > MAX_TICKET_CODE:
        raise ValidationError.single("code", f"A ticket code has at most {MAX_TICKET_CODE} characters.")
    if not code.isprintable():
        raise ValidationError.single("code", "A ticket code cannot hold control characters.")
    return code


def validate_holder_name(value: str | None) -> str | None:
    return validate_optional_text("holder_name", "holder's name", value, MAX_HOLDER_NAME)


def validate_email(field: str, value: str) -> str:
    """An e-mail address, lower-cased (a member's login, a ticket holder's address)."""
    email = value.strip().lower()
    if len(email) > MAX_EMAIL or not email.isprintable() or not _EMAIL.match(email):
        raise ValidationError.single(field, f"{value!r} is not an e-mail address.")
    return email


def validate_holder_email(value: str | None) -> str | None:
    return validate_email("holder_email", value) if value and value.strip() else None


def code_key(code: str) -> str:
    """What two ticket codes share when they are the same code ("A-1" and "a-1")."""
    return code.strip().lower()


def integer_problem(field: str, label: str, value: int,
                    bounds: tuple[int, int] = INTEGER_RANGE) -> Problem | None:
    """A number the database column cannot hold, said with the bounds it can."""
    low, high = bounds
    if value > high:
        return Problem(field, f"The {label} can be at most {high:,}; it is {value:,}.")
    if value < low:
        return Problem(field, f"The {label} can be no less than {low:,}; it is {value:,}.")
    return None


def time_range_problem(field: str, value: datetime) -> Problem | None:
    """An aware time outside the years a series can take place in (a typo such as year 1)."""
    if EARLIEST_TIME <= value < LATEST_TIME:
        return None
    label = FIELD_LABELS.get(field, field.replace("_", " "))
    return Problem(
        field,
        f"The {label} must fall between the years {EARLIEST_TIME.year} and "
        f"{LATEST_TIME.year - 1}; {value.isoformat(sep=' ', timespec='minutes')[:16]} does not.",
    )


def station_time_problem(field: str, label: str, value: datetime, now: datetime) -> Problem | None:
    """A time a station's clock gave (when a band was encoded) that cannot be so.

    Stations work offline and send what they did later, so their times are in
    the past, by minutes or days; a time ahead of ``now`` (the server's
    clock) by more than ``MAX_CLOCK_SKEW``, or before ``EARLIEST_TIME``, is a
    station whose clock is wrong, and its time is not kept.
    """
    shown = value.astimezone(UTC).isoformat(sep=" ", timespec="seconds")[:19] + " UTC"
    if value > now + MAX_CLOCK_SKEW:
        minutes = int(MAX_CLOCK_SKEW.total_seconds() // 60)
        return Problem(field, f"The {label} ({shown}) is in the future by more than {minutes} minutes: "
                              "the station's clock is wrong; set it right.")
    if value < EARLIEST_TIME:
        return Problem(field, f"The {label} ({shown}) is before the year {EARLIEST_TIME.year}: "
                              "the station's clock is wrong; set it right.")
    return None


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

    Comparisons that involve a naive time, or one outside the years a series
    can take place in, are skipped: that time is already reported, and
    comparing it would only add noise (or crash).
    """
    problems: list[Problem] = []
    aware: dict[str, bool] = {}
    out_of_range: set[datetime] = set()
    for field in FIELD_LABELS:
        value = getattr(times, field)
        problem = naive_problem(field, value)
        if problem is None and (problem := time_range_problem(field, value)) is not None:
            # A check-in window left to default copies the start and end: said once is enough.
            if value in out_of_range:
                problem = Problem(field, "")
            out_of_range.add(value)
        # "aware" here means: safe to compare and to do arithmetic on.
        aware[field] = problem is None
        if problem is not None and problem.message:
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
    else:
        too_big = integer_problem("capacity", "capacity", capacity)
        if too_big is not None:
            problems.append(too_big)
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


def validate_currency(value: str) -> str:
    """An ISO 4217 code ("EUR"), upper-cased; three letters, nothing else."""
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationError.single("currency", f"A currency is three letters, like EUR or GBP; "
                                                 f"{value!r} is not.")
    return code


def price_problem(price_minor: int) -> Problem | None:
    """A price (in cents) that cannot be: below zero, or more than ``MAX_PRICE_MINOR``."""
    if price_minor < 0:
        return Problem("price", "A price cannot be negative; a free ticket has price 0.")
    if price_minor > MAX_PRICE_MINOR:
        return Problem("price", f"A price can be at most {MAX_PRICE_MINOR / 100:,.2f}; "
                                f"{price_minor / 100:,.2f} is surely a typo.")
    return None


def quota_problem(quota: int) -> Problem | None:
    if quota < 0:
        return Problem("quota", "A quota cannot be negative.")
    if quota > MAX_QUOTA:
        return Problem("quota", f"A quota can be at most {MAX_QUOTA:,}; it is {quota:,}.")
    return None


def quantity_problem(quantity: int, product: str = "") -> Problem | None:
    """A number of tickets in one line of a sale: 1 to ``MAX_QUANTITY_PER_LINE``."""
    of = f" of {product}" if product else ""
    if quantity < 1:
        return Problem("quantity", f"Sell at least one ticket{of}; {quantity} is not a quantity.")
    if quantity > MAX_QUANTITY_PER_LINE:
        return Problem("quantity", f"At most {MAX_QUANTITY_PER_LINE} tickets{of} in one sale; "
                                   f"{quantity} is surely a typo (sell a group in several sales).")
    return None


def validate_reason(field: str, label: str, value: str | None) -> str:
    """A reason a person must give (a complimentary ticket, a refund): not empty, one paragraph."""
    text = validate_optional_text(field, label, value, MAX_REASON)
    if text is None:
        raise ValidationError.single(field, f"Say the {label}.")
    return text


def contact_key(contact: str) -> str:
    """What two ways of writing one contact share: an e-mail lower-cased, a phone number's digits.

    One waitlist entry per person and product rests on it (a unique key), so
    "+31 6 1234 5678" and "0031612345678" are not yet the same person, but
    "+31 6-1234 5678" and "+31612345678" are.
    """
    text = contact.strip().lower()
    if "@" in text:
        return text
    digits = "".join(ch for ch in text if ch.isdigit())
    return ("+" if text.startswith("+") else "") + digits if digits else text
