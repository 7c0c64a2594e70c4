"""Building the FastAPI application around one store."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from boxoffice import __version__
from boxoffice.server import errors, routes, sync_routes
from boxoffice.store import changelog
from boxoffice.store.database import Store

log = logging.getLogger(__name__)

# A bulk assignment of 200,000 UIDs is about 4 MB of JSON; nothing legitimate is larger.
MAX_BODY_BYTES = 8 * 1024 * 1024


class BodyLimit(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse(
                {"error": "too_large", "message": f"The request is larger than {MAX_BODY_BYTES:,} bytes."},
                status_code=413,
            )
        return await call_next(request)


def create_app(store: Store) -> FastAPI:
    changelog.become_server(store)
    app = FastAPI(title="Box office central server", version=__version__)
    app.state.store = store
    app.add_middleware(BodyLimit)
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(sync_routes.router)
    return app
