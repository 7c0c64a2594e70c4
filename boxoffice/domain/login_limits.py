"""How failed logins slow down whoever makes them, without handing a stranger the owner's lock.

Every limit is declared here, once; the login service, the server's answer
and the tests all read them from ``LIMITS``.

A failed login counts against three counters, each a *delay* rather than a
lock: a few failures are free, then each one makes the next attempt wait
twice as long as the last, up to a ceiling; failures also leak away with
time (one per ``leak_every``), so typos spread over a day never add up. The
ceiling and the leak together set how many guesses a patient attacker gets:
about one per ``leak_every``, for ever.

1. **this account from this address** (``ACCOUNT_FROM_ADDRESS``): someone
   guessing one password. Always applies.
2. **this address** (``ADDRESS``): one address trying many accounts
   ("spraying"). Does not apply to an account that has logged in from this
   address before (within ``TRUSTED_FOR``): a box office behind one public
   address keeps working while a colleague mistypes.
3. **this account** (``ACCOUNT``): many addresses guessing one account. Does
   not apply from an address the account has logged in from before, so a
   stranger's failures never keep the owner out of their usual places; from
   a new place the owner waits at most this limit's ceiling.

While a counter makes an attempt wait, the attempt is answered "try again in
N seconds" (HTTP 429 with ``Retry-After``) without looking at the password
at all, so waiting is the only way forward. Counters are keyed by what was
typed (the e-mail, the organization named, the address), never by whether
an account exists: a made-up e-mail is slowed exactly like a real one.

Addresses: an IPv6 client is counted by its /64 network (one subscriber
usually holds a whole /64); a login with no address (the command line, this
computer) counts as the address ``local``.

This module decides; ``boxoffice.services.auth`` gathers the counters from
the database, asks, and records the outcome.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Limit:
    """One counter of failed logins and the delay it imposes."""

    scope: str  # stored with the counter; stable
    label: str  # completes "Too many failed logins …"
    free: int  # failures before any delay
    first_delay: timedelta  # the delay after the first failure past ``free``; doubles with each next one
    max_delay: timedelta
    leak_every: timedelta  # one failure is forgotten per this much time
    for_strangers_only: bool  # skipped when the account has logged in from this address before

    def delay_after(self, failures: int) -> timedelta:
        """How long the next attempt must wait once ``failures`` failures are counted."""
        if failures <= self.free:
            return timedelta(0)
        doublings = min(failures - self.free - 1, 40)  # 2**40 is past any ceiling; no overflow
        return min(self.max_delay, self.first_delay * 2**doublings)

    def remaining(self, failures: int, last_failure_at: datetime | None, now: datetime) -> int:
        """Failures still counted at ``now``, after the leak since the last one."""
        if last_failure_at is None or failures <= 0:
            return 0
        leaked = max(0, int((now - last_failure_at) / self.leak_every))
        return max(0, failures - leaked)


ACCOUNT_FROM_ADDRESS = Limit(
    "account_address", "for this account from this address", free=3,
    first_delay=timedelta(seconds=2), max_delay=timedelta(minutes=15), leak_every=timedelta(minutes=15),
    for_strangers_only=False,
)
ADDRESS = Limit(
    "address", "from this address", free=10,
    first_delay=timedelta(seconds=2), max_delay=timedelta(minutes=15), leak_every=timedelta(minutes=5),
    for_strangers_only=True,
)
ACCOUNT = Limit(
    "account", "for this account", free=20,
    first_delay=timedelta(seconds=2), max_delay=timedelta(minutes=5), leak_every=timedelta(minutes=5),
    for_strangers_only=True,
)
LIMITS: tuple[Limit, ...] = (ACCOUNT_FROM_ADDRESS, ADDRESS, ACCOUNT)
BY_SCOPE = {limit.scope: limit for limit in LIMITS}

#: An address the account logged in from this recently is one of its own places.
TRUSTED_FOR = timedelta(days=30)
#: Counters nobody touched for this long are deleted (they have long leaked away).
KEEP_FOR = TRUSTED_FOR
#: Without an organization named, a login checks the password against at most this many of the
#: e-mail's organizations; an e-mail in more must name one. Every such login costs the same number
#: of password checks whatever the e-mail (see ``services.auth``), so this also bounds that cost.
MAX_ORGANIZATIONS_PER_LOGIN = 5

LOCAL_ADDRESS = "local"


@dataclass(frozen=True)
class Counter:
    """A counter as stored: what ``refusal`` and ``after_failure`` need."""

    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None


@dataclass(frozen=True)
class Refusal:
    """The attempt must wait; ``seconds`` is what ``Retry-After`` says."""

    limit: Limit
    seconds: int


def address_key(address: str | None) -> str:
    """The address a counter is kept for: IPv4 as is, IPv6 by its /64, no address as ``local``."""
    if not address:
        return LOCAL_ADDRESS
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def account_key(email: str, organization_id: object | None) -> str:
    """The account as typed: the e-mail, and the organization when one was named."""
    return email if organization_id is None else f"{email} in {organization_id}"


def counter_keys(account: str, address: str) -> dict[Limit, str]:
    """Each limit's counter for this attempt, as stored: a digest, so no e-mail or address is kept."""
    texts = {ACCOUNT_FROM_ADDRESS: f"{account} from {address}", ADDRESS: address, ACCOUNT: account}
    return {limit: hashlib.sha256(f"{limit.scope}:{text}".encode()).hexdigest()
            for limit, text in texts.items()}


def applying(trusted: bool) -> tuple[Limit, ...]:
    """The limits an attempt is held to: all of them from a stranger's address, fewer from the owner's."""
    return tuple(limit for limit in LIMITS if not (trusted and limit.for_strangers_only))


def refusal(counters: dict[Limit, Counter], trusted: bool, now: datetime) -> Refusal | None:
    """The longest wait any applying counter imposes at ``now``, or None when the attempt may go on."""
    waits = [
        (counter.blocked_until - now, limit)
        for limit, counter in counters.items()
        if limit in applying(trusted) and counter.blocked_until is not None and counter.blocked_until > now
    ]
    if not waits:
        return None
    wait, limit = max(waits, key=lambda pair: pair[0])
    return Refusal(limit, max(1, math.ceil(wait.total_seconds())))


def after_failure(limit: Limit, counter: Counter, now: datetime) -> Counter:
    """The counter once this failure is counted: leaked, plus one, and its new wait."""
    failures = limit.remaining(counter.failures, counter.last_failure_at, now) + 1
    delay = limit.delay_after(failures)
    return Counter(failures, now, now + delay if delay else None)


def limits_text(limits: Iterable[Limit] = LIMITS) -> list[str]:
    """Each limit in a sentence, for documentation and ``--help``."""
    return [
        f"{limit.label}: {limit.free} failures free, then a wait from "
        f"{limit.first_delay.total_seconds():g} s doubling up to {limit.max_delay.total_seconds() / 60:g} "
        f"min; one failure forgotten per {limit.leak_every.total_seconds() / 60:g} min"
        + ("; not from an address the account logged in from" if limit.for_strangers_only else "")
        for limit in limits
    ]
