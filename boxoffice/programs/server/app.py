"""Building the FastAPI application around one store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from boxoffice import __version__, cache_bounds
from boxoffice.programs.server import (
    deps,
    design_routes,
    errors,
    event_routes,
    routes,
    sales_routes,
    scanner_routes,
    series_routes,
    sync_routes,
    taps,
)
from boxoffice.store.database import Store
from boxoffice.store.types import utcnow
from boxoffice.sync import changelog

log = logging.getLogger(__name__)

# A bulk assignment of 200,000 UIDs is about 4 MB of JSON; nothing legitimate is larger.
MAX_BODY_BYTES = 8 * 1024 * 1024


class BodyLimit:
    """Refuse a request whose declared body is too large, before reading it.

    Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which wraps
    every request and response in extra tasks and streams: on the verify
    path that cost more than the check itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                response = JSONResponse(
                    {"error": "too_large",
                     "message": f"The request is larger than {MAX_BODY_BYTES:,} bytes."},
                    status_code=413,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(store: Store, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """The server over ``store``; ``clock`` is what the login throttle reads as now (tests move it)."""
    # The environment's settings: read (and a malformed one refused) before anything is written.
    bounds, tap_threads = cache_bounds.describe(), taps.threads()
    changelog.become_server(store)
    app = FastAPI(title="Box office central server", version=__version__)
    app.state.store = store
    app.state.clock = clock
    app.state.token_cache = deps.TokenCache()
    app.state.tap_threads = tap_threads
    log.info("per-process caches: %s; gates' taps on %d threads", bounds, tap_threads)
    app.add_middleware(BodyLimit)
    errors.install(app)
    # First: its fixed paths (/api/series/scannable, /recurring) before /api/series/{series_id}.
    app.include_router(design_routes.router)
    app.include_router(routes.router)
    app.include_router(series_routes.router)
    app.include_router(event_routes.router)
    app.include_router(sync_routes.router)
    app.include_router(sales_routes.router)
    scanner_routes.install(app)
    return app


#: Where ``app_from_environment`` finds its database: set by ``boxoffice server --workers N``.
DB_VARIABLE = "BOXOFFICE_SERVER_DB"


def app_from_environment() -> FastAPI:
    """The app factory each of uvicorn's worker processes calls: a process opens its own store.

    uvicorn starts several workers only from an import string, never from an
    app object, and a store (its engine and connection pool) must not cross a
    fork anyway.
    """
    import os

    from boxoffice.store.opening import open_store

    target = os.environ.get(DB_VARIABLE)
    if not target:
        raise RuntimeError(f"{DB_VARIABLE} names no database")
    return create_app(open_store(target))
