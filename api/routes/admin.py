"""Administration: the audit log (query, verify) and users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from api import audit
from api.auth import User, UserError, create_user
from api.deps import DbDep, require

router = APIRouter(prefix="/admin", tags=["admin"])


class AuditPage(BaseModel):
    data: list[dict[str, Any]]
    count: int
    skip: int
    limit: int


class AuditVerification(BaseModel):
    ok: bool
    entries: int
    problems: list[str]


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=12, max_length=256)
    roles: list[str] = Field(min_length=1)
    agency_code: str | None = Field(default=None, max_length=32)


class UserPublic(BaseModel):
    username: str
    roles: list[str]
    agency_code: str | None


@router.get("/audit", response_model=AuditPage)
def audit_log(
    db: DbDep,
    user: Annotated[User, Depends(require("read_audit"))],
    username: Annotated[str | None, Query(max_length=64)] = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """Query the audit log, newest first."""
    rows, total = audit.query(db, username=username, subject=subject, since=since, skip=skip, limit=limit)
    return AuditPage(data=rows, count=total, skip=skip, limit=limit)


@router.get("/audit/verify", response_model=AuditVerification)
def audit_verify(db: DbDep, user: Annotated[User, Depends(require("read_audit"))]) -> AuditVerification:
    """Recompute the hash chain; any edit, deletion or reordering is reported."""
    result = audit.verify(db)
    return AuditVerification(ok=result.ok, entries=result.entries, problems=result.problems)


@router.post("/users", response_model=UserPublic, status_code=201)
def add_user(body: UserCreate, db: DbDep, admin: Annotated[User, Depends(require("manage_users"))]) -> UserPublic:
    try:
        created = create_user(db, body.username, body.password, body.roles, body.agency_code)
    except UserError as exc:
        raise HTTPException(422, str(exc)) from exc
    audit.append(
        db,
        audit.AuditEvent(
            username=admin.username, roles=list(admin.roles), action="CREATE_USER", subject=created.username
        ),
    )
    return UserPublic(username=created.username, roles=list(created.roles), agency_code=created.agency_code)
