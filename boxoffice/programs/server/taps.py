"""Where a gate's tap runs: a few threads of its own, not the shared pool of forty.

A tap is mostly waiting on the database, so it runs in a thread. FastAPI's
thread pool has 40 (AnyIO's default), and with 50 gates tapping at once
nearly all of them held a tap. Those threads take turns on Python's one
interpreter lock, and a thread that has just claimed a place on the
series' counter row (``services.occupancy``) keeps that row locked on
PostgreSQL until it commits: when it then waits its turn for the lock
behind dozens of others, every other entry of the series waits on the row
as well. Measured at 50 clients on PostgreSQL (2 cores): 235-246 verifies/s
with a p99 of 810-870 ms in the shared pool, against 299-327/s and 190-200 ms
with 2-10 tap threads, 4 best. On SQLite 433 against 441/s, the p99 189
against 130 ms. A lone gate is not affected.

So taps queue for ``threads()`` threads (4 unless ``BOXOFFICE_TAP_THREADS``
says otherwise, 1 to 64), in the event loop, where waiting costs nothing;
everything else keeps the shared pool, so a long-polling station or a
report never takes a gate's thread, nor a gate a station's. Against a
database farther away than loopback, a tap waits longer on each round
trip and more threads pay: raise the number there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar

from boxoffice.errors import ValidationError

VARIABLE = "BOXOFFICE_TAP_THREADS"
DEFAULT = 4
MAX = 64

T = TypeVar("T")

# One limiter per event loop (as AnyIO keeps its own default one): a limiter
# must not be shared by two loops, and tests run several servers in one process.
_limiter: RunVar[CapacityLimiter] = RunVar("boxoffice_tap_limiter")


def threads(environ: Mapping[str, str] | None = None) -> int:
    """The number of tap threads in force; a malformed setting is refused, not ignored."""
    text = (os.environ if environ is None else environ).get(VARIABLE, "").strip()
    if not text:
        return DEFAULT
    if not text.isdigit() or not 1 <= int(text) <= MAX:
        raise ValidationError.single(
            VARIABLE, f"{VARIABLE} must be a whole number of threads from 1 to {MAX}; got {text!r}.")
    return int(text)


async def run(count: int, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in one of ``count`` tap threads of this event loop, waiting in the loop for one."""
    try:
        limiter = _limiter.get()
    except LookupError:
        limiter = CapacityLimiter(count)
        _limiter.set(limiter)
    return await to_thread.run_sync(fn, *args, limiter=limiter)
