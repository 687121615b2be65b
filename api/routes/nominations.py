"""MAPPA+ DA/stalking category (proposed): candidates, nominations and the panel's decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from api.auth import User
from api.deps import DbDep, PurposeDep, require
from api.routes.persons import audit_read
from queries.models import Candidate, CandidateQuery, Nomination, NominationCreate, NominationDecision
from queries.nominations import (
    NominationError,
    NotSwept,
    candidate_page,
    close,
    decide,
    list_nominations,
    nominate,
)

router = APIRouter(prefix="/nominations", tags=["nominations"])

Status = Annotated[str | None, Query(pattern="^(NOMINATED|ACCEPTED|DECLINED|CLOSED)$")]


class CandidatesPage(BaseModel):
    data: list[Candidate]
    count: int
    skip: int
    limit: int
    as_of: date | None = Field(default=None, description="The date the list is as of: the last full sweep's, or as_of")
    stored: bool = Field(default=True, description="The list the sweep stored (true) or computed for as_of (false)")
    swept_at: datetime | None = Field(default=None, description="When the full sweep that stored the list finished")


class NominationsPage(BaseModel):
    data: list[Nomination]
    count: int
    skip: int
    limit: int


class NominationIn(BaseModel):
    person_id: str = Field(min_length=1, max_length=200)
    reasons: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(min_length=1, max_length=20)
    lead_agency: str | None = Field(default=None, max_length=32)


class DecisionIn(BaseModel):
    accept: bool
    level: int | None = Field(default=None, ge=1, le=3)
    reason: str | None = Field(default=None, max_length=2000)


class CloseIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


@router.get(
    "/candidates",
    response_model=CandidatesPage,
    responses={409: {"description": "No sweep has stored the nomination list yet: run `spr detect`"}},
)
def candidates(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("read_nominations"))],
    force: Annotated[str | None, Query(max_length=32)] = None,
    as_of: date | None = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # the page is sliced in Cypher (32-bit bounds)
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CandidatesPage:
    """People who meet the criteria and are not already managed, ranked by RFGV, each with reasons.

    Without ``as_of``: the list the sweep stored (`spr detect`), kept current by every ingest batch; a page
    is read through an index. With ``as_of``: the list computed as known on that date (slow at scale).
    409 when no sweep has stored the list yet."""
    try:
        page = candidate_page(db, CandidateQuery(as_of=as_of, force=force), skip=skip, limit=limit)
    except NotSwept as exc:
        raise HTTPException(409, str(exc)) from exc
    audit_read(db, request, user, purpose, subject=f"nomination-candidates:{force or 'all'}")
    return CandidatesPage(**page.model_dump())


@router.get("", response_model=NominationsPage)
def nominations(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("read_nominations"))],
    status: Status = None,
    person_id: Annotated[str | None, Query(max_length=200)] = None,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> NominationsPage:
    found = list_nominations(db, person_id=person_id, statuses=[status] if status else None)
    audit_read(db, request, user, purpose, subject=f"nominations:{person_id or 'all'}")
    return NominationsPage(data=found[skip : skip + limit], count=len(found), skip=skip, limit=limit)


@router.post("", response_model=Nomination, status_code=201)
def create(
    body: NominationIn,
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("decide_nominations"))],
) -> Nomination:
    try:
        n = nominate(
            db,
            NominationCreate(
                person_id=body.person_id, reasons=body.reasons, nominated_by=user.username, lead_agency=body.lead_agency
            ),
        )
    except NominationError as exc:
        raise HTTPException(409, str(exc)) from exc
    audit_read(db, request, user, purpose, subject=body.person_id, outcome=f"nominated {n.nomination_id}")
    return n


@router.post("/{nomination_id}/decision", response_model=Nomination)
def decision(
    nomination_id: str,
    body: DecisionIn,
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("decide_nominations"))],
) -> Nomination:
    """Accept at a management level (1-3) or decline with a reason; who decided is recorded."""
    try:
        n = decide(
            db,
            NominationDecision(
                nomination_id=nomination_id,
                decided_by=user.username,
                accept=body.accept,
                level=body.level,
                reason=body.reason,
            ),
        )
    except NominationError as exc:
        raise HTTPException(409, str(exc)) from exc
    audit_read(db, request, user, purpose, subject=n.person_id, outcome=f"{n.status} {nomination_id}")
    return n


@router.post("/{nomination_id}/close", response_model=Nomination)
def close_nomination(
    nomination_id: str,
    body: CloseIn,
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("decide_nominations"))],
) -> Nomination:
    try:
        n = close(db, nomination_id, user.username, body.reason)
    except NominationError as exc:
        raise HTTPException(409, str(exc)) from exc
    audit_read(db, request, user, purpose, subject=n.person_id, outcome=f"closed {nomination_id}")
    return n
