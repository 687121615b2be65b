"""Reports for force and national leads (no person-level data)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import User
from api.deps import DbDep, require
from queries.histories import consistency
from queries.models import ConsistencyReport

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/consistency", response_model=ConsistencyReport)
def consistency_report(
    db: DbDep, user: Annotated[User, Depends(require("read_consistency"))], as_of: date | None = None
) -> ConsistencyReport:
    """Per force: how many people meet each definition, were nominated, accepted, declined; the spread."""
    return consistency(db, as_of)
