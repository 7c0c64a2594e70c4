"""Turning the core's errors into HTTP answers: a status and the same sentence."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from boxoffice import errors as e

log = logging.getLogger(__name__)

STATUS: dict[type[e.BoxOfficeError], int] = {
    e.AuthenticationError: 401,
    e.IdentityError: 401,
    e.PermissionDeniedError: 403,
    e.NotFoundError: 404,
    e.AmbiguousError: 409,
    e.DuplicateError: 409,
    e.StaleVersionError: 409,
    e.IllegalTransitionError: 409,
    e.LimitExceededError: 409,
    e.DeleteRefusedError: 409,
    e.InUseError: 409,
    e.SalesStateError: 409,
    e.ValidationError: 422,
    e.OrganizationChoiceError: 409,
    e.TooManyAttemptsError: 429,
}


def status_of(error: e.BoxOfficeError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def body_of(error: e.BoxOfficeError) -> dict[str, object]:
    body: dict[str, object] = {"error": error.code, "message": error.message}
    if isinstance(error, e.ValidationError):
        body["problems"] = [{"field": p.field, "message": p.message} for p in error.problems]
    if isinstance(error, e.OrganizationChoiceError):
        body["organizations"] = error.organizations
    return body


def headers_of(error: e.BoxOfficeError) -> dict[str, str] | None:
    if isinstance(error, e.TooManyAttemptsError):
        return {"Retry-After": str(error.retry_after)}
    if status_of(error) == 401:
        return {"WWW-Authenticate": "Bearer"}
    return None


def allowed_methods(request: Request) -> list[str]:
    """Every method the API takes at this path.

    Starlette's 405 names only the methods of the first route whose path
    matched (``GET`` for ``/api/series``, which takes ``POST`` as well): a
    client following the ``Allow`` header would never find the others. The
    paths come from the OpenAPI document, the one public list of them. As
    in OpenAPI, where several paths fit, the one with the fewest templated
    parts is meant: ``/api/series/recurring`` rather than
    ``/api/series/{series_id}``, ``.../wristbands/bulk`` rather than
    ``.../wristbands/{uid}`` (``design_routes`` makes the routing agree).
    """
    app = request.app
    table: list[tuple[re.Pattern[str], int, set[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = [
            (re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$"), path.count("{"),
             {method.upper() for method in operations})
            for path, operations in app.openapi().get("paths", {}).items()
        ]
        app.state.allow_table = table
    path = request.scope.get("path", "")
    found = [(templated, methods) for pattern, templated, methods in table if pattern.match(path)]
    fewest = min((templated for templated, _ in found), default=0)
    return sorted({m for templated, methods in found if templated == fewest for m in methods})


def install(app: FastAPI) -> None:
    @app.exception_handler(e.BoxOfficeError)
    async def _core(_: Request, error: e.BoxOfficeError) -> JSONResponse:
        return JSONResponse(body_of(error), status_code=status_of(error), headers=headers_of(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # Starlette's own answers (bad JSON, 405, 404 of unknown paths) in our shape.
        headers = dict(error.headers or {})
        message = str(error.detail)
        if error.status_code == 405:
            allowed = allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
                either = " or ".join([", ".join(allowed[:-1]), allowed[-1]] if len(allowed) > 1 else allowed)
                message = f"{request.method} is not allowed here; use {either}."
        return JSONResponse({"error": "http_error", "message": message},
                            status_code=error.status_code, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, error: IntegrityError) -> JSONResponse:
        # The services check uniqueness first; this is the database catching a
        # race between two writers. A conflict, not a server failure.
        log.warning("integrity conflict: %s", error.orig)
        return JSONResponse(
            {"error": "conflict", "message": "This conflicts with data saved at the same moment; try again."},
            status_code=409,
        )

    @app.exception_handler(DataError)
    async def _data(_: Request, error: DataError) -> JSONResponse:
        # A value the database cannot hold that the services did not foresee
        # (a NUL character in a text on PostgreSQL): bad input, not a failure.
        log.warning("value refused by the database: %s", error.orig)
        return JSONResponse(
            {"error": "invalid", "message": "The request holds a value the database cannot store."},
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ())[1:]) or "body",
                "message": err.get("msg", ""),
            }
            for err in error.errors()
        ]
        message = "; ".join(f"{p['field']}: {p['message']}" for p in problems) or "The request is malformed."
        return JSONResponse(
            {"error": "invalid", "message": message, "problems": problems}, status_code=422
        )
