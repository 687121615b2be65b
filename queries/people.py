"""Finding people: search across every recorded identity, a person's identities, and which agencies
hold records about them (for agency-scoped roles)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from queries._common import read
from spr.db import Database


class PersonSearch(BaseModel):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    dob: date | None = None
    identifier: str | None = Field(default=None, max_length=100)
    # Only people this agency holds records about (person_agencies): an agency-scoped role's search, filtered
    # before the page is cut, so that its count and pages are its own.
    agency: str | None = Field(default=None, max_length=100)
    skip: int = Field(default=0, ge=0, le=1_000_000)  # the page is sliced in Cypher (32-bit bounds)
    limit: int = Field(default=20, ge=1, le=200)


class RecordedIdentity(BaseModel):
    uid: str
    source_system: str | None = None
    first_name: str | None = None
    middle_names: str | None = None
    last_name: str | None = None
    aliases: list[str] | None = None
    dob: date | None = None
    sex: str | None = None
    pnc_id: str | None = None
    method: str | None = None
    probability: float | None = None
    decided_by: str | None = None
    model_version: str | None = None


class PersonMatch(BaseModel):
    person_id: str
    display_name: str | None = None
    dob: date | None = None
    records: list[RecordedIdentity]


class PersonSearchPage(BaseModel):
    data: list[PersonMatch]
    count: int
    skip: int
    limit: int


def search_people(db: Database, q: PersonSearch) -> PersonSearchPage:
    """People any of whose recorded identities match; an empty search matches nobody."""
    if not any((q.first_name, q.last_name, q.dob, q.identifier)):
        return PersonSearchPage(data=[], count=0, skip=q.skip, limit=q.limit)
    rows = read(db, "find_people", **q.model_dump())
    row = rows[0]
    return PersonSearchPage(
        data=[PersonMatch.model_validate(p) for p in row["page"]], count=row["total"], skip=q.skip, limit=q.limit
    )


def person_identities(db: Database, person_id: str) -> list[RecordedIdentity]:
    return [RecordedIdentity.model_validate(r) for r in read(db, "find_person_identities", person_id=person_id)]


def person_agencies(db: Database, person_id: str) -> tuple[bool, set[str]]:
    """(whether the person exists, the agency codes that hold records about them)."""
    row = read(db, "find_person_agencies", person_id=person_id)[0]
    return bool(row["exists"]), set(row["agencies"])
