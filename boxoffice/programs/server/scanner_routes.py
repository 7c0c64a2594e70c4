"""The gate scanner page (``/scanner/``) and the few routes it needs beyond verify and scannables.

The page is plain HTML, CSS and ES modules in ``scanner/static``, served as
files: no build step. See ``scanner/static/README.md`` for how it decides.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from boxoffice.domain.enums import Direction
from boxoffice.programs.server import requests as rq
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.schemas.scanner import GateDeviceView, GateLeaseView, ScannerConfig, ScannerKeys, ScannerSeries
from boxoffice.services import auth, gate_devices, gate_leases

router = APIRouter(prefix="/api/scanner", tags=["scanner"], responses=rq.ERROR_RESPONSES)

#: Where the page is served; the desktop's QR codes point here.
PAGE_PATH = "/scanner/"


def static_folder() -> Path:
    return Path(str(resources.files("boxoffice.programs.server.scanner") / "static"))


@router.get("/config")
def config() -> ScannerConfig:
    """The band record's type and layout, and every reason's words as the desktop and server say them."""
    return gate_devices.config()


@router.get("/series")
def scanner_series(store: StoreDep, actor: ActorDep) -> list[ScannerSeries]:
    """Scheduled and active series with their gates: what a gate device may pick from."""
    return gate_devices.choices(store, actor)


@router.get("/series/{series_id}/keys")
def scanner_keys(series_id: str, store: StoreDep, actor: ActorDep) -> ScannerKeys:
    """The public keys of the series' event, to check band signatures offline."""
    return gate_devices.series_keys(store, actor, series_id)


class LeaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series_id: uuid.UUID
    gate_id: uuid.UUID
    device_id: Annotated[str, Field(min_length=1, max_length=120)]
    wanted: Annotated[int, Field(ge=1, le=10_000)]


class LeaseReturn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    used: Annotated[int, Field(ge=0)]


class Heartbeat(BaseModel):
    model_config = ConfigDict(extra="ignore")

    device_id: Annotated[str, Field(min_length=1, max_length=120)]
    lane: Annotated[str, Field(max_length=120)] = ""
    series_id: uuid.UUID | None = None
    gate_id: uuid.UUID | None = None
    direction: Direction = Direction.IN
    queued: Annotated[int, Field(ge=0)] = 0
    oldest_queued_at: datetime | None = None
    data_at: datetime | None = None
    lane_count: Annotated[int, Field(ge=0)] = 0


@router.post("/leases", status_code=201)
def lease(body: LeaseRequest, store: StoreDep, actor: ActorDep) -> GateLeaseView:
    """Places this scanner may admit while offline (``services.gate_leases``); 409 when none are free."""
    return gate_leases.grant(store, actor, str(body.series_id), body.gate_id, body.device_id, body.wanted)


@router.post("/leases/{lease_id}/return")
def give_back(lease_id: uuid.UUID, body: LeaseReturn, store: StoreDep, actor: ActorDep) -> GateLeaseView:
    """Close the lease at what it admitted (its taps uploaded first) and free its places."""
    return gate_leases.give_back(store, actor, lease_id, body.used)


@router.post("/heartbeat", status_code=204)
def heartbeat(body: Heartbeat, store: StoreDep, actor: ActorDep) -> None:
    """A scanner's lane, queued scans and data age, for the supervisor's Gates page."""
    gate_devices.heartbeat(store, actor, device_id=body.device_id, lane=body.lane, series_id=body.series_id,
                           gate_id=body.gate_id, direction=body.direction.value, queued=body.queued,
                           oldest_queued_at=body.oldest_queued_at, data_at=body.data_at,
                           lane_count=body.lane_count)


class DeviceTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(min_length=3, max_length=254)]
    label: Annotated[str, Field(max_length=120)] = ""


@router.post("/device-tokens", status_code=201)
def device_token(body: DeviceTokenRequest, store: StoreDep, actor: ActorDep) -> dict[str, str]:
    """A long-lived token for a gate member's phone, and the page's path: what the desktop's QR code holds."""
    token = auth.issue_device_token(store, actor, body.email, body.label)
    return {"token": token, "path": f"{PAGE_PATH}#token={token}"}


@router.get("/devices")
def devices(store: StoreDep, actor: ActorDep) -> list[GateDeviceView]:
    """Every scanner heard from: lane, online or not, queued scans, last contact."""
    return gate_devices.devices(store, actor)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(PAGE_PATH.rstrip("/"), StaticFiles(directory=static_folder(), html=True), name="scanner")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(PAGE_PATH)
