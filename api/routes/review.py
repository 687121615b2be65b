"""Identity review: the queue of proposed links, the explanation behind a pair, and analysts' decisions.

The same library functions as ``spr review``, ``spr review explain`` and ``spr review decide``
(``ingest.identity.review``). Reads and decisions are purposed (state DATA_QUALITY) and audited like any
read of a person's record; the deciding user is recorded with the decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from api.auth import User
from api.deps import DbDep, PurposeDep, require
from api.routes.persons import audit_read
from ingest.identity.review import ReviewError, decide, explain_pair, queue, queue_size
from queries._common import native

router = APIRouter(prefix="/identity/review", tags=["identity"])

RecordUid = Annotated[str, Query(min_length=1, max_length=200, description="A person record's uid, e.g. WMP/N1")]
ReviewStatus = Literal["OPEN", "CONFIRMED", "REJECTED", "CLOSED"]


class WaterfallStep(BaseModel):
    """One step of the match weight: a comparison, the level the pair reached, and its weight."""

    comparison: str = Field(description="The comparison ('Prior' and 'Final score' open and close the list).")
    level: str | None = None
    match_weight: float | None = Field(default=None, description="log2 of m/u: positive for, negative against.")
    left: Any = None
    right: Any = None


class ReviewItem(BaseModel):
    review_id: str
    left: str
    right: str
    probability: float | None = None
    match_weight: float | None = None
    reason: str | None = Field(default=None, description="Why the pair is in the queue.")
    model_version: str | None = None
    created_at: datetime | None = None
    explanation: list[WaterfallStep] = []


class ReviewPage(BaseModel):
    data: list[ReviewItem]
    count: int = Field(description="Items with this status in all.")
    skip: int
    limit: int


class PairExplanation(BaseModel):
    left: str
    right: str
    probability: float | None = None
    match_weight: float | None = None
    band: str | None = Field(default=None, description="LINK or REVIEW.")
    model_version: str | None = None
    scored_at: datetime | None = None
    explanation: list[WaterfallStep] = []


class DecisionIn(BaseModel):
    left: str = Field(min_length=1, max_length=200, description="One person record's uid")
    right: str = Field(min_length=1, max_length=200, description="The other person record's uid")
    decision: Literal["SAME", "DIFFERENT"] = Field(description="SAME confirms the link, DIFFERENT rejects it")
    reason: str = Field(min_length=1, max_length=2000, description="Why (recorded with the decision)")


class DecisionOut(BaseModel):
    left: str
    right: str
    decision: Literal["SAME", "DIFFERENT"]
    decided_by: str
    reason: str
    merges: int
    splits: int
    affected_person_ids: list[str]
    retired_person_ids: list[str]


@router.get("", response_model=ReviewPage)
def review_queue(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("review_identity"))],
    status: ReviewStatus = "OPEN",
    skip: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ReviewPage:
    """The review queue, strongest pairs first, each with the comparison levels and match weights behind it."""
    items = queue(db, status=status, limit=skip + limit, include_locations=user.can("view_victim_location"))[skip:]
    audit_read(db, request, user, purpose, subject=f"identity-review:{status}")
    return ReviewPage(
        data=[ReviewItem.model_validate(native(i)) for i in items],
        count=queue_size(db).get(status, 0),
        skip=skip,
        limit=limit,
    )


@router.get("/explain", response_model=PairExplanation)
def explain(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("review_identity"))],
    left: RecordUid,
    right: RecordUid,
) -> PairExplanation:
    """The stored score of a pair and the waterfall behind it: each comparison's level and match weight."""
    found = explain_pair(db, left, right, include_locations=user.can("view_victim_location"))
    subject = "pair:" + "|".join(sorted((left, right)))
    audit_read(db, request, user, purpose, subject=subject, outcome="ok" if found else "not found")
    if found is None:
        raise HTTPException(404, f"The pair {left} / {right} was never scored at or above the review threshold")
    return PairExplanation.model_validate(native(found))


@router.post("/decisions", response_model=DecisionOut)
def record_decision(
    body: DecisionIn,
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("review_identity"))],
) -> DecisionOut:
    """Confirm (SAME) or reject (DIFFERENT) a pair with a reason. It takes effect at once, the Persons it
    touches are re-derived, and it holds on every later run of the matching."""
    subject = "pair:" + "|".join(sorted((body.left, body.right)))
    try:
        result = decide(db, body.left, body.right, body.decision, decided_by=user.username, reason=body.reason)
    except ReviewError as exc:
        audit_read(db, request, user, purpose, subject=subject, outcome=f"refused: {exc}"[:500])
        raise RequestValidationError(
            [{"loc": ("body",), "msg": f"The decision cannot be recorded: {exc}", "type": "value_error"}]
        ) from exc
    audit_read(
        db, request, user, purpose, subject=subject,
        outcome=f"{body.decision}: {result.merges} merge(s), {result.splits} split(s)",
    )  # fmt: skip
    return DecisionOut(
        left=body.left,
        right=body.right,
        decision=body.decision,
        decided_by=user.username,
        reason=body.reason.strip(),
        merges=result.merges,
        splits=result.splits,
        affected_person_ids=result.affected_person_ids,
        retired_person_ids=result.retired_person_ids,
    )
