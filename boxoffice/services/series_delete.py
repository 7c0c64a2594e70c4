"""Deleting a series: only one that never ran.

A series that was scheduled or ran, or that has check-ins, is history the
reports and the metrics rest on; it is cancelled, not deleted.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, func, select

from boxoffice.domain.enums import SeriesStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    Ref,
)
from boxoffice.errors import DeleteRefusedError, InUseError, StaleVersionError
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.services.series import flush_versioned
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Checkin,
    EventSeries,
    SeriesCategoryLimit,
    SeriesGate,
    SeriesMetricsCache,
    SeriesPresence,
    SeriesStateTransition,
    SeriesTicket,
    SeriesWristbandAssignment,
)

log = logging.getLogger(__name__)

DELETABLE = (SeriesStatus.DRAFT, SeriesStatus.CANCELLED)

# Rows that belong to a series, removed with it (the database would cascade,
# but a cascade is invisible to the change log, so stations would keep them).
_CHILDREN = (
    SeriesGate,
    SeriesCategoryLimit,
    SeriesWristbandAssignment,
    SeriesTicket,
    SeriesStateTransition,
    SeriesPresence,
)


def delete_series(store: Store, actor: Actor, series_ref: str, expected_version: int) -> None:
    """Delete a draft or cancelled series without check-ins, as loaded at ``expected_version``."""
    actor.require(Action.DELETE_SERIES)
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        if series.version != expected_version:
            raise StaleVersionError("series", expected_version, series.version)
        if series.status not in DELETABLE:
            raise DeleteRefusedError(
                f"{series.name} is {series.status.value}; only a draft or cancelled series can be "
                "deleted. Cancel it instead: it then stays in the history and the reports."
            )
        taps = session.scalar(
            select(func.count()).select_from(Checkin).where(Checkin.series_id == series.id)
        )
        if taps:
            raise InUseError(
                f"{series.name} has {taps:,} check-ins; a series with check-ins is kept as history. "
                "Cancel it instead."
            )
        for model in _CHILDREN:
            session.execute(delete(model).where(model.series_id == series.id))
        session.execute(delete(SeriesMetricsCache).where(SeriesMetricsCache.series_id == series.id))
        # Generated series outlive their parent, as series of their own.
        for child in session.scalars(
            select(EventSeries).where(EventSeries.parent_series_id == series.id)
        ):
            child.parent_series_id = None
        session.flush()
        session.delete(series)
        flush_versioned(session, series)
        outbox.record(session, actor, "series.delete", series.id,
                      {"expected_version": expected_version, "name": series.name})
        log.info("series %s deleted by %s", series.name, actor.email)


# -- what this module's changes carry to the server (its outbox contracts) --------

class SeriesDeleteChange(outbox.Payload):
    expected_version: int


outbox.declare("series.delete", SeriesDeleteChange, Ref("event_series"))
