"""The check-ins of a series as a list a person (or a script) walks: newest first, or since a time.

Newest first is the gate supervisor's "what just happened"; ``since`` walks
forward from a moment, oldest first, which is what an export or a script
catching up wants. Both are keyset-paged on (time of the tap, id).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select

from boxoffice.domain.enums import CheckinResult, Direction, Reason
from boxoffice.domain.permissions import Action
from boxoffice.schemas.pages import CheckinPage
from boxoffice.services import paging, refs
from boxoffice.services.actor import Actor
from boxoffice.services.checkins import checkin_view
from boxoffice.store.database import Store
from boxoffice.store.models import Checkin, Event

_NEWEST = "checkins-newest"
_SINCE = "checkins-since"


def list_checkins(
    store: Store,
    actor: Actor,
    series_ref: str,
    *,
    gate_ref: str | None = None,
    direction: Direction | None = None,
    result: CheckinResult | None = None,
    reason: Reason | None = None,
    since: datetime | None = None,
    limit: int = paging.DEFAULT_LIMIT,
    after: str | None = None,
) -> CheckinPage:
    """Taps of the series matching every filter given.

    Without ``since``: newest first. With it: taps at or after ``since``,
    oldest first. ``after`` continues from where the previous page ended.
    """
    actor.require(Action.VIEW_CHECKINS)
    paging.check_limit(limit)
    kind = _SINCE if since is not None else _NEWEST
    since = paging.as_utc("since", since) if since is not None else None
    position: tuple[datetime, uuid.UUID] | None = None
    if after:
        at, ident = paging.decode(after, kind, 2)
        try:
            position = (paging.decode_time(at), uuid.UUID(ident))
        except ValueError:
            raise paging.not_a_position() from None
    with store.read() as session:
        series = refs.series(session, actor, series_ref)
        query = select(Checkin).where(Checkin.series_id == series.id)
        if gate_ref is not None:
            gate = refs.gate(session, actor, session.get_one(Event, series.event_id), gate_ref)
            query = query.where(Checkin.gate_id == gate.id)
        if direction is not None:
            query = query.where(Checkin.direction == direction)
        if result is not None:
            query = query.where(Checkin.result == result)
        if reason is not None:
            query = query.where(Checkin.reason == reason)
        if since is not None:
            query = query.where(Checkin.occurred_at >= since)
            if position is not None:
                query = query.where(or_(
                    Checkin.occurred_at > position[0],
                    and_(Checkin.occurred_at == position[0], Checkin.id > position[1]),
                ))
            query = query.order_by(Checkin.occurred_at, Checkin.id)
        else:
            if position is not None:
                query = query.where(or_(
                    Checkin.occurred_at < position[0],
                    and_(Checkin.occurred_at == position[0], Checkin.id < position[1]),
                ))
            query = query.order_by(Checkin.occurred_at.desc(), Checkin.id.desc())
        rows = session.scalars(query.limit(limit + 1)).all()
        items = [checkin_view(r) for r in rows[:limit]]
    last = items[-1] if len(rows) > limit else None
    return CheckinPage(
        items=items,
        next_after=paging.encode(kind, last.occurred_at.isoformat(), last.id.hex) if last else None,
    )
