"""The identity stage at its simplest: PersonRecords that share a PNC id resolve to one Person; a
record with no PNC id gets a Person of its own. Probabilistic matching replaces this stage by providing
another ``resolve(db, record_uids)``; the ingest calls whichever resolver it is given.

Person ids are derived from what links them (the PNC id, or the record's uid), so running the stage
again, or after an interruption, finds the same Persons. A record whose link was decided by another
method (a matching model, a reviewer) is left alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import LiteralString, Protocol

from neo4j import ManagedTransaction

from graph_schema import vocabulary
from spr.db import Database

METHOD = "exact"
DECIDED_BY = "rule:exact-id"
CHUNK = 5000

_M = vocabulary().model
_PR, _P, _RT = _M.label("PersonRecord"), _M.label("Person"), _M.rel_type("RESOLVES_TO")

READ_RECORDS: LiteralString = (
    f"UNWIND $uids AS u MATCH (r:{_PR} {{uid: u}}) "
    f"OPTIONAL MATCH (r)-[x:{_RT}]->() WHERE x.method <> $method "
    "RETURN r.uid AS uid, r.pnc_id AS pnc_id, count(x) AS decided_elsewhere"
)
# Exact links that no longer hold (a later version changed the PNC id): dropped, old Person ids returned.
DROP_STALE_LINKS: LiteralString = (
    f"UNWIND $rows AS row MATCH (r:{_PR} {{uid: row.uid}})-[old:{_RT} {{method: $method}}]->(other:{_P}) "
    "WHERE other.person_id <> row.person_id DELETE old RETURN collect(DISTINCT other.person_id) AS ids"
)
LINK_EXACT: LiteralString = (
    f"UNWIND $rows AS row MATCH (r:{_PR} {{uid: row.uid}}) "
    f"MERGE (p:{_P} {{person_id: row.person_id}}) ON CREATE SET p.created_at = $at "
    f"MERGE (r)-[x:{_RT}]->(p) ON CREATE SET x.method = $method, x.probability = 1.0, "
    "x.decided_by = $decided_by, x.decided_at = $at "
    "RETURN count(*) AS linked"
)
# A Person shows the names of its earliest record (lowest uid): the same whatever order records came in.
REFRESH_PERSONS: LiteralString = (
    f"UNWIND $ids AS pid MATCH (p:{_P} {{person_id: pid}})<-[:{_RT}]-(r:{_PR}) "
    "WITH p, r ORDER BY r.uid WITH p, collect(r)[0] AS first "
    "SET p.display_name = trim(coalesce(first.first_name + ' ', '') + first.last_name), "
    "p.dob = first.dob, p.sex = first.sex"
)
DELETE_ORPHANS: LiteralString = (
    f"UNWIND $ids AS pid MATCH (p:{_P} {{person_id: pid}}) WHERE NOT (p)<-[:{_RT}]-() DELETE p"
)


class Resolver(Protocol):
    def __call__(self, db: Database, record_uids: Sequence[str]) -> ResolveResult: ...


@dataclass
class ResolveResult:
    records: int = 0
    linked: int = 0
    left_alone: int = 0


def person_id_for(uid: str, pnc_id: str | None) -> str:
    basis = f"pnc:{pnc_id}" if pnc_id else f"rec:{uid}"
    return "P-" + hashlib.sha256(basis.encode()).hexdigest()[:20]


def _chunks(items: Sequence[str], n: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def resolve(db: Database, record_uids: Sequence[str], *, at: datetime | None = None) -> ResolveResult:
    """Link the given PersonRecords to Persons on exact PNC id; one managed transaction per chunk."""
    at = at or datetime.now(UTC)
    result = ResolveResult()
    uids = sorted(set(record_uids))
    for chunk in _chunks(uids, CHUNK):
        found = db.read(READ_RECORDS, uids=list(chunk), method=METHOD)
        rows = []
        for r in found:
            result.records += 1
            if r["decided_elsewhere"]:
                result.left_alone += 1
                continue
            rows.append({"uid": r["uid"], "person_id": person_id_for(r["uid"], r["pnc_id"])})
        if not rows:
            continue
        ids = sorted({r["person_id"] for r in rows})

        result.linked += db.execute_write(_link_work(rows, ids, at))
    return result


def _link_work(rows: list[dict[str, str]], ids: list[str], at: datetime) -> Callable[[ManagedTransaction], int]:
    def work(tx: ManagedTransaction) -> int:
        stale = tx.run(DROP_STALE_LINKS, rows=rows, method=METHOD).single()
        old_ids = list(stale["ids"]) if stale else []
        linked = tx.run(LINK_EXACT, rows=rows, method=METHOD, decided_by=DECIDED_BY, at=at).single()
        tx.run(REFRESH_PERSONS, ids=sorted(set(ids) | set(old_ids))).consume()
        if old_ids:
            tx.run(DELETE_ORPHANS, ids=old_ids).consume()
        return int(linked["linked"]) if linked else 0

    return work


def link_exact(db: Database, record_uids: Sequence[str], *, at: datetime | None = None) -> ResolveResult:
    """The exact-identifier identity stage (alias of ``resolve``)."""
    return resolve(db, record_uids, at=at)
