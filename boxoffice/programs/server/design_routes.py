"""The paths of the Event Series design's REST list that ours spell differently.

The design ("Event Series System Architecture", API Endpoints) names some
operations by other paths than the ones we grew: category limits under
``/categories``, a recompute as ``POST .../metrics/compute``, the gate's
verify under the series, recurring children with the parent in the body, a
gate's list at ``/api/series/scannable``, a full ``PUT`` and a bulk
assignment. Each route here calls the service its twin calls (named in its
docstring); none holds a rule of its own, so the two spellings cannot drift.

Included before the other routers: ``/api/series/scannable`` and
``/api/series/recurring`` would otherwise be taken for a series id, and
``.../wristbands/bulk`` for a band's UID.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException

from boxoffice.domain.validation import default_checkin_window
from boxoffice.programs.server import bodies, routes, taps
from boxoffice.programs.server import requests as rq
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.schemas.checkin import CheckinView
from boxoffice.schemas.metrics import SeriesMetrics
from boxoffice.schemas.pages import CategoryFigures, ScannablesPage
from boxoffice.schemas.series import AssignResult, SeriesChange, SeriesView
from boxoffice.services import assignments, metrics, recurring, scannables, series_views
from boxoffice.services import series as svc

router = APIRouter(prefix="/api/series", responses=rq.ERROR_RESPONSES)

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _only(path: str, method: str) -> None:
    """Answer 405 at ``path`` for every method but ``method``.

    Without this, ``GET /api/series/recurring`` would reach ``GET
    /api/series/{series_id}`` and be refused as a bad id (422), and ``PUT
    .../wristbands/bulk`` would look for a band whose UID is "bulk". As in
    OpenAPI, the path with fewer templated parts is the one meant, here
    and in the 405's ``Allow`` header (``errors.allowed_methods``).
    """

    def refuse() -> None:
        raise HTTPException(405)

    router.add_api_route(path, refuse, methods=[m for m in _METHODS if m != method],
                         include_in_schema=False)


@router.get("/scannable", tags=["gates"], summary="Bands a gate may admit to a series")
def scannable(
    gate_id: Annotated[uuid.UUID, Query(description="The gate the device stands at.")],
    series_id: Annotated[uuid.UUID, Query(description="The series it admits to.")],
    store: StoreDep, actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=scannables.MAX_LIMIT, description="Bands per page.")] = 1000,
    after: Annotated[str | None, Query(
        max_length=300, description="The previous page's next_after, for the next page.")] = None,
) -> ScannablesPage:
    """What a gate handheld keeps to decide taps offline: every band assigned to the series that
    this gate may let through, with the series' window and re-entry policy, a page at a time.
    Same as ``GET /api/gates/{gate_id}/scannables?series_id=``."""
    return scannables.gate_scannables(store, actor, gate_id, str(series_id), limit=limit, after=after)


_only("/scannable", "GET")


@router.post("/recurring", tags=["series"], status_code=201, summary="Create recurring series")
def create_recurring(body: bodies.RecurringCreate, store: StoreDep, actor: ActorDep) -> list[SeriesView]:
    """Draft children of ``parent_series_id`` following the pattern, with its gates and limits.
    Same as ``POST /api/series/{series_id}/recurring``."""
    return recurring.generate_recurring(store, actor, str(body.parent_series_id), body.rule(),
                                        body.name_pattern)


_only("/recurring", "POST")


@router.put("/{series_id}", tags=["series"], summary="Update a series (every field)")
def replace_series(series_id: uuid.UUID, body: bodies.SeriesReplace, store: StoreDep,
                   actor: ActorDep) -> SeriesChange:
    """Every editable field of a series loaded at ``expected_version``; a check-in bound sent as
    null is the default window (the series' run). ``PATCH`` changes only the fields sent."""
    changes = body.model_dump(exclude={"expected_version"})
    opens, closes = default_checkin_window(body.starts_at, body.ends_at)
    changes["checkin_opens_at"] = body.checkin_opens_at or opens
    changes["checkin_closes_at"] = body.checkin_closes_at or closes
    return svc.update_series(store, actor, str(series_id), body.expected_version, changes)


@router.get("/{series_id}/categories", tags=["series"], summary="Get category limits")
def categories(series_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> list[CategoryFigures]:
    """Per category: the limit on this series, bands assigned and bands that entered.
    Same as ``GET /api/series/{series_id}/limits``."""
    return series_views.series_limits(store, actor, str(series_id))


@router.post("/{series_id}/categories", tags=["series"], summary="Set a category limit")
def set_category(series_id: uuid.UUID, body: rq.LimitRequest, store: StoreDep,
                 actor: ActorDep) -> SeriesChange:
    """Set (``limit`` null: remove) how many bands of a category the series takes.
    Same as ``PUT /api/series/{series_id}/limits``."""
    return svc.set_category_limit(store, actor, str(series_id), str(body.category_id), body.limit)


@router.post("/{series_id}/wristbands/bulk", tags=["series"], summary="Bulk assign wristbands")
def bulk_assign(series_id: uuid.UUID, body: rq.BandsRequest, store: StoreDep,
                actor: ActorDep) -> AssignResult:
    """Assign every active band of a category (``category_id``) or the bands listed (``uids``,
    up to 200,000); all or nothing. Same as ``POST /api/series/{series_id}/wristbands``."""
    return assignments.assign_bands(
        store, actor, str(series_id),
        category_ref=str(body.category_id) if body.category_id else None, uids=body.uids,
    )


_only("/{series_id}/wristbands/bulk", "POST")


@router.post("/{series_id}/metrics/compute", tags=["series"], summary="Compute metrics now")
def compute_series_metrics(series_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> SeriesMetrics:
    """Compute the series' metrics now and cache them for the next five minutes.
    Same as ``GET /api/series/{series_id}/metrics?fresh=true``."""
    return metrics.series_metrics(store, actor, str(series_id), fresh=True)


@router.post("/{series_id}/checkins/verify", tags=["gates"], summary="Verify a tap at a gate")
async def verify_at_series(series_id: uuid.UUID, body: rq.TapRequest, request: Request, store: StoreDep,
                           actor: ActorDep) -> CheckinView:
    """One tap at a gate of this series: allowed or denied with its reason, recorded once per
    scan id. Same as ``POST /api/verify`` with ``series_id`` in the body."""
    return await taps.run(request.app.state.tap_threads, routes.tap, store, actor, series_id, body)


__all__ = ["router"]
