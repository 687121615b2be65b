"""Validation beyond one record: duplicates, references that must resolve (within this load or in the
register), agencies that must be known, and a victim who is also the suspect of the same incident.

Per-record checks (types, codes, formats, dates in the future) are the pydantic models' (records.py);
this module runs them, turns their errors into rejects with the field and reason, and adds the checks
that need several records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, LiteralString

from pydantic import ValidationError

from graph_schema import vocabulary
from ingest.reader import RawRecord
from ingest.records import RECORD_TYPES, BaseRecord
from ingest.report import Reject
from spr.db import Database

# Reference fields: (field, record type referred to, holds a list).
REFS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "address": (("person_ref", "person", False),),
    "involvement": (("incident_ref", "incident", False), ("person_ref", "person", False)),
    "relationship": (("person_ref", "person", False), ("other_ref", "person", False)),
    "outcome": (("person_ref", "person", False), ("incident_ref", "incident", False)),
    "order": (
        ("subject_ref", "person", False),
        ("protected_refs", "person", True),
        ("incident_ref", "incident", False),
    ),
    "breach": (("order_ref", "order", False), ("incident_ref", "incident", False), ("person_ref", "person", False)),
    "notification": (("person_ref", "person", False), ("order_ref", "order", False)),
    "episode": (("person_ref", "person", False),),
    "assessment": (("person_ref", "person", False), ("incident_ref", "incident", False)),
    "travel": (("person_ref", "person", False),),
}
# Agency code fields: each must name an agency loaded now or already in the register.
AGENCY_FIELDS: dict[str, tuple[str, ...]] = {
    "incident": ("agency_code",),
    "outcome": ("agency_code",),
    "order": ("issuing_agency",),
    "notification": ("received_by",),
    "episode": ("agency_code",),
    "assessment": ("agency_code",),
}
REF_LABEL = {"person": "PersonRecord", "incident": "Incident", "order": "Order"}

_M = vocabulary().model
FIND_PERSON_RECORDS: LiteralString = (
    f"UNWIND $uids AS u MATCH (n:{_M.label('PersonRecord')} {{uid: u}}) RETURN n.uid AS uid"
)
FIND_INCIDENTS: LiteralString = f"UNWIND $uids AS u MATCH (n:{_M.label('Incident')} {{uid: u}}) RETURN n.uid AS uid"
FIND_ORDERS: LiteralString = f"UNWIND $uids AS u MATCH (n:{_M.label('Order')} {{uid: u}}) RETURN n.uid AS uid"
FIND_QUERIES: dict[str, LiteralString] = {
    "person": FIND_PERSON_RECORDS,
    "incident": FIND_INCIDENTS,
    "order": FIND_ORDERS,
}
ALL_AGENCY_CODES: LiteralString = f"MATCH (a:{_M.label('Agency')}) RETURN a.code AS code"
# Suspect/victim edges already in the register for (person, incident) pairs.
FIND_ROLES: LiteralString = (
    f"UNWIND $pairs AS p "
    f"MATCH (r:{_M.label('PersonRecord')} {{uid: p.person}})"
    f"-[x:{_M.rel_type('SUSPECT_IN')}|{_M.rel_type('VICTIM_IN')}]->(i:{_M.label('Incident')} {{uid: p.incident}}) "
    "RETURN p.person AS person, p.incident AS incident, type(x) AS type, "
    "x.source_system + '/' + x.source_record_id AS by"
)
OPPOSITE = {"SUSPECT": "VICTIM", "VICTIM": "SUSPECT"}
ROLE_OF_TYPE = {"SUSPECT_IN": "SUSPECT", "VICTIM_IN": "VICTIM"}

_FIELD_MSG = re.compile(r"^([a-z_]+): (.*)$", re.S)


@dataclass
class Candidate:
    """A record that passed its own checks and waits for the cross-record ones."""

    raw: RawRecord
    record: BaseRecord
    errors: list[tuple[str, str]] = field(default_factory=list)


def pydantic_rejects(exc: ValidationError, model: type[BaseRecord]) -> list[tuple[str, str]]:
    """(field, reason) for each error, with model-level messages split into their field where they name one."""
    out: list[tuple[str, str]] = []
    for e in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in e["loc"])
        msg = str(e["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        if e["type"] == "extra_forbidden":
            msg = "unknown field (not in the interchange format)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        if not loc:
            m = _FIELD_MSG.match(msg)
            if m and m.group(1) in model.model_fields:
                loc, msg = m.group(1), m.group(2)
        out.append((loc or "(record)", msg))
    return out


class Validator:
    """Holds what this load has accepted so far; checks records type by type in dependency order."""

    def __init__(self, db: Database | None, now: datetime | None = None) -> None:
        self.db = db
        self.context = {"now": now or datetime.now(UTC)}
        self.accepted: dict[str, dict[str, int]] = {t: {} for t in RECORD_TYPES}
        self.rejected: dict[str, dict[str, str]] = {t: {} for t in RECORD_TYPES}
        self.in_graph: dict[str, set[str]] = {t: set() for t in REF_LABEL}
        self.agencies: set[str] = set()
        self.roles: dict[tuple[str, str], tuple[str, str]] = {}  # (incident, person) -> (role, involvement uid)
        if db is not None:
            self.agencies = {r["code"] for r in db.read(ALL_AGENCY_CODES)}

    # -- one record --------------------------------------------------------------------------------
    def parse(self, record_type: str, raw: RawRecord) -> Candidate | list[Reject]:
        parsed = parse_record(record_type, raw, self.context)
        if isinstance(parsed, list):
            self.note_rejected(parsed)
        return parsed

    def note_rejected(self, rejects: list[Reject]) -> None:
        """Remember where a record that failed its own checks was, for the references to it."""
        for rj in rejects[:1]:
            if rj.uid and rj.record_type:
                self.rejected[rj.record_type].setdefault(rj.uid, f"{rj.file}:{rj.line}")

    # -- a chunk of records of one type ---------------------------------------------------------------
    def check_chunk(self, record_type: str, candidates: list[Candidate]) -> tuple[list[BaseRecord], list[Reject]]:
        """Cross-record checks for a chunk; accepted records are remembered for the types that follow."""
        self._lookup_refs(record_type, candidates)
        graph_roles = self._graph_roles(candidates) if record_type == "involvement" else {}
        seen_here: dict[str, int] = {}
        accepted: list[BaseRecord] = []
        rejects: list[Reject] = []
        for c in candidates:
            rec = c.record
            errors = list(c.errors)
            prior = self.accepted[record_type].get(rec.uid)
            if rec.uid in seen_here:
                prior = seen_here[rec.uid]
            if prior is not None and prior == rec.record_version:
                errors.append(
                    (
                        "record_id",
                        f"duplicate: {rec.uid} version {rec.record_version} appears earlier in this load",
                    )
                )
            for fname in AGENCY_FIELDS.get(record_type, ()):
                code = getattr(rec, fname)
                if code is not None and code not in self.agencies:
                    errors.append(
                        (fname, f"unknown agency {code!r}: not in this load's agency records nor the register")
                    )
            if record_type == "involvement" and not errors:
                errors.extend(self._check_roles(rec, graph_roles))
            if errors:
                self.rejected[record_type].setdefault(rec.uid, f"{c.raw.file}:{c.raw.line}")
                rejects.extend(_reject(c.raw, record_type, rec.uid, f, r) for f, r in errors)
                continue
            seen_here[rec.uid] = max(seen_here.get(rec.uid, 0), rec.record_version)
            accepted.append(rec)
        for rec in accepted:
            versions = self.accepted[record_type]
            versions[rec.uid] = max(versions.get(rec.uid, 0), rec.record_version)
            if record_type == "agency":
                self.agencies.add(rec.code)  # type: ignore[attr-defined]
        return accepted, rejects

    def _lookup_refs(self, record_type: str, candidates: list[Candidate]) -> None:
        specs = REFS.get(record_type, ())
        if not specs:
            return
        missing: dict[str, set[str]] = {}
        for c in candidates:
            for fname, target, _ in specs:
                for uid in _values(getattr(c.record, fname)):
                    if uid not in self.accepted[target] and uid not in self.in_graph[target]:
                        missing.setdefault(target, set()).add(uid)
        for target, uids in missing.items():
            if self.db is not None and uids:
                found = {r["uid"] for r in self.db.read(FIND_QUERIES[target], uids=sorted(uids))}
                self.in_graph[target] |= found
        for c in candidates:
            for fname, target, _ in specs:
                for uid in _values(getattr(c.record, fname)):
                    if uid in self.accepted[target] or uid in self.in_graph[target]:
                        continue
                    where = self.rejected[target].get(uid)
                    if where:
                        reason = f"refers to {target} {uid}, which was rejected ({where})"
                    else:
                        reason = f"refers to {target} {uid}, which is neither in this load nor in the register"
                    c.errors.append((fname, reason))

    def _graph_roles(self, candidates: list[Candidate]) -> dict[tuple[str, str], tuple[str, str]]:
        """Suspect/victim links already in the register for the chunk's (incident, person) pairs."""
        if self.db is None:
            return {}
        pairs = {
            (c.record.incident_ref, c.record.person_ref)  # type: ignore[attr-defined]
            for c in candidates
            if not c.errors and c.record.role in OPPOSITE  # type: ignore[attr-defined]
        }
        if not pairs:
            return {}
        rows = self.db.read(FIND_ROLES, pairs=[{"incident": i, "person": p} for i, p in sorted(pairs)])
        out: dict[tuple[str, str], tuple[str, str]] = {}
        for row in rows:
            out[(row["incident"], row["person"])] = (ROLE_OF_TYPE[row["type"]], row["by"])
        return out

    def _check_roles(self, rec: Any, in_graph: dict[tuple[str, str], tuple[str, str]]) -> list[tuple[str, str]]:
        role = rec.role
        if role not in OPPOSITE:
            return []
        key = (rec.incident_ref, rec.person_ref)
        for other, where in ((self.roles.get(key), ""), (in_graph.get(key), " in the register")):
            if other is not None and other[0] == OPPOSITE[role] and other[1] != rec.uid:
                return [
                    (
                        "role",
                        f"{rec.person_ref} is already the {other[0].lower()} of {rec.incident_ref}{where} ({other[1]})",
                    )
                ]
        self.roles[key] = (role, rec.uid)
        return []


