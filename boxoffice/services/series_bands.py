"""The wristbands of one series: listed a page at a time, assigned or taken off one by one.

Assigning one band goes through ``assignments`` like a bulk assignment
does, so the rules (active bands only, category limits, a finished series
is frozen) and the outbox entry are the same for one band and for 100,000.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from boxoffice.domain.permissions import Action
from boxoffice.errors import NotFoundError, ValidationError
from boxoffice.schemas.pages import BandPage, SeriesBandChange, SeriesBandView
from boxoffice.services import assignments, paging, refs
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Event,
    EventSeries,
    SeriesWristbandAssignment,
    Wristband,
)

_PAGE = "series-bands"


def _rows(series_id: uuid.UUID) -> Select[Wristband, str, datetime]:
    return (
        select(Wristband, Category.name, SeriesWristbandAssignment.assigned_at)
        .join(SeriesWristbandAssignment, and_(
            SeriesWristbandAssignment.wristband_id == Wristband.id,
            SeriesWristbandAssignment.series_id == series_id,
            SeriesWristbandAssignment.active.is_(True),
        ))
        .join(Category, Category.id == Wristband.category_id)
    )


def _view(band: Wristband, category: str, assigned_at: datetime) -> SeriesBandView:
    return SeriesBandView(
        wristband_id=band.id, uid=band.uid, category_id=band.category_id, category=category,
        number=band.number, status=band.status, assigned_at=assigned_at,
    )


def list_series_bands(
    store: Store,
    actor: Actor,
    series_ref: str,
    *,
    category_ref: str | None = None,
    limit: int = paging.DEFAULT_LIMIT,
    after: str | None = None,
) -> BandPage:
    """Bands assigned to the series now, by UID; ``category_ref`` keeps one category."""
    actor.require(Action.VIEW_BANDS)
    paging.check_limit(limit)
    after_uid = paging.decode(after, _PAGE, 1)[0] if after else None
    with store.read() as session:
        series = refs.series(session, actor, series_ref)
        query = _rows(series.id)
        if category_ref is not None:
            ev = session.get_one(Event, series.event_id)
            query = query.where(Wristband.category_id == refs.category(session, actor, ev, category_ref).id)
        if after_uid is not None:
            query = query.where(Wristband.uid > after_uid)
        rows = session.execute(query.order_by(Wristband.uid).limit(limit + 1)).all()
        items = [_view(band, name, at) for band, name, at in rows[:limit]]
    more = len(rows) > limit
    return BandPage(items=items, next_after=paging.encode(_PAGE, items[-1].uid) if more else None)


def _band_on_series(session: Session, actor: Actor, series_ref: str,
                    uid: str) -> tuple[EventSeries, Wristband]:
    series = refs.series(session, actor, series_ref)
    if not uid.isprintable():
        raise ValidationError.single("uid", "A tag UID is hexadecimal digits, optionally with colons.")
    band = refs.wristband(session, session.get_one(Event, series.event_id), uid)
    return series, band


def assign_band(store: Store, actor: Actor, series_ref: str, uid: str) -> SeriesBandChange:
    """Put one band on the series; a band already on it is left as it is."""
    actor.require(Action.ASSIGN_BANDS)
    with store.write() as session:
        series, band = _band_on_series(session, actor, series_ref, uid)
        result = assignments.assign_bands(store, actor, str(series.id), uids=[band.uid])
        row = session.execute(
            _rows(series.id).where(Wristband.id == band.id)
        ).one()
        return SeriesBandChange(band=_view(*row), already_assigned=result.already_assigned > 0,
                                warnings=result.warnings)


def unassign_band(store: Store, actor: Actor, series_ref: str, uid: str) -> None:
    """Take one band off the series; the assignment stays in the history, inactive."""
    actor.require(Action.ASSIGN_BANDS)
    with store.write() as session:
        series, band = _band_on_series(session, actor, series_ref, uid)
        if session.scalar(
            select(SeriesWristbandAssignment.id).where(
                SeriesWristbandAssignment.series_id == series.id,
                SeriesWristbandAssignment.wristband_id == band.id,
                SeriesWristbandAssignment.active.is_(True),
            )
        ) is None:
            raise NotFoundError("assignment of wristband", f"{band.uid} to {series.name}")
        assignments.remove_bands(store, actor, str(series.id), [band.uid])
