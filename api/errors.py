"""One error shape for every failure: RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import ServiceUnavailable, SessionExpired, TransientError
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph_schema.apply import SchemaMismatch
from spr.db import DatabaseUnavailable

PROBLEM = "application/problem+json"
RETRY_AFTER_SECONDS = 5


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    resp = problem(
        503,
        "Service Unavailable",
        "The register's database is unavailable; retry shortly.",
        instance=request.url.path,
        retry_after=RETRY_AFTER_SECONDS,
    )
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        resp = problem(exc.status_code, _title(exc.status_code), str(exc.detail), instance=request.url.path)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem(
            422, "Unprocessable Content", "The request has invalid fields.", instance=request.url.path, errors=errors
        )

    for exc_type in (DatabaseUnavailable, ServiceUnavailable, SessionExpired, TransientError, SchemaMismatch):
        app.add_exception_handler(exc_type, _unavailable)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Never a traceback to the client; the server log has it.
        return problem(500, "Internal Server Error", "An unexpected error occurred.", instance=request.url.path)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
