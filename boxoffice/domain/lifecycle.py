"""The lifecycle of an event series: which status may follow which.

A series only moves forward. Going back (say, active to scheduled) would
leave check-ins recorded against a series that claims never to have opened,
so the table has no backward edges; a mistake is fixed by cancelling and
creating a new series. ``completed`` and ``cancelled`` are final because
reports and refunds are computed from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from boxoffice.domain.enums import SeriesStatus
from boxoffice.errors import IllegalTransitionError

_S = SeriesStatus

# Read-only so that no caller can widen the rules at run time.
ALLOWED_TRANSITIONS: Mapping[SeriesStatus, tuple[SeriesStatus, ...]] = MappingProxyType(
    {
        _S.DRAFT: (_S.SCHEDULED, _S.CANCELLED),
        _S.SCHEDULED: (_S.ACTIVE, _S.CANCELLED),
        _S.ACTIVE: (_S.COMPLETED, _S.CANCELLED),
        _S.COMPLETED: (),
        _S.CANCELLED: (),
    }
)


def allowed_next(status: SeriesStatus) -> tuple[SeriesStatus, ...]:
    """The statuses a series may move to; what a UI offers as buttons."""
    return ALLOWED_TRANSITIONS[status]


def is_terminal(status: SeriesStatus) -> bool:
    """True when nothing can follow, so editing screens can lock the series."""
    return not ALLOWED_TRANSITIONS[status]


def check_transition(current: SeriesStatus, target: SeriesStatus) -> None:
    """Refuse a change the table does not list, saying what would be allowed.

    Staying in the same status is refused too: a "transition" that changes
    nothing would still write a lifecycle log entry and mislead whoever reads it.
    """
    allowed = allowed_next(current)
    if target not in allowed:
        raise IllegalTransitionError(
            current.value, target.value, [s.value for s in allowed]
        )
