"""Today's gate board as aggregates, for a station that may see figures but holds no check-ins.

A viewer's station never receives check-ins (``HOLD`` in the permission
table), so its Gates page cannot fold them in as the loader does; the server
reads the day for it and sends a ``GateBoardView``. On SQLite the read is
the loader's, from ``checkin_minutes`` (kept by triggers, migration 0005).
On PostgreSQL that table stays empty (the verify endpoint does not pay for
it), so the day's check-ins are grouped by gate, minute, result and reason
in one statement; ``ix_checkins_gate_id_occurred_at`` bounds it to the
day's rows of the event's gates, whatever the history holds.

Device names are left out: the series metrics a viewer may read never show
them, so a viewer's board has no per-device figures (and no silent-device
alert).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from boxoffice import cache_bounds
from boxoffice.domain.enums import CheckinResult, Role
from boxoffice.domain.permissions import Action, may, may_hold
from boxoffice.monitor import loader
from boxoffice.monitor.board import CategoryFill, GateBoard, GateLine, SeriesFill
from boxoffice.schemas.board import CategoryFillView, GateBoardView, GateDay, SeriesFillView
from boxoffice.services import refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import Checkin, Gate
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)


def reads_from_server(role: Role) -> bool:
    """True when a station of ``role`` may see figures but receives no check-ins to count them from.

    Both halves come from the permission table (``HOLD`` through ``may_hold``), so a role given
    check-ins later goes back to the station's own file without a change here.
    """
    return may(role, Action.VIEW_METRICS) and "checkins" not in may_hold(role)


class _Boards:
    """Boards read in the last ``cache_bounds.GATE_BOARDS`` seconds, per database, event and day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, uuid.UUID, date], tuple[float, GateBoardView]] = {}

    def get(self, key: tuple[str, uuid.UUID, date], bound: float) -> GateBoardView | None:
        with self._lock:
            kept = self._kept.get(key)
        if kept is None or time.monotonic() - kept[0] >= bound:
            return None
        return kept[1]

    def put(self, key: tuple[str, uuid.UUID, date], view: GateBoardView) -> None:
        now = time.monotonic()
        with self._lock:
            # Expired entries go as new ones come: the dict holds the events read lately, no more.
            bound = cache_bounds.GATE_BOARDS.seconds()
            for old in [k for k, (at, _) in self._kept.items() if now - at >= bound]:
                del self._kept[old]
            self._kept[key] = (now, view)


_BOARDS = _Boards()


def gate_board(store: Store, actor: Actor, event_ref: str, now: datetime | None = None) -> GateBoardView:
    """The event's board for today (its day in its own time zone), read now.

    Who asks is checked on every call; the figures of one event and day are
    shared by every caller for ``cache_bounds.GATE_BOARDS`` (unless ``now``
    is given: a test reading a day of its own).
    """
    actor.require(Action.VIEW_METRICS)
    bound = cache_bounds.GATE_BOARDS.seconds() if now is None else 0.0
    now = now or utcnow()
    with store.read() as session:
        ev = refs.event(session, actor, event_ref)
        tz = ZoneInfo(ev.timezone)
        key = (str(store.url), ev.id, now.astimezone(tz).date())
        kept = _BOARDS.get(key, bound) if bound > 0 else None
        if kept is not None:
            return kept
        gates = session.execute(
            select(Gate.id, Gate.name).where(Gate.event_id == ev.id).order_by(Gate.name)
        ).all()
        board = GateBoard.empty(ev.id, ev.name, tz, now.astimezone(tz).date(), [(g, n) for g, n in gates])
        if gates:
            if store.is_sqlite:
                loader.aggregate_minutes(session, board)
            else:
                _aggregate_checkins(session, board)
        board.series = loader.read_fill(session, ev.id, now)
    view = view_of(board, now)
    if bound > 0:
        _BOARDS.put(key, view)
    return view


