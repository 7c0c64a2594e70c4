"""Which organization a row belongs to, read from the row itself and a cache: no query on a hot path.

Every logged change is filed under an organization (a pull only ever serves
the caller's). A row names it directly (``organization_id``) or through its
event, series or gate. What an event, a series or a gate belongs to never
changes, so the answer is cached for the life of the process: the gate's
tap, which logs a check-in and a presence per request, pays for one lookup
per series and event, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from boxoffice.store.models import Event, EventSeries, Gate
from boxoffice.sync.replicas import Replica


class Owners:
    """Organization of a row, with event/series/gate owners cached (ids are never reused)."""

    def __init__(self) -> None:
        # Shared by the server's threads without a lock: a dict's reads and
        # writes are atomic, and two threads that miss at once both read the
        # same answer. An entry of a parent whose transaction rolled back is
        # never asked for again (ids are not reused), so it is harmless.
        self._org_of_event: dict[uuid.UUID, uuid.UUID] = {}
        self._org_of_series: dict[uuid.UUID, uuid.UUID] = {}
        self._event_of_gate: dict[uuid.UUID, uuid.UUID] = {}

    def of(self, replica: Replica, row: Mapping[str, Any], session: Session) -> uuid.UUID | None:
        """The organization of ``row`` (column name -> value); None when its parent is gone.

        A miss reads through the session's connection: the transaction's own
        uncommitted parents are found, and nothing is flushed.
        """
        key = row[replica.owner_column]
        if key is None:
            return None
        kind = replica.owner_kind
        if kind == "organization":
            return _as_uuid(key)
        if kind == "event":
            return self.of_event(_as_uuid(key), session)
        if kind == "series":
            return self.of_series(_as_uuid(key), session)
        gate_id = _as_uuid(key)
        event_id = self._event_of_gate.get(gate_id)
        if event_id is None:
            event_id = session.connection().execute(select(Gate.event_id).where(Gate.id == gate_id)).scalar()
            if event_id is None:
                return None
            self._event_of_gate[gate_id] = event_id
        return self.of_event(event_id, session)

    def of_event(self, event_id: uuid.UUID, session: Session) -> uuid.UUID | None:
        found = self._org_of_event.get(event_id)
        if found is None:
            found = session.connection().execute(
                select(Event.organization_id).where(Event.id == event_id)
            ).scalar()
            if found is not None:
                self._org_of_event[event_id] = found
        return found

    def of_series(self, series_id: uuid.UUID, session: Session) -> uuid.UUID | None:
        found = self._org_of_series.get(series_id)
        if found is None:
            found = session.connection().execute(
                select(EventSeries.organization_id).where(EventSeries.id == series_id)
            ).scalar()
            if found is not None:
                self._org_of_series[series_id] = found
        return found


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
