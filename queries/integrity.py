"""The register's consistency check (`spr check`): the invariants the graph must hold, each reported with
a count and a few example ids.

- ``schema``: the schema version recorded in the graph is this code's; every constraint and index exists.
- ``record_resolution``: every PersonRecord resolves to exactly one Person.
- ``empty_persons``: every Person is reached from at least one PersonRecord.
- ``orphan_incidents``: no orphan incidents. An Incident is an orphan when no PersonRecord is involved in it
  (suspect, victim or witness) or it has no recording agency: no Person's history can count it, or no
  agency owns it.
- ``flag_evidence``: every Flag belongs to one Person and names a known definition, and its evidence still
  exists and is still that person's (every definition is evidenced by incidents with the person as suspect).
- ``nomination_persons``: every Nomination nominates exactly one existing Person.
- ``alert_persons``: every Alert is about exactly one existing Person.
- ``alert_evidence``: every record an Alert lists as evidence ("Label:key") still exists.
- ``audit_chain``: the audit hash chain verifies (``api.audit.verify``).

The checks only read. Each is one catalog query (``queries/cypher/check_*.cypher``) except the schema and
the audit chain, which reuse the code that applies and verifies them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, computed_field

from queries._common import read
from spr.db import Database

DEFAULT_EXAMPLES = 5


class Example(BaseModel):
    id: str
    problem: str


class CheckResult(BaseModel):
    name: str
    invariant: str
    ok: bool
    count: int
    examples: list[Example] = []


class IntegrityReport(BaseModel):
    checked_at: datetime
    database: str
    checks: list[CheckResult]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.ok]

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)


def _catalog_check(query: str, **params: object) -> Callable[[Database, int], tuple[int, list[Example]]]:
    def run(db: Database, limit: int) -> tuple[int, list[Example]]:
        row = read(db, query, limit=limit, **params)[0]
        return int(row["count"]), [Example.model_validate(e) for e in row["examples"]]

    return run


def _schema(db: Database, limit: int) -> tuple[int, list[Example]]:
    from graph_schema.apply import SCHEMA_NAME, existing_schema_names, schema_statements, schema_version_in_graph
    from graph_schema.model import vocabulary

    problems: list[Example] = []
    want = vocabulary().model.schema_version
    found = schema_version_in_graph(db)
    if found is None:
        problems.append(Example(id=f"SchemaVersion {SCHEMA_NAME}", problem="no schema version: run `spr schema apply`"))
    elif found != want:
        problems.append(
            Example(id=f"SchemaVersion {SCHEMA_NAME}", problem=f"version {found} in the graph, this code's is {want}")
        )
    have = existing_schema_names(db)
    for st in schema_statements():
        if st.name not in have:
            problems.append(Example(id=st.name, problem=f"{st.kind} on {st.label}.{st.prop} is missing"))
    return len(problems), problems[:limit]


_SEQ = re.compile(r"entry (\d+)")


def _audit(db: Database, limit: int) -> tuple[int, list[Example]]:
    from api.audit import verify

    result = verify(db)
    examples = []
    for p in result.problems[:limit]:
        m = _SEQ.search(p)
        examples.append(Example(id=f"AuditEntry {m.group(1)}" if m else "AuditHead audit", problem=p))
    return len(result.problems), examples


def _flag_definitions() -> list[str]:
    from queries.detect import FLAG_DEFINITIONS

    return list(FLAG_DEFINITIONS)


# name -> (invariant, how to count what breaks it); in the order they are reported.
CHECKS: dict[str, tuple[str, Callable[[Database, int], tuple[int, list[Example]]]]] = {
    "schema": ("the graph's schema version is this code's and every constraint and index exists", _schema),
    "record_resolution": (
        "every PersonRecord resolves to exactly one Person",
        _catalog_check("check_record_resolution"),
    ),
    "empty_persons": ("every Person has at least one PersonRecord", _catalog_check("check_empty_persons")),
    "orphan_incidents": (
        "every Incident has a person involved and a recording agency",
        _catalog_check("check_orphan_incidents"),
    ),
    "flag_evidence": (
        "every Flag has one Person, a known definition, and its Incident evidence, still that person's",
        lambda db, limit: _catalog_check("check_flag_evidence", definitions=_flag_definitions())(db, limit),
    ),
    "nomination_persons": (
        "every Nomination nominates exactly one existing Person",
        _catalog_check("check_nomination_persons"),
    ),
    "alert_persons": ("every Alert is about exactly one existing Person", _catalog_check("check_alert_persons")),
    "alert_evidence": ("every record an Alert lists as evidence exists", _catalog_check("check_alert_evidence")),
    "audit_chain": ("the audit hash chain verifies", _audit),
}


class UnknownCheck(ValueError):
    """A check name that is not one of CHECKS."""


def check_integrity(
    db: Database, *, examples: int = DEFAULT_EXAMPLES, only: Sequence[str] | None = None
) -> IntegrityReport:
    """Run every check (or those named in ``only``) and report each with its count and first examples."""
    names = list(only) if only else list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise UnknownCheck(f"unknown check {', '.join(unknown)}: one of {', '.join(CHECKS)}")
    limit = max(0, examples)
    results = []
    for name in names:
        invariant, run = CHECKS[name]
        count, found = run(db, limit)
        results.append(CheckResult(name=name, invariant=invariant, ok=count == 0, count=count, examples=found))
    return IntegrityReport(checked_at=datetime.now(UTC), database=db.database, checks=results)
