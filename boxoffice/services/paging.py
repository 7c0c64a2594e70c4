"""Keyset paging: a page's position is the last row's sort key, handed out as an opaque token.

An offset would skip or repeat rows when someone adds a band or a tap
arrives while a client walks the list; the sort key does not move.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from boxoffice.errors import ValidationError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def check_limit(limit: int, maximum: int = MAX_LIMIT) -> int:
    if not 1 <= limit <= maximum:
        raise ValidationError.single("limit", f"A page holds from 1 to {maximum:,} rows.")
    return limit


def encode(kind: str, *values: str) -> str:
    """An opaque position: which list it belongs to (``kind``) and the last row's key."""
    raw = json.dumps([kind, *values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def not_a_position() -> ValidationError:
    return ValidationError.single(
        "after", "This is not a position in this list; start again without `after`."
    )


def decode(token: str, kind: str, arity: int) -> list[str]:
    """The key inside ``token``; a token of another list, or a made-up one, is refused."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != arity + 1
        or values[0] != kind
        or not all(isinstance(v, str) for v in values)
    ):
        raise not_a_position()
    return values[1:]


def decode_time(value: str) -> datetime:
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise not_a_position()
    return found


def as_utc(field: str, value: datetime) -> datetime:
    """An aware time in UTC; a time so near year 1 or 9999 that UTC is out of range is refused."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError.single(field, f"{value.isoformat()} is out of range.") from None
