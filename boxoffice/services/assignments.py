"""Putting wristbands on a series, in bulk: a whole category, or a list of UIDs."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, insert, select, update
from sqlalchemy.orm import Session

from boxoffice.domain.enums import BandStatus
from boxoffice.domain.permissions import Action
from boxoffice.domain.references import (
    Ref,
)
from boxoffice.errors import LimitExceededError, ValidationError
from boxoffice.schemas.series import AssignResult
from boxoffice.services import outbox, refs
from boxoffice.services.actor import Actor
from boxoffice.services.series import ensure_editable
from boxoffice.store.database import Store
from boxoffice.store.models import (
    Category,
    Event,
    EventSeries,
    SeriesWristbandAssignment,
    Wristband,
)
from boxoffice.store.models.series import assignment_id
from boxoffice.store.queries import assigned_by_category, category_limits
from boxoffice.store.types import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLite allows 32,766 bound parameters per statement; stay well below.
_CHUNK = 5_000


def _chunks(items: list[T], size: int = _CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _bands_by_uid(session: Session, ev: Event, uids: list[str]) -> list[Wristband]:
    wanted = list(dict.fromkeys(refs.normalize_uid(u) for u in uids if u.strip()))
    if not wanted:
        raise ValidationError.single("uids", "Give at least one wristband UID.")
    found: dict[str, Wristband] = {}
    for chunk in _chunks(wanted):
        for band in session.scalars(
            select(Wristband).where(Wristband.event_id == ev.id, Wristband.uid.in_(chunk))
        ):
            found[band.uid] = band
    missing = [u for u in wanted if u not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5:,} more" if len(missing) > 5 else "")
        raise ValidationError.single("uids", f"No wristband in {ev.name} has the UID {shown}.")
    return [found[u] for u in wanted]


def assign_bands(
    store: Store,
    actor: Actor,
    series_ref: str,
    *,
    category_ref: str | None = None,
    uids: list[str] | None = None,
) -> AssignResult:
    """Assign every active band of a category, or the bands listed by UID.

    All or nothing: a band that is not active, or a category limit that the
    assignment would pass, stops the whole batch with nothing written.
    Bands already on the series are counted, not assigned twice.
    """
    actor.require(Action.ASSIGN_BANDS)
    if (category_ref is None) == (uids is None):
        raise ValidationError.single("bands", "Choose the bands either by category or by a list of UIDs.")
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        ensure_editable(series)
        ev = session.get_one(Event, series.event_id)
        if category_ref is not None:
            cat = refs.category(session, actor, ev, category_ref)
            candidates: list[tuple[uuid.UUID, uuid.UUID, str, BandStatus]] = [
                (row[0], row[1], row[2], row[3])
                for row in session.execute(
                select(Wristband.id, Wristband.category_id, Wristband.uid, Wristband.status).where(
                    Wristband.event_id == ev.id,
                    Wristband.category_id == cat.id,
                    Wristband.status == BandStatus.ACTIVE,
                )
            ).all()
            ]
            if not candidates:
                raise ValidationError.single(
                    "category", f"{ev.name} has no active {cat.name} wristbands to assign."
                )
        else:
            bands = _bands_by_uid(session, ev, uids or [])
            candidates = [(b.id, b.category_id, b.uid, b.status) for b in bands]
            unusable = [(uid, st) for _, _, uid, st in candidates if st is not BandStatus.ACTIVE]
            if unusable:
                listed = ", ".join(f"{uid} ({st.value})" for uid, st in unusable[:5])
                raise ValidationError.single(
                    "uids", f"Only active wristbands can be assigned; these are not: {listed}."
                )
        result = _assign(session, actor, series, [(b, c, u) for b, c, u, _ in candidates])
        log.info("assigned %d bands to %s (%d already there)", result.assigned, series.name,
                 result.already_assigned)
        return result


def _assign(
    session: Session, actor: Actor, series: EventSeries,
    bands: list[tuple[uuid.UUID, uuid.UUID, str]],
) -> AssignResult:
    uid_of = {b: u for b, _, u in bands}
    existing: dict[uuid.UUID, bool] = dict(
        session.execute(
            select(SeriesWristbandAssignment.wristband_id, SeriesWristbandAssignment.active).where(
                SeriesWristbandAssignment.series_id == series.id
            )
        ).all()
    )
    already = [b for b, _, _ in bands if existing.get(b) is True]
    reactivate = [b for b, _, _ in bands if existing.get(b) is False]
    fresh = [(b, c) for b, c, _ in bands if b not in existing]
    adding = Counter(c for b, c, _ in bands if existing.get(b) is not True)
    check_limits(session, series, adding)

    now = utcnow()
    for chunk in _chunks(reactivate):
        session.execute(
            update(SeriesWristbandAssignment)
            .where(
                SeriesWristbandAssignment.series_id == series.id,
                SeriesWristbandAssignment.wristband_id.in_(chunk),
            )
            .values(active=True, assigned_at=now, assigned_by=actor.member_id, removed_at=None)
        )
    rows = [
        {"id": assignment_id(series.id, b), "series_id": series.id, "wristband_id": b, "active": True,
         "assigned_at": now, "assigned_by": actor.member_id}
        for b, _ in fresh
    ]
    for batch in _chunks(rows, 2_000):
        session.execute(insert(SeriesWristbandAssignment), batch)
    added = [b for b, _ in fresh] + reactivate
    if added:
        outbox.record(
            session, actor, "series.assign_bands", series.id,
            # The UIDs are what the server replays: a band's id can differ
            # there when two stations registered the same UID.
            {"wristband_ids": added, "uids": [uid_of[b] for b in added]},
        )
    return AssignResult(series_id=series.id, assigned=len(added), already_assigned=len(already))


def check_limits(session: Session, series: EventSeries, adding: Counter[uuid.UUID]) -> None:
    """Refuse (``LimitExceededError``) to take ``series`` over a category's limit by adding ``adding``.

    ``adding`` counts the bands to be assigned by category id; categories the
    series does not limit are not looked at. Shared by assigning bands here and
    by encoding (which assigns each new band as it is written).
    """
    limits = category_limits(session, series.id)
    relevant = {c: n for c, n in adding.items() if c in limits}
    if not relevant:
        return
    assigned = assigned_by_category(session, series.id, list(relevant))
    for cat_id, n in relevant.items():
        have = assigned.get(cat_id, 0)
        if have + n > limits[cat_id]:
            name = session.get_one(Category, cat_id).name
            raise LimitExceededError(
                f"{series.name} takes at most {limits[cat_id]:,} {name} bands; "
                f"{have:,} are assigned and this would add {n:,}. Nothing was assigned."
            )




def remove_bands(store: Store, actor: Actor, series_ref: str, uids: list[str]) -> AssignResult:
    """Take bands off a series; the assignment row stays, inactive, as history."""
    actor.require(Action.ASSIGN_BANDS)
    with store.write() as session:
        series = refs.series(session, actor, series_ref)
        ensure_editable(series)
        ev = session.get_one(Event, series.event_id)
        bands = _bands_by_uid(session, ev, uids)
        ids = [b.id for b in bands]
        removed = 0
        for chunk in _chunks(ids):
            done = session.execute(
                update(SeriesWristbandAssignment)
                .where(
                    SeriesWristbandAssignment.series_id == series.id,
                    SeriesWristbandAssignment.wristband_id.in_(chunk),
                    SeriesWristbandAssignment.active.is_(True),
                )
                .values(active=False, removed_at=utcnow())
            )
            removed += cast(CursorResult[Any], done).rowcount
        if removed:
            outbox.record(session, actor, "series.remove_bands", series.id,
                          {"wristband_ids": ids, "uids": [b.uid for b in bands]})
        return AssignResult(series_id=series.id, assigned=0, already_assigned=0, removed=removed)


# -- what this module's changes carry to the server (its outbox contracts) --------

class SeriesBandsChange(outbox.Payload):
    uids: list[str]


outbox.declare("series.assign_bands", SeriesBandsChange, Ref("event_series"))
outbox.declare("series.remove_bands", SeriesBandsChange, Ref("event_series"))
