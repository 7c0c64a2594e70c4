"""Reading the gate board from a station's store: one aggregate at start, then only what is new.

The first picture comes from ``checkin_minutes``, counts per gate, minute,
result, reason and device that SQLite triggers keep as check-ins are
inserted (a GROUP BY over a million check-ins took 2-7 s). After that, only
rows inserted since the board's cursor are read: SQLite's rowid grows with
every insert, so a pulled offline scan from an hour ago has a new rowid and
an old ``occurred_at`` — it is read once and lands in its past minute.

The station's store is SQLite; the central server's PostgreSQL has no rowid,
so the monitor refuses it with a sentence rather than re-reading the day.
A station whose role holds no check-ins (a viewer's) asks the server for the
day's aggregates instead (``monitor.summary``, served to it by the API).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from boxoffice.domain.enums import CheckinResult, SeriesStatus
from boxoffice.domain.permissions import Action
from boxoffice.errors import MonitorSourceError
from boxoffice.monitor.board import CategoryFill, GateBoard, Scan, SeriesFill
from boxoffice.services import occupancy, refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Checkin,
    Event,
    EventSeries,
    Gate,
    SeriesGate,
    SeriesPresence,
)
from boxoffice.store.queries import category_limits
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)

#: Rows per incremental read: after a long offline spell the backlog comes in slices, so folding
#: one slice into the board on the GUI thread stays well under a frame.
SLICE = 2_000

rowid: ColumnElement[int] = literal_column("checkins.rowid", Integer)


@dataclass(frozen=True)
class NewScans:
    scans: list[Scan]
    cursor: int

    @property
    def more(self) -> bool:
        """A full slice: more rows may be waiting."""
        return len(self.scans) >= SLICE


def _require_sqlite(store: Store) -> None:
    if not store.is_sqlite:
        raise MonitorSourceError(
            f"The gate monitor follows a station's own SQLite file; {store.display_name} is not one. "
            "Open the monitor on a desktop station that syncs with this server."
        )


def load_board(store: Store, actor: Actor, event_ref: str, now: datetime | None = None) -> GateBoard:
    """Today's full picture of one event: per gate and minute, reasons, devices, active series."""
    actor.require(Action.VIEW_METRICS)
    _require_sqlite(store)
    now = now or utcnow()
    with store.read() as session:
        # First statement of the read transaction: the snapshot every later query sees.
        cursor = session.scalar(select(func.max(rowid)).select_from(Checkin)) or 0
        ev = refs.event(session, actor, event_ref)
        tz = ZoneInfo(ev.timezone)
        gates = session.execute(
            select(Gate.id, Gate.name).where(Gate.event_id == ev.id).order_by(Gate.name)
        ).all()
        board = GateBoard.empty(ev.id, ev.name, tz, now.astimezone(tz).date(),
                                [(g, n) for g, n in gates])
        board.cursor = cursor
        if gates:
            aggregate_minutes(session, board)
        board.series = read_fill(session, ev.id, now)
    log.info("gate board of %s: %d gates, cursor %d", ev.name, len(board.gates), cursor)
    return board


def aggregate_minutes(session: Session, board: GateBoard) -> None:
    """Fold today's rows of ``checkin_minutes`` (kept by triggers) into the board.

    Plain SQL on the session's connection, three small GROUP BYs over the rollup's primary key
    (gate, minute, …): a day at 24 gates is ~150,000 rollup rows, and converting each through
    the ORM's types cost more than the query. Ids come back as the hex SQLite stores.
    """
    fmt = "%Y-%m-%d %H:%M"
    by_hex = {gate_id.hex: gate_id for gate_id in board.gates}
    marks = ", ".join("?" * len(by_hex))
    where = f"gate_id IN ({marks}) AND minute >= ? AND minute < ?"
    params = (*by_hex, board.day_start.strftime(fmt), board.day_end.strftime(fmt))
    conn = session.connection()
    index: dict[str, int] = {}
    for gate_hex, text, result, n in conn.exec_driver_sql(
        f"SELECT gate_id, minute, result, sum(scans) FROM checkin_minutes WHERE {where} "
        "GROUP BY gate_id, minute, result", params
    ):
        minute = index.get(text)
        if minute is None:
            found = board.minute_of(datetime.fromisoformat(text).replace(tzinfo=UTC))
            minute = index[text] = -1 if found is None else found
        board.add_count(by_hex[gate_hex], minute, CheckinResult(result), n)
    for gate_hex, reason, n in conn.exec_driver_sql(
        f"SELECT gate_id, reason, sum(scans) FROM checkin_minutes WHERE {where} AND result = 'denied' "
        "GROUP BY gate_id, reason", params
    ):
        board.gates[by_hex[gate_hex]].reasons[reason] += n
    for gate_hex, device, last in conn.exec_driver_sql(
        f"SELECT gate_id, device_id, max(last_at) FROM checkin_minutes WHERE {where} "
        "GROUP BY gate_id, device_id", params
    ):
        board.see(board.gates[by_hex[gate_hex]], device, datetime.fromisoformat(last).replace(tzinfo=UTC))


