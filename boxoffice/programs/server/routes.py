"""The REST API: thin routes over the services, one transaction each.

Plain ``def`` routes: FastAPI runs them in its thread pool, which is where
blocking database work belongs. A gate's tap runs on threads of its own
(``taps`` says why).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from fastapi import APIRouter, Query, Request

from boxoffice import __version__
from boxoffice.domain import login_limits
from boxoffice.domain.enums import SeriesStatus
from boxoffice.errors import AuthenticationError, ValidationError
from boxoffice.monitor import summary
from boxoffice.programs.server import requests as rq
from boxoffice.programs.server import taps
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.schemas.board import GateBoardView
from boxoffice.schemas.checkin import CheckinView
from boxoffice.schemas.event import CategoryView, EventView, GateView
from boxoffice.schemas.metrics import SeriesMetrics
from boxoffice.schemas.series import AssignResult, SeriesChange, SeriesDetail, SeriesView
from boxoffice.services import assignments, auth, band_numbers, checkins, events, metrics, recurring
from boxoffice.services import series as svc
from boxoffice.services.actor import Actor
from boxoffice.store.database import Store
from boxoffice.store.types import utcnow

router = APIRouter(prefix="/api", responses=rq.ERROR_RESPONSES)


@router.get("/health", tags=["meta"])
def health(store: StoreDep) -> dict[str, Any]:
    with store.read() as session:
        session.connection().exec_driver_sql("SELECT 1")
    return {"status": "ok", "version": __version__}


_LOGIN_HELP = (
    "A 12-hour bearer token. Failed logins slow the next attempts (429 with Retry-After), "
    "counted per limit:\n\n" + "\n".join(f"- {line}" for line in login_limits.limits_text())
    + "\n\nAn e-mail with accounts in several organizations names one in `organization` (id or "
    "exact name); without it, a password that fits several answers 409 with their names."
)


@router.post("/auth/login", tags=["auth"], description=_LOGIN_HELP, responses=rq.LOGIN_RESPONSES)
def login(body: rq.LoginRequest, request: Request, store: StoreDep) -> rq.LoginResponse:
    address = request.client.host if request.client else None
    token, member = auth.login(store, body.email, body.password, organization=body.organization,
                               source=address, now=request.app.state.clock())
    return rq.LoginResponse(token=token, member=member)


@router.post("/auth/logout", tags=["auth"], status_code=204)
def logout(request: Request, store: StoreDep, actor: ActorDep) -> None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise AuthenticationError("Log in first: this needs a bearer token.")
    auth.revoke(store, header[7:])
    request.app.state.token_cache.forget(header[7:])


@router.get("/me", tags=["auth"])
def me(actor: ActorDep) -> dict[str, Any]:
    return {"member_id": actor.member_id, "organization_id": actor.organization_id,
            "role": actor.role, "email": actor.email}


@router.get("/events", tags=["events"])
def list_events(store: StoreDep, actor: ActorDep) -> list[EventView]:
    return events.list_events(store, actor)


@router.post("/events", tags=["events"], status_code=201)
def create_event(body: rq.EventCreate, store: StoreDep, actor: ActorDep) -> EventView:
    return events.create_event(store, actor, body.name, body.timezone, body.venue, body.starts_on,
                               body.ends_on)


@router.get("/events/{event_id}/gates", tags=["events"])
def list_gates(event_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> list[GateView]:
    return events.list_gates(store, actor, str(event_id))


@router.post("/events/{event_id}/gates", tags=["events"], status_code=201)
def add_gate(event_id: uuid.UUID, body: rq.GateCreate, store: StoreDep, actor: ActorDep) -> GateView:
    return events.add_gate(store, actor, str(event_id), body.name, body.kind, body.categories)


@router.get("/events/{event_id}/categories", tags=["events"])
def list_categories(event_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> list[CategoryView]:
    return events.list_categories(store, actor, str(event_id))


@router.post("/events/{event_id}/categories", tags=["events"], status_code=201)
def add_category(event_id: uuid.UUID, body: rq.CategoryCreate, store: StoreDep,
                 actor: ActorDep) -> CategoryView:
    return events.add_category(store, actor, str(event_id), body.name, body.color)


@router.post("/events/{event_id}/categories/{category_id}/number-blocks", tags=["events"], status_code=201)
def reserve_numbers(event_id: uuid.UUID, category_id: uuid.UUID, body: rq.NumberBlockRequest,
                    store: StoreDep, actor: ActorDep) -> band_numbers.NumberBlockView:
    """Band numbers of the category that only the calling station prints (see DESIGN, band numbers)."""
    return band_numbers.lease(store, actor, event_ref=str(event_id), category_ref=str(category_id),
                              size=body.size, station=body.station)


@router.get("/series", tags=["series"])
def list_series(
    store: StoreDep, actor: ActorDep, event_id: uuid.UUID | None = None,
    status: SeriesStatus | None = None, active_now: bool = False,
) -> list[SeriesView]:
    """The organization's series, filtered by event, status or whether check-in is open now."""
    return svc.list_series(store, actor, str(event_id) if event_id else None, status,
                           utcnow() if active_now else None)


@router.post("/series", tags=["series"], status_code=201)
def create_series(body: rq.SeriesCreate, store: StoreDep, actor: ActorDep) -> SeriesChange:
    """A new series of an event, in draft; its check-in window defaults to its run."""
    return svc.create_series(
        store, actor, str(body.event_id), body.name, body.starts_at, body.ends_at, body.capacity,
        checkin_opens_at=body.checkin_opens_at, checkin_closes_at=body.checkin_closes_at,
        reentry_policy=body.reentry_policy, description=body.description,
        gates=[str(g) for g in body.gate_ids],
    )


