"""Money as people read and type it: minor units (cents) in the store, "EUR 12.50" on paper and screen.

Every amount is kept as an integer of minor units with its ISO 4217 code
beside it; the door sales price in hundredths (``parse_money`` reads
"25.00" as 2500). :func:`format_money` is the one way an amount is written
for a person: reports, the CLI, the service's sentences and the desktop
import it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from boxoffice.errors import ValidationError

MINOR_PER_MAJOR = 100


def format_money(minor: int, currency: str) -> str:
    """2500, "EUR" as "EUR 25.00"; -350 as "EUR -3.50"; thousands grouped ("EUR 1,234.50")."""
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), MINOR_PER_MAJOR)
    return f"{currency} {sign}{major:,}.{cents:02d}"


def plain_amount(minor: int) -> str:
    """2500 as "25.00": a bare number for a CSV cell (no currency, no grouping)."""
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), MINOR_PER_MAJOR)
    return f"{sign}{major}.{cents:02d}"


def parse_money(field: str, text: str) -> int:
    """ "25", "25.5", "25.50" as minor units (2500, 2550, 2550); a sentence for anything else."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValidationError.single(field, f"{text!r} is not an amount; write it like 25.00.") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValidationError.single(field, f"{text!r} is not an amount in cents; write it like 25.00.")
    return int(value * MINOR_PER_MAJOR)


@dataclass(frozen=True, order=True)
class Money:
    """An amount with its currency, for a report's cell: the PDF prints it, the CSV writes it bare."""

    currency: str
    minor: int

    def __str__(self) -> str:
        return format_money(self.minor, self.currency)
