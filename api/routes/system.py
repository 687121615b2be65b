"""Health (no auth), readiness, login, the current user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.audit import AuditEvent, append
from api.auth import authenticate, issue_token
from api.deps import CurrentUser, DbDep
from graph_schema.apply import require_schema

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


@router.get("/ready", response_model=Readiness, tags=["system"])
def ready(db: DbDep) -> Readiness:
    """Readiness: the database answers and has this code's schema (503 with Retry-After otherwise)."""
    info = db.server_info()
    require_schema(db)
    from graph_schema.apply import schema_version_in_graph

    return Readiness(
        status="ready", neo4j=f"{info.get('version')} {info.get('edition')}", schema_version=schema_version_in_graph(db)
    )


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
