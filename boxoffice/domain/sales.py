"""Pure rules of a door sale: the change to give, a booking reference, a lease's size.

No I/O here: the services gather the figures (what a station sold lately,
what was tendered) and these answer, so the rules can be read and tested
on their own.
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta

from boxoffice.domain.validation import (
    LEASE_COVERS,
    LEASE_RATE_WINDOW,
    MAX_LEASE,
    MIN_LEASE,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
)


def new_reference() -> str:
    """A booking reference ("7KQ2MX"): random, so stations offline never need to agree on one.

    Uniqueness is the database's unique key; a clash (about one in a billion
    per pair) is retried with a new one by the caller.
    """
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def ticket_code(reference: str, index: int) -> str:
    """The code of the ``index``-th ticket (from 1) of an order: what a band is encoded with."""
    return f"{reference}-{index}"


def change_due(total_minor: int, tendered_minor: int) -> int:
    """The change to hand back for cash; the caller has checked ``tendered >= total``."""
    return tendered_minor - total_minor


def lease_size(sold_recently: int, *, window: timedelta = LEASE_RATE_WINDOW,
               covers: timedelta = LEASE_COVERS) -> int:
    """How many places a station asks to lease of a product, from what it sold lately.

    The rule: enough for ``covers`` at the rate of the last ``window``
    (``sold_recently`` places), at least ``MIN_LEASE`` (a quiet station still
    sells the first tickets of a rush offline) and at most ``MAX_LEASE`` (one
    station never sits on a large part of a small quota; the server also
    grants no more than is free). A busier station asks for more, and
    returns what it did not use at its next sync.
    """
    wanted = math.ceil(sold_recently * (covers / window))
    return max(MIN_LEASE, min(MAX_LEASE, wanted))