def read_new(store: Store, actor: Actor, cursor: int, limit: int = SLICE) -> NewScans:
    """Check-ins inserted after ``cursor`` (any event, any day: the board sorts them out)."""
    actor.require(Action.VIEW_METRICS)
    _require_sqlite(store)
    with store.read() as session:
        rows = session.execute(
            select(rowid, Checkin.gate_id, Checkin.occurred_at, Checkin.result, Checkin.reason,
                   Checkin.device_id, Checkin.series_id, Checkin.direction)
            .where(rowid > cursor)
            .order_by(rowid)
            .limit(limit)
        ).all()
    scans = [Scan(gate, at, result, reason.value, device, series, direction)
             for _, gate, at, result, reason, device, series, direction in rows]
    return NewScans(scans, rows[-1][0] if rows else cursor)


def load_fill(store: Store, actor: Actor, event_id: uuid.UUID,
              now: datetime | None = None) -> list[SeriesFill]:
    """The event's active series with occupancy and category entries, read now."""
    actor.require(Action.VIEW_METRICS)
    with store.read() as session:
        return read_fill(session, event_id, now or utcnow())


def read_fill(session: Session, event_id: uuid.UUID, now: datetime) -> list[SeriesFill]:
    active = session.scalars(
        select(EventSeries)
        .where(EventSeries.event_id == event_id, EventSeries.status == SeriesStatus.ACTIVE)
        .order_by(EventSeries.starts_at, EventSeries.name)
    ).all()
    if not active:
        return []
    ids = [s.id for s in active]
    gates: dict[uuid.UUID, set[uuid.UUID]] = {s.id: set() for s in active}
    for sid, gid in session.execute(select(SeriesGate.series_id, SeriesGate.gate_id)
                                    .where(SeriesGate.series_id.in_(ids))):
        gates[sid].add(gid)
    names = dict(session.execute(select(Category.id, Category.name)
                                 .where(Category.event_id == event_id)).all())
    out = []
    for s in active:
        limits = category_limits(session, s.id)
        entered = dict(session.execute(
            select(SeriesPresence.category_id, func.count())
            .where(SeriesPresence.series_id == s.id, SeriesPresence.has_entered.is_(True))
            .group_by(SeriesPresence.category_id)
        ).all())
        cats = tuple(
            CategoryFill(cid, names.get(cid, str(cid)), entered.get(cid, 0), limits.get(cid))
            for cid in sorted(set(limits) | set(entered), key=lambda c: names.get(c, str(c)))
        )
        out.append(SeriesFill(s.id, s.name, s.capacity, s.checkin_opens_at, s.checkin_closes_at,
                              frozenset(gates[s.id]), occupancy.inside(session, s.id), cats))
    return out


def gate_list(store: Store, actor: Actor, event_ref: str) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the event's gates in the board's order: the page builds its charts from it
    while the board itself is still loading."""
    actor.require(Action.VIEW_METRICS)
    with store.read() as session:
        ev = refs.event(session, actor, event_ref)
        return [(g, n) for g, n in session.execute(
            select(Gate.id, Gate.name).where(Gate.event_id == ev.id).order_by(Gate.name))]


def event_choices(store: Store, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the organization's events, the ones with an active series first."""
    actor.require(Action.VIEW_METRICS)
    with store.read() as session:
        live = set(session.scalars(select(EventSeries.event_id)
                                   .where(EventSeries.organization_id == actor.organization_id,
                                          EventSeries.status == SeriesStatus.ACTIVE)))
        rows = session.execute(select(Event.id, Event.name)
                               .where(Event.organization_id == actor.organization_id)).all()
    return sorted(((i, n) for i, n in rows), key=lambda r: (r[0] not in live, r[1].lower()))
