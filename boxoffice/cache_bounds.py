"""How long one process may act on its own copy of something another process changed.

The central server is stateless apart from its database, so several server
processes (``--workers N``, or instances behind a load balancer) can share
one PostgreSQL database. Three things are kept in each process's memory
because a gate taps several times a second and reading them every time was
a measurable part of a verify. Each is declared here once, with its bound:
the code reads the value from here, the README states it, and
``tests/processes/test_cache_bounds.py`` checks both against real server
processes.

- **Bearer tokens** (``server/deps.py``): the member a token stands for.
  A token logged out, a member deactivated, a password changed (which ends
  the member's login tokens), a role changed or a token expired through
  another process, or the CLI, is honoured by this process for at most
  this long. A logout through this process takes effect at once.
- **Event public keys** (``services/band_signature.py``): a key parsed
  for checking band signatures. A key dropped or replaced elsewhere is
  trusted here for at most this long; a key *added* elsewhere is used at
  its first tap (a key that is not found is never remembered).
- **Gate boards** (``monitor/summary.py``): the day's figures of an event
  that viewers' stations read every few seconds. Each viewer's poll would
  otherwise group the day's check-ins again on the database the gates
  verify against; within the bound they share one reading. Who may read
  it is checked on every request.

Kept per process but never stale, so not bounded here: a station's parsed
private signing keys (``services/keys.py``, looked up by the stored key
itself), the dummy password hash (``services/auth.py``), the list of time
zones and the report fonts. The series metrics cache (``services/metrics.py``,
five minutes) lives in the database, so every process sees the same one.

Each bound can be set per process with its environment variable (seconds,
0 to 3,600; 0 turns the cache off): tests set a few seconds so they need
not wait a minute, and ``boxoffice server --workers N`` passes the
environment on to its workers.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from boxoffice.errors import ValidationError

log = logging.getLogger(__name__)

MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class CacheBound:
    """One per-process cache: how long a change made elsewhere may go unseen here."""

    name: str
    variable: str  # environment variable that overrides ``default`` for one process
    default: float  # seconds
    stale: str  # what may be acted on stale, for the docs and the log

    def seconds(self, environ: Mapping[str, str] | None = None) -> float:
        """The bound in force: the environment variable if set, else the default.

        A value that is not a number of seconds from 0 to ``MAX_SECONDS`` is
        refused with a sentence rather than ignored: a typo must not leave a
        revoked token working for longer than the operator believes.
        """
        text = (os.environ if environ is None else environ).get(self.variable, "").strip()
        if not text:
            return self.default
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0 <= value <= MAX_SECONDS:  # also refuses nan
            raise ValidationError.single(
                self.variable,
                f"{self.variable} must be a number of seconds from 0 to {MAX_SECONDS:,.0f}; got {text!r}.",
            )
        return value


TOKENS = CacheBound(
    name="bearer tokens",
    variable="BOXOFFICE_TOKEN_CACHE_SECONDS",
    default=5.0,
    stale="a token logged out, a member deactivated or a password changed through another process",
)
EVENT_KEYS = CacheBound(
    name="event public keys",
    variable="BOXOFFICE_KEY_CACHE_SECONDS",
    default=60.0,
    stale="an event signing key dropped or replaced through another process",
)
GATE_BOARDS = CacheBound(
    name="gate boards",
    variable="BOXOFFICE_BOARD_CACHE_SECONDS",
    default=3.0,
    stale="an event's gate figures as served to viewers' stations, while taps go on",
)
BOUNDS = (TOKENS, EVENT_KEYS, GATE_BOARDS)


def describe(environ: Mapping[str, str] | None = None) -> str:
    """One line for a server's start-up log: which bounds this process runs with."""
    return "; ".join(f"{b.name} cached for at most {b.seconds(environ):g} s" for b in BOUNDS)