def _aggregate_checkins(session: Session, board: GateBoard) -> None:
    """Group the day's check-ins of the board's gates by gate, minute, result and reason (PostgreSQL)."""
    start = int(board.day_start.timestamp())
    minute = cast(func.floor((func.extract("epoch", Checkin.occurred_at) - start) / 60), Integer)
    rows = session.execute(
        select(Checkin.gate_id, minute, Checkin.result, Checkin.reason, func.count(),
               func.max(Checkin.occurred_at))
        .where(Checkin.gate_id.in_(list(board.gates)),
               Checkin.occurred_at >= board.day_start, Checkin.occurred_at < board.day_end)
        .group_by(Checkin.gate_id, minute, Checkin.result, Checkin.reason)
    ).all()
    for gate_id, index, result, reason, n, last in rows:
        board.add_count(gate_id, index, result, n)
        line = board.gates[gate_id]
        if result is CheckinResult.DENIED:
            line.reasons[reason.value] += n
        if line.last_scan is None or last > line.last_scan:
            line.last_scan = last


def view_of(board: GateBoard, computed_at: datetime) -> GateBoardView:
    """What the route sends: the board's figures without its devices."""
    return GateBoardView(
        event_id=board.event_id, event_name=board.event_name, timezone=board.tz.key, day=board.day,
        computed_at=computed_at,
        gates=[
            GateDay(gate_id=g, name=line.name,
                    minutes=[(i, a, d) for i, (a, d) in enumerate(zip(line.allowed, line.denied, strict=True))
                             if a or d],
                    denials_by_reason=dict(line.reasons), last_scan=line.last_scan)
            for g, line in board.gates.items()
        ],
        series=[
            SeriesFillView(series_id=s.series_id, name=s.name, capacity=s.capacity, opens_at=s.opens_at,
                           closes_at=s.closes_at, gate_ids=sorted(s.gate_ids, key=str), inside=s.inside,
                           categories=[CategoryFillView(category_id=c.category_id, name=c.name,
                                                        entered=c.entered, limit=c.limit)
                                       for c in s.categories])
            for s in board.series
        ],
    )


def board_of(view: GateBoardView) -> GateBoard:
    """The desktop's board from the server's figures (no devices, no cursor: it is replaced, not followed)."""
    board = GateBoard.empty(view.event_id, view.event_name, ZoneInfo(view.timezone), view.day,
                            [(g.gate_id, g.name) for g in view.gates])
    for gate in view.gates:
        line = board.gates[gate.gate_id]
        for index, allowed, denied in gate.minutes:
            if 0 <= index < board.minutes:
                line.allowed[index], line.denied[index] = allowed, denied
        line.reasons.update(gate.denials_by_reason)
        line.last_scan = gate.last_scan.astimezone(UTC) if gate.last_scan else None
    board.series = [
        SeriesFill(s.series_id, s.name, s.capacity, s.opens_at, s.closes_at, frozenset(s.gate_ids), s.inside,
                   tuple(CategoryFill(c.category_id, c.name, c.entered, c.limit) for c in s.categories))
        for s in view.series
    ]
    return board


def succeeds(old: GateBoard | None, new: GateBoard) -> bool:
    """Carry each gate's version over from the board ``new`` replaces, bumped where its figures changed.

    The charts then redraw only the gates that changed. False when ``new`` is not the same
    event, day and gates as ``old`` (the page rebuilds instead).
    """
    if old is None or (old.event_id, old.day, list(old.gates)) != (new.event_id, new.day, list(new.gates)):
        return False
    for gate_id, line in new.gates.items():
        before = old.gates[gate_id]
        line.version = before.version + (0 if _same(before, line) else 1)
    return True


def _same(a: GateLine, b: GateLine) -> bool:
    return (a.allowed, a.denied, a.reasons, a.last_scan) == (b.allowed, b.denied, b.reasons, b.last_scan)