@router.get("/series/{series_id}", tags=["series"])
def get_series(series_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> SeriesDetail:
    """The series with its gates, category limits and figures."""
    return svc.series_detail(store, actor, str(series_id))


@router.patch("/series/{series_id}", tags=["series"])
def update_series(series_id: uuid.UUID, body: rq.SeriesUpdate, store: StoreDep,
                  actor: ActorDep) -> SeriesChange:
    """Change some fields of a series loaded at ``expected_version`` (fields left out stay)."""
    changes = body.model_dump(exclude_unset=True, exclude={"expected_version"})
    return svc.update_series(store, actor, str(series_id), body.expected_version, changes)


@router.post("/series/{series_id}/transitions", tags=["series"])
def transition(series_id: uuid.UUID, body: rq.TransitionRequest, store: StoreDep,
               actor: ActorDep) -> SeriesChange:
    """Move the series along its lifecycle (draft, scheduled, active, completed, cancelled)."""
    return svc.transition_series(store, actor, str(series_id), body.to, body.reason,
                                 body.expected_version)


@router.post("/series/{series_id}/gates", tags=["series"])
def assign_gates(series_id: uuid.UUID, body: rq.GatesRequest, store: StoreDep,
                 actor: ActorDep) -> SeriesChange:
    """Assign gates of the event to the series (gates already assigned stay)."""
    return svc.assign_gates(store, actor, str(series_id), [str(g) for g in body.gate_ids])


@router.delete("/series/{series_id}/gates/{gate_id}", tags=["series"])
def remove_gate(series_id: uuid.UUID, gate_id: uuid.UUID, store: StoreDep,
                actor: ActorDep) -> SeriesChange:
    """Take a gate off the series."""
    return svc.assign_gates(store, actor, str(series_id), [str(gate_id)], remove=True)


@router.put("/series/{series_id}/limits", tags=["series"])
def set_limit(series_id: uuid.UUID, body: rq.LimitRequest, store: StoreDep,
              actor: ActorDep) -> SeriesChange:
    """Set (``limit`` null: remove) how many bands of a category the series takes."""
    return svc.set_category_limit(store, actor, str(series_id), str(body.category_id), body.limit)


@router.post("/series/{series_id}/wristbands", tags=["series"])
def assign_bands(series_id: uuid.UUID, body: rq.BandsRequest, store: StoreDep,
                 actor: ActorDep) -> AssignResult:
    """Assign bands by category or by a list of UIDs; all or nothing."""
    return assignments.assign_bands(
        store, actor, str(series_id),
        category_ref=str(body.category_id) if body.category_id else None, uids=body.uids,
    )


@router.post("/series/{series_id}/recurring", tags=["series"], status_code=201)
def recur(series_id: uuid.UUID, body: rq.RecurRequest, store: StoreDep,
          actor: ActorDep) -> list[SeriesView]:
    return recurring.generate_recurring(store, actor, str(series_id), body.rule(), body.name_pattern)


@router.get("/series/{series_id}/metrics", tags=["series"])
def series_metrics(series_id: uuid.UUID, store: StoreDep, actor: ActorDep,
                   fresh: bool = Query(False)) -> SeriesMetrics:
    """The series' metrics, cached up to five minutes (``fresh=true``: computed now)."""
    return metrics.series_metrics(store, actor, str(series_id), fresh=fresh)


@router.get("/events/{event_id}/gate-board", tags=["events"])
def gate_board(event_id: uuid.UUID, store: StoreDep, actor: ActorDep) -> GateBoardView:
    """Today's figures per gate and minute (the event's day in its time zone), denials by reason and
    occupancy of the active series: the Gates page of a station that holds no check-ins."""
    return summary.gate_board(store, actor, str(event_id))


@router.post("/verify", tags=["gates"])
async def verify(body: rq.VerifyRequest, request: Request, store: StoreDep, actor: ActorDep) -> CheckinView:
    """One tap at a gate: allowed or denied with its reason, recorded once per scan id."""
    # The tap blocks on the database, so it runs in a thread: one of the taps' own (``taps``).
    # Awaited here, FastAPI checks the answer against its model in the event loop instead of
    # a second trip through the pool (what it does for a plain ``def`` route).
    return await taps.run(request.app.state.tap_threads, tap, store, actor, body.series_id, body)


def tap(store: Store, actor: Actor, series_id: uuid.UUID, body: rq.TapRequest) -> CheckinView:
    """A tap at a gate of ``series_id``, wherever the request named the series (body or path)."""
    if body.occurred_at is not None and body.occurred_at > utcnow():
        raise ValidationError.single("occurred_at", "A scan cannot happen in the future.")
    return checkins.record_tap(
        store, actor, str(series_id), str(body.gate_id), body.uid, body.direction,
        client_scan_id=body.scan_id, device_id=body.device_id or actor.email, now=body.occurred_at,
        payload=None if body.payload is None else _decode_payload(body.payload),
    )


def _decode_payload(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # ValueError: characters outside ASCII
        raise ValidationError.single(
            "payload", "The band's payload is not base64 (standard alphabet, with padding)."
        ) from None


__all__ = ["router", "tap"]