def parse_record(record_type: str, raw: RawRecord, context: dict[str, Any]) -> Candidate | list[Reject]:
    """One record's own checks (its pydantic model): the record, or why it is refused. Remembers nothing, so
    records can be checked in any process and in any order."""
    model = RECORD_TYPES[record_type]
    assert raw.data is not None
    data = raw.data
    declared = data.get("record_type")
    if declared is not None:
        if declared != record_type:
            reason = (
                f"a {declared!r} record in a {record_type!r} file"
                if declared in RECORD_TYPES
                else f"unknown record type {declared!r}"
            )
            return [_reject(raw, record_type, None, "record_type", reason)]
        data = {k: v for k, v in data.items() if k != "record_type"}
    try:
        record = model.model_validate(data, context=context)
    except ValidationError as exc:
        uid = _uid_of(data)
        return [_reject(raw, record_type, uid, f, r) for f, r in pydantic_rejects(exc, model)]
    return Candidate(raw, record)


def _reject(raw: RawRecord, record_type: str, uid: str | None, fname: str, reason: str) -> Reject:
    return Reject(
        file=raw.file, line=raw.line, record_type=record_type, uid=uid, field=fname, reason=reason, raw=raw.raw
    )


def _values(v: Any) -> Iterable[str]:
    if v is None:
        return ()
    if isinstance(v, list):
        return v
    return (v,)


def _uid_of(data: dict[str, Any]) -> str | None:
    s, r = data.get("source_system"), data.get("record_id")
    if isinstance(s, str) and isinstance(r, str) and s.strip() and r.strip():
        return f"{s.strip()}/{r.strip()}"
    return None
