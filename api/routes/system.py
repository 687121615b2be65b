"""Health (no auth), readiness, login, the current user."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from pydantic import BaseModel

from api.audit import AuditEvent, append
from api.auth import authenticate, issue_token
from api.deps import CurrentUser, DbDep
from api.errors import RETRY_AFTER_SECONDS, problem
from graph_schema.apply import require_schema
from spr.db import Database, DatabaseUnavailable

log = logging.getLogger(__name__)
router = APIRouter()


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    neo4j: str
    schema_version: int | None = None


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    roles: list[str]
    agency_code: str | None
    permissions: list[str]


@router.get("/health", response_model=Health, tags=["system"])
def health() -> Health:
    """Liveness: the process answers. Needs no login."""
    return Health(status="ok")


@router.get("/ready", response_model=Readiness, tags=["system"], responses={503: {"description": "Not ready"}})
def ready(request: Request) -> Readiness | JSONResponse:
    """Readiness: the database answers and has this code's schema (503 with Retry-After otherwise).

    The 503 names the cause (not reachable, credentials refused, URI not usable, no schema, ...) without
    any address, user or secret; the server log has the full message.
    """
    from graph_schema.apply import SchemaMismatch, schema_version_in_graph

    try:
        db: Database = request.app.state.db_factory()
        info = db.server_info()
        require_schema(db)
        version = schema_version_in_graph(db)
    except DatabaseUnavailable as exc:
        return _not_ready(request, exc, exc.reason)
    except SchemaMismatch as exc:
        return _not_ready(request, exc, str(exc))
    except (ServiceUnavailable, SessionExpired) as exc:
        return _not_ready(request, exc, "not reachable")
    return Readiness(status="ready", neo4j=f"{info.get('version')} {info.get('edition')}", schema_version=version)


def _not_ready(request: Request, exc: Exception, reason: str) -> JSONResponse:
    log.warning("not ready: %s", exc)
    resp = problem(
        503,
        "Service Unavailable",
        f"The register is not ready: {reason}.",
        instance=request.url.path,
        reason=reason,
        retry_after=RETRY_AFTER_SECONDS,
    )
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


@router.post("/auth/token", response_model=Token, tags=["auth"])
def login(request: Request, db: DbDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """OAuth2 password flow: a signed, expiring bearer token."""
    user = authenticate(db, form.username, form.password)
    client = request.client.host if request.client else None
    if user is None:
        append(db, AuditEvent(username=form.username[:64], roles=[], action="LOGIN", client=client, outcome="refused"))
        raise HTTPException(401, "Wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    token, ttl = issue_token(user)
    append(db, AuditEvent(username=user.username, roles=list(user.roles), action="LOGIN", client=client))
    return Token(access_token=token, expires_in=ttl)


@router.get("/me", response_model=Me, tags=["auth"])
def me(user: CurrentUser) -> Me:
    return Me(
        username=user.username,
        roles=list(user.roles),
        agency_code=user.agency_code,
        permissions=sorted(user.permissions()),
    )
