"""The gate scanner page (``/scanner/``) and the few routes it needs beyond verify and scannables.

The page is plain HTML, CSS and ES modules in ``scanner/static``, served as
files: no build step. See ``scanner/static/README.md`` for how it decides.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from boxoffice.programs.server import requests as rq
from boxoffice.programs.server.deps import ActorDep, StoreDep
from boxoffice.schemas.scanner import ScannerConfig, ScannerKeys, ScannerSeries
from boxoffice.services import gate_devices

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


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(PAGE_PATH.rstrip("/"), StaticFiles(directory=static_folder(), html=True), name="scanner")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(PAGE_PATH)
