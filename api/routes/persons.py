"""People: search, profile, case graph, disclosure summary, obligations. Every read is purposed and
audited; victims' locations leave the server only for roles with view_victim_location."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel

from api.audit import AuditEvent, append, submit
from api.auth import User
from api.deps import (
    DbDep,
    Purpose,
    PurposeDep,
    check_permission,
    known_permission,
    require,
    token_claims,
    user_of,
)
from api.errors import RETRY_AFTER_SECONDS
from queries.casegraph import case_graph, timeline
from queries.detect import person_flags
from queries.histories import disclosure_summary
from queries.models import (
    AsOf,
    CaseGraph,
    CaseGraphQuery,
    DisclosureSummary,
    ObligationReport,
    ScorePoint,
    TimelineEvent,
)
from queries.obligations import check_obligations
from queries.people import (
    PersonSearch,
    PersonSearchPage,
    RecordedIdentity,
    person_agencies,
    person_identities,
    search_people,
)
from queries.rfgv import score_history
from spr.db import Database

router = APIRouter(prefix="/persons", tags=["persons"])

PersonId = Annotated[str, Path(min_length=1, max_length=200)]


def _read_event(request: Request, user: User, purpose: Purpose, subject: str | None, outcome: str) -> AuditEvent:
    return AuditEvent(
        username=user.username,
        roles=list(user.roles),
        action=f"{request.method} {request.url.path}",
        subject=subject,
        purpose=purpose.code,
        purpose_detail=purpose.detail,
        client=request.client.host if request.client else None,
        outcome=outcome,
    )


def audit_read(
    db: Database, request: Request, user: User, purpose: Purpose, subject: str | None, outcome: str = "ok"
) -> None:
    append(db, _read_event(request, user, purpose, subject, outcome))


def person_read(permission: str) -> Any:
    """Dependency (use as the annotation's metadata): the user may read this person for this purpose; the
    read is audited (refusals too).

    The user and the person are looked up in one read transaction (one BEGIN and COMMIT for both). An
    allowed read's audit entry commits while the route reads the person: the dependency waits for the
    commit after the route returns and before the response is sent (scope "function"), so nothing leaves
    the server unaudited, and a failed audit write answers 503 instead of the record."""
    known_permission(permission)

    def dep(
        request: Request,
        db: DbDep,
        person_id: PersonId,
        purpose: PurposeDep,
        claims: Annotated[dict[str, Any], Depends(token_claims)],
    ) -> Iterator[tuple[User, str]]:
        with db.one_read():
            user = check_permission(user_of(db, claims), permission)
            exists, agencies = person_agencies(db, person_id)
        if not exists:
            audit_read(db, request, user, purpose, person_id, outcome="not found")
            raise HTTPException(404, f"No person {person_id}")
        if user.agency_scoped and user.agency_code not in agencies:
            # Agency-scoped roles learn nothing about people outside their agency, not even existence.
            audit_read(db, request, user, purpose, person_id, outcome="refused: outside agency")
            raise HTTPException(404, f"No person {person_id}")
        committed = submit(db, _read_event(request, user, purpose, person_id, "ok"))
        try:
            yield user, person_id
        finally:
            try:
                committed.result()
            except Exception as exc:
                raise HTTPException(
                    503,
                    "The read could not be audited, so the record was not sent; retry shortly.",
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                ) from exc

    return Depends(dep, scope="function")


class Profile(BaseModel):
    person_id: str
    identities: list[RecordedIdentity]
    flags: list[dict[str, Any]]
    rfgv_history: list[ScorePoint]
    disclosure: DisclosureSummary
    timeline: list[TimelineEvent]


@router.get("", response_model=PersonSearchPage)
def search(
    request: Request,
    db: DbDep,
    purpose: PurposeDep,
    user: Annotated[User, Depends(require("search_people"))],
    first_name: Annotated[str | None, Query(max_length=100)] = None,
    last_name: Annotated[str | None, Query(max_length=100)] = None,
    dob: date | None = None,
    identifier: Annotated[str | None, Query(max_length=100)] = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> PersonSearchPage:
    """Search across every recorded identity by name, date of birth or identifier (PNC id and others)."""
    q = PersonSearch(
        first_name=first_name, last_name=last_name, dob=dob, identifier=identifier, skip=skip, limit=limit,
        agency=user.agency_code if user.agency_scoped else None,
    )  # fmt: skip
    page = search_people(db, q)  # an agency-scoped role finds only the people its agency holds records about
    audit_read(db, request, user, purpose, subject=f"search:{q.model_dump_json(exclude={'skip', 'limit', 'agency'})}")
    return page


@router.get("/{person_id}", response_model=Profile)
def profile(
    db: DbDep,
    access: Annotated[tuple[User, str], person_read("read_person")],
    as_of: date | None = None,
) -> Profile:
    """Identities (with how each was linked), flags and their reasons, RFGV history, the disclosure
    summary and the timeline."""
    _, person_id = access
    day = as_of or date.today()
    with db.one_read():
        return Profile(
            person_id=person_id,
            identities=person_identities(db, person_id),
            flags=person_flags(db, person_id),
            rfgv_history=score_history(db, person_id),
            disclosure=disclosure_summary(db, person_id, day),
            timeline=timeline(db, person_id, until=day),
        )


@router.get("/{person_id}/case-graph", response_model=CaseGraph)
def get_case_graph(
    db: DbDep,
    access: Annotated[tuple[User, str], person_read("read_case_graph")],
    depth: Annotated[int, Query(ge=1, le=4)] = 2,
    since: date | None = None,
    until: date | None = None,
) -> CaseGraph:
    """The person's neighbourhood to a depth and time window; victims' locations redacted by role."""
    user, person_id = access
    q = CaseGraphQuery(
        person_id=person_id, depth=depth, since=since, until=until, include_sensitive=user.can("view_victim_location")
    )
    return case_graph(db, q)


@router.get("/{person_id}/disclosure", response_model=DisclosureSummary)
def get_disclosure(
    db: DbDep,
    access: Annotated[tuple[User, str], person_read("read_disclosure")],
    as_of: date | None = None,
) -> DisclosureSummary:
    """Clare's Law: the person's complete history across sources; victims only as a count."""
    return disclosure_summary(db, access[1], as_of or date.today())


@router.get("/{person_id}/obligations", response_model=list[ObligationReport])
def get_obligations(
    db: DbDep,
    access: Annotated[tuple[User, str], person_read("read_obligations")],
    as_of: date | None = None,
) -> list[ObligationReport]:
    """Each notification duty, each notification made, and every breach the records reveal."""
    return check_obligations(db, AsOf(as_of=as_of or date.today(), person_ids=[access[1]]))
