"""Routes of one series beyond the builder's basics: delete, its gates, limits, history,
wristbands and check-ins. Thin: each calls one service.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime

from boxoffice.domain.enums import CheckinResult, Direction, Reason
from boxoffice.programs.server import requests as rq
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.schemas.event import GateView
from boxoffice.schemas.pages import BandPage, CategoryFigures, CheckinPage, SeriesBandChange
from boxoffice.schemas.series import TransitionView
from boxoffice.services import checkin_log, paging, series_bands, series_delete, series_views

router = APIRouter(prefix="/api/series", tags=["series"], responses=rq.ERROR_RESPONSES)

Limit = Annotated[int, Query(ge=1, le=paging.MAX_LIMIT, description="Rows per page.")]
After = Annotated[str | None, Query(max_length=300,
                                    description="The previous page's next_after, for the next page.")]
Uid = Annotated[str, Path(min_length=1, max_length=40, description="The band's tag UID.")]


@router.delete("/{series_id}", status_code=204)
def delete_series(series_id: uuid.UUID, store: StoreDep, actor: ActorDep,
                  version: Annotated[int, Query(ge=1, le=2**31 - 1,
                                                description="The version you looked at.")]) -> None:
    """Delete a draft or cancelled series that has no check-ins (others are cancelled instead)."""
    series_delete.delete_series(store, actor, str(series_id), version)


@router.get("/{series_id}/gates")
def series_gates(series_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> list[GateView]:
    """The gates assigned to the series."""
    return series_views.series_gates(store, actor, str(series_id))


@router.get("/{series_id}/limits")
def series_limits(series_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> list[CategoryFigures]:
    """Per category: the limit on this series, bands assigned and bands that entered."""
    return series_views.series_limits(store, actor, str(series_id))


@router.get("/{series_id}/transitions")
def series_transitions(series_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> list[TransitionView]:
    """The lifecycle history: from, to, who, when and why, oldest first."""
    return series_views.series_transitions(store, actor, str(series_id))


@router.get("/{series_id}/wristbands")
def series_wristbands(series_id: uuid.UUID, store: StoreDep, actor: ActorDep,
                      category_id: uuid.UUID | None = None, limit: Limit = paging.DEFAULT_LIMIT,
                      after: After = None) -> BandPage:
    """Bands assigned to the series, by UID, a page at a time."""
    return series_bands.list_series_bands(
        store, actor, str(series_id), category_ref=str(category_id) if category_id else None,
        limit=limit, after=after,
    )


@router.put("/{series_id}/wristbands/{uid}")
def assign_wristband(series_id: uuid.UUID, uid: Uid, store: StoreDep, actor: ActorDep) -> SeriesBandChange:
    """Assign one band (idempotent: a band already assigned is left as it is)."""
    return series_bands.assign_band(store, actor, str(series_id), uid)


@router.delete("/{series_id}/wristbands/{uid}", status_code=204)
def unassign_wristband(series_id: uuid.UUID, uid: Uid, store: StoreDep, actor: ActorDep) -> None:
    series_bands.unassign_band(store, actor, str(series_id), uid)


@router.get("/{series_id}/checkins")
def series_checkins(
    series_id: uuid.UUID, store: StoreDep, actor: ActorDep,
    gate_id: uuid.UUID | None = None, direction: Direction | None = None,
    result: CheckinResult | None = None, reason: Reason | None = None,
    since: Annotated[AwareDatetime | None, Query(
        description="Only taps at or after this time, oldest first (default: newest first).")] = None,
    limit: Limit = paging.DEFAULT_LIMIT, after: After = None,
) -> CheckinPage:
    """The series' taps, newest first, filtered by gate, direction, result, reason or time."""
    return checkin_log.list_checkins(
        store, actor, str(series_id), gate_ref=str(gate_id) if gate_id else None,
        direction=direction, result=result, reason=reason, since=since, limit=limit, after=after,
    )
