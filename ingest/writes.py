"""Batched, idempotent graph writes: one managed transaction per batch, ``UNWIND $rows … MERGE`` on
constraint-backed keys, labels and relationship types only from the schema (graph_schema model.yaml).

Versioning rule, the same for every record type:
- a record whose ``record_version`` is higher than the stored one (or new) sets its properties and its
  provenance (``ingest_batch``, ``ingested_at``), and the links it owns are rebuilt;
- an equal or older version changes nothing: its node keeps the first batch's provenance, so loading the
  same data twice leaves every property as it was.
Links a record owns are MERGEd for records whose stored version equals theirs, so a reload also
repairs a link that is missing, and never creates one from an outdated version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, LiteralString

from neo4j import ManagedTransaction

from graph_schema import vocabulary
from ingest.records import BaseRecord
from spr.db import Database

_M = vocabulary().model
PROVENANCE_ON_CREATE: LiteralString = (
    "r.source_system = row.source_system, r.source_record_id = row.source_record_id, "
    "r.ingest_batch = $batch, r.ingested_at = $at"
)


def _temporal_set(var: str, label_or_rel: str, source: str, *, rel: bool = False) -> str:
    """SET items converting ISO strings to Cypher temporals, for every date/datetime property of a type.

    Dates travel as strings: the driver packs a string far faster than a date or a zoned datetime.
    """
    props = _M.relationships[label_or_rel].properties if rel else _M.nodes[label_or_rel].properties
    items = [
        f"{var}.{name} = {kind}({source}.{name})"
        for name, kind in sorted(props.items())
        if kind in ("date", "datetime")
    ]
    return ", ".join(items)


def temporal_fields(label: str) -> dict[str, str]:
    return {n: k for n, k in _M.nodes[_M.label(label)].properties.items() if k in ("date", "datetime")}


def _upsert(label: str, key: str) -> LiteralString:
    lab, k = _M.label(label), _key(label, key)
    temporal = _temporal_set("n", lab, "row.temporal")
    return (
        f"UNWIND $rows AS row MERGE (n:{lab} {{{k}: row.key}}) "
        "WITH n, row, coalesce(n.record_version, 0) AS before WHERE row.record_version > before "
        "SET n += row.props, n.record_version = row.record_version, n.source_system = row.source_system, "
        "n.source_record_id = row.source_record_id, n.ingest_batch = $batch, n.ingested_at = $at"
        + (f", {temporal} " if temporal else " ")
        + "RETURN row.key AS key, before"
    )


def _key(label: str, key: str) -> str:
    if _M.nodes[_M.label(label)].key != key:
        raise ValueError(f"{label} is keyed on {_M.nodes[label].key}, not {key}")
    return key


def _stale(label: str, rel: str, outgoing: bool) -> LiteralString:
    """Delete a node's owned links of one type (run for upgraded records before they are rebuilt)."""
    lab, t = _M.label(label), _M.rel_type(rel)
    arrow = f"-[r:{t}]->()" if outgoing else f"<-[r:{t}]-()"
    return f"UNWIND $keys AS k MATCH (n:{lab} {{uid: k}}){arrow} DELETE r"


def _link(
    label: str,
    rel: str,
    other: str,
    other_key: str,
    expr: str,
    *,
    outgoing: bool,
    props: str | None = None,
    unwind: str | None = None,
) -> LiteralString:
    """MERGE one owned link from the current version of each row's node to another node.

    ``expr`` is the Cypher expression (over ``row`` or the unwound ``x``) giving the other node's key.
    """
    lab, t, olab, ok = _M.label(label), _M.rel_type(rel), _M.label(other), _key(other, other_key)
    ends = _M.relationships[t]
    src, dst = (lab, olab) if outgoing else (olab, lab)
    if src not in ends.from_ or dst not in ends.to:
        raise ValueError(f"{t} does not go from {src} to {dst} in model.yaml")
    pattern = f"(n)-[r:{t}]->(o)" if outgoing else f"(o)-[r:{t}]->(n)"
    q = (
        f"UNWIND $rows AS row MATCH (n:{lab} {{uid: row.key}}) WHERE n.record_version = row.record_version "
        + (f"UNWIND {unwind} AS x " if unwind else "")
        + f"MATCH (o:{olab} {{{ok}: {expr}}}) MERGE {pattern} ON CREATE SET {PROVENANCE_ON_CREATE}"
        + (f", r += {props}" if props else "")
    )
    temporal = _temporal_set("r", t, props or "row", rel=True)
    if props and temporal:
        q += ", " + temporal
    return q


# --------------------------------------------------------------------------------------------------
# Node records: upsert + stale-link deletion + owned links
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodePlan:
    label: str
    key: str
    upsert: LiteralString
    stale: tuple[LiteralString, ...] = ()
    links: tuple[LiteralString, ...] = ()
    # Over $keys of written rows: marks the PersonRecords whose identity-stage input the rows change, so
    # that their stored blocking keys are computed again (ingest.identity.keys).
    rekey: LiteralString | None = None


_PR = _M.label("PersonRecord")
_KEY_VERSION = "block_version"
if _KEY_VERSION not in _M.nodes[_PR].properties:
    raise ValueError(f"{_PR}.{_KEY_VERSION} is not declared in model.yaml")
REKEY_PERSONS: LiteralString = f"UNWIND $keys AS k MATCH (n:{_PR} {{uid: k}}) REMOVE n.{_KEY_VERSION}"
REKEY_RESIDENTS: LiteralString = (
    f"UNWIND $keys AS k MATCH (:{_M.label('Address')} {{uid: k}})<-[:{_M.rel_type('LIVES_AT')}]-(n:{_PR}) "
    f"REMOVE n.{_KEY_VERSION}"
)


def _node(
    label: str, key: str = "uid", owned: Sequence[tuple[str, bool]] = (), links: Sequence[LiteralString] = ()
) -> NodePlan:
    return NodePlan(label, key, _upsert(label, key), tuple(_stale(label, r, o) for r, o in owned), tuple(links))


DELETE_ORDER_REQUIREMENTS: LiteralString = (
    f"UNWIND $keys AS k MATCH (n:{_M.label('Order')} {{uid: k}})"
    f"<-[:{_M.rel_type('IMPOSED_BY')}]-(q:{_M.label('NotificationRequirement')}) DETACH DELETE q"
)
MERGE_ORDER_REQUIREMENTS: LiteralString = (
    f"UNWIND $rows AS row MATCH (n:{_M.label('Order')} {{uid: row.key}}) WHERE n.record_version = row.record_version "
    f"MATCH (s:{_M.label('PersonRecord')} {{uid: row.subject_ref}}) "
    "UNWIND row.requirements AS q "
    f"MERGE (req:{_M.label('NotificationRequirement')} {{uid: q.uid}}) "
    "ON CREATE SET req += q, req.start_date = date(q.start_date), req.end_date = date(q.end_date), "
    "req.source_system = row.source_system, req.source_record_id = row.source_record_id, "
    "req.record_version = row.record_version, req.ingest_batch = $batch, req.ingested_at = $at "
    f"MERGE (req)-[r1:{_M.rel_type('IMPOSED_BY')}]->(n) "
    "ON CREATE SET r1.source_system = row.source_system, r1.source_record_id = row.source_record_id, "
    "r1.ingest_batch = $batch, r1.ingested_at = $at "
    f"MERGE (s)-[r2:{_M.rel_type('REQUIRES')}]->(req) "
    "ON CREATE SET r2.source_system = row.source_system, r2.source_record_id = row.source_record_id, "
    "r2.ingest_batch = $batch, r2.ingested_at = $at"
)

NODE_PLANS: dict[str, NodePlan] = {
    "agency": _node("Agency", "code"),
    "person": replace(
        _node(
            "PersonRecord",
            owned=[("RECORDED_BY", True)],
            links=[_link("PersonRecord", "RECORDED_BY", "Agency", "code", "row.source_system", outgoing=True)],
        ),
        rekey=REKEY_PERSONS,
    ),
    "address": replace(
        _node(
            "Address",
            owned=[("LIVES_AT", False)],
            links=[
                _link("Address", "LIVES_AT", "PersonRecord", "uid", "row.person_ref", outgoing=False, props="row.link")
            ],
        ),
        rekey=REKEY_RESIDENTS,
    ),
    "incident": _node(
        "Incident",
        owned=[("RECORDED_BY", True)],
        links=[_link("Incident", "RECORDED_BY", "Agency", "code", "row.agency_code", outgoing=True)],
    ),
    "outcome": _node(
        "Outcome",
        owned=[("OUTCOME_FOR", True), ("HAS_OUTCOME", False), ("RECORDED_BY", True)],
        links=[
            _link("Outcome", "HAS_OUTCOME", "PersonRecord", "uid", "row.person_ref", outgoing=False),
            _link("Outcome", "OUTCOME_FOR", "Incident", "uid", "row.incident_ref", outgoing=True),
            _link("Outcome", "RECORDED_BY", "Agency", "code", "row.agency_code", outgoing=True),
        ],
    ),
    "order": NodePlan(
        "Order",
        "uid",
        _upsert("Order", "uid"),
        (
            _stale("Order", "AGAINST", True),
            _stale("Order", "PROTECTS", True),
            _stale("Order", "ISSUED_BY", True),
            DELETE_ORDER_REQUIREMENTS,
        ),
        (
            _link("Order", "AGAINST", "PersonRecord", "uid", "row.subject_ref", outgoing=True),
            _link("Order", "PROTECTS", "PersonRecord", "uid", "x", outgoing=True, unwind="row.protected_refs"),
            _link("Order", "ISSUED_BY", "Agency", "code", "row.issuing_agency", outgoing=True),
            MERGE_ORDER_REQUIREMENTS,
        ),
    ),
    "notification": _node(
        "Notification",
        owned=[("NOTIFIED", False), ("RECEIVED_BY", True)],
        links=[
            _link("Notification", "NOTIFIED", "PersonRecord", "uid", "row.person_ref", outgoing=False),
            _link("Notification", "RECEIVED_BY", "Agency", "code", "row.received_by", outgoing=True),
        ],
    ),
    "episode": _node(
        "Episode",
        owned=[("SUBJECT_OF", False), ("RECORDED_BY", True)],
        links=[
            _link("Episode", "SUBJECT_OF", "PersonRecord", "uid", "row.person_ref", outgoing=False, props="row.link"),
            _link("Episode", "RECORDED_BY", "Agency", "code", "row.agency_code", outgoing=True),
        ],
    ),
    "assessment": _node(
        "Assessment",
        owned=[("ASSESSES", True), ("ASSESSMENT_FOR", True), ("RECORDED_BY", True)],
        links=[
            _link("Assessment", "ASSESSES", "PersonRecord", "uid", "row.person_ref", outgoing=True),
            _link("Assessment", "ASSESSMENT_FOR", "Incident", "uid", "row.incident_ref", outgoing=True),
            _link("Assessment", "RECORDED_BY", "Agency", "code", "row.agency_code", outgoing=True),
        ],
    ),
    "travel": _node(
        "Travel",
        owned=[("TRAVELLED", False)],
        links=[_link("Travel", "TRAVELLED", "PersonRecord", "uid", "row.person_ref", outgoing=False)],
    ),
}

# --------------------------------------------------------------------------------------------------
# Link records: involvement, relationship, breach (no node of their own)
# --------------------------------------------------------------------------------------------------

ROLE_TYPES = {"SUSPECT": "SUSPECT_IN", "VICTIM": "VICTIM_IN", "WITNESS": "WITNESS_IN"}
_INV = "|".join(_M.rel_type(t) for t in ROLE_TYPES.values())

# A later version of an involvement that changes the role replaces the link the earlier version made.
DELETE_CHANGED_ROLES: LiteralString = (
    f"UNWIND $rows AS row MATCH (p:{_M.label('PersonRecord')} {{uid: row.person_ref}})"
    f"-[r:{_INV}]->(i:{_M.label('Incident')} {{uid: row.incident_ref}}) "
    "WHERE r.source_system = row.source_system AND r.source_record_id = row.source_record_id "
    "AND r.record_version < row.record_version AND type(r) <> row.type DELETE r"
)


def _involvement(rel: str) -> LiteralString:
    t = _M.rel_type(rel)
    return (
        f"UNWIND $rows AS row MATCH (p:{_M.label('PersonRecord')} {{uid: row.person_ref}}), "
        f"(i:{_M.label('Incident')} {{uid: row.incident_ref}}) "
        # a later version of the same record, with another role, is already there: this one is outdated
        f"WHERE NOT EXISTS {{ (p)-[x:{_INV}]->(i) WHERE x.source_system = row.source_system "
        "AND x.source_record_id = row.source_record_id AND x.record_version > row.record_version } "
        f"MERGE (p)-[r:{t}]->(i) "
        "ON CREATE SET r.record_version = 0, r.source_system = row.source_system, "
        "r.source_record_id = row.source_record_id "
        "WITH r, row WHERE r.source_system = row.source_system AND r.source_record_id = row.source_record_id "
        "AND r.record_version < row.record_version "
        "SET r.record_version = row.record_version, r.ingest_batch = $batch, r.ingested_at = $at"
    )


MERGE_INVOLVEMENT: dict[str, LiteralString] = {role: _involvement(rel) for role, rel in ROLE_TYPES.items()}

DELETE_MOVED_RELATIONSHIPS: LiteralString = (
    f"UNWIND $rows AS row MATCH (a:{_M.label('PersonRecord')} {{uid: row.person_ref}})"
    f"-[r:{_M.rel_type('RELATIONSHIP_WITH')} {{uid: row.key}}]->(b) "
    "WHERE b.uid <> row.other_ref AND r.record_version < row.record_version DELETE r"
)
MERGE_RELATIONSHIPS: LiteralString = (
    f"UNWIND $rows AS row MATCH (a:{_M.label('PersonRecord')} {{uid: row.person_ref}}), "
    f"(b:{_M.label('PersonRecord')} {{uid: row.other_ref}}) "
    f"MERGE (a)-[r:{_M.rel_type('RELATIONSHIP_WITH')} {{uid: row.key}}]->(b) "
    "WITH r, row, coalesce(r.record_version, 0) AS before WHERE row.record_version > before "
    "SET r += row.props, r.record_version = row.record_version, r.source_system = row.source_system, "
    "r.source_record_id = row.source_record_id, r.ingest_batch = $batch, r.ingested_at = $at, "
    "r.start_date = date(row.props.start_date), r.end_date = date(row.props.end_date)"
)
MERGE_BREACHES: LiteralString = (
    f"UNWIND $rows AS row MATCH (i:{_M.label('Incident')} {{uid: row.incident_ref}}), "
    f"(o:{_M.label('Order')} {{uid: row.order_ref}}) "
    f"MERGE (i)-[r:{_M.rel_type('BREACH_OF')}]->(o) "
    "ON CREATE SET r.record_version = 0, r.source_system = row.source_system, "
    "r.source_record_id = row.source_record_id "
    "WITH r, row WHERE r.source_system = row.source_system AND r.source_record_id = row.source_record_id "
    "AND r.record_version < row.record_version "
    "SET r += row.props, r.record_version = row.record_version, r.ingest_batch = $batch, r.ingested_at = $at, "
    "r.breach_date = date(row.props.breach_date)"
)


# --------------------------------------------------------------------------------------------------
# Records -> rows
# --------------------------------------------------------------------------------------------------


def _none_if_empty(v: Any) -> Any:
    return None if isinstance(v, list) and not v else v


def _props(rec: BaseRecord, names: Sequence[str], **renamed: str) -> dict[str, Any]:
    out = {n: None if (v := getattr(rec, n)) == [] else v for n in names}  # _none_if_empty, inline
    for prop, attr in renamed.items():
        out[prop] = _none_if_empty(getattr(rec, attr))
    return out


def _base(rec: BaseRecord, key: str | None = None) -> dict[str, Any]:
    return {
        "key": key or rec.uid,
        "record_version": rec.record_version,
        "source_system": rec.source_system,
        "source_record_id": rec.record_id,
    }


def _requirements(rec: Any) -> list[dict[str, Any]]:
    v = vocabulary()
    deadlines = {d.duty: d.deadline_days for d in v.order(rec.order_type).duties}
    for duty in rec.duties:
        deadlines.setdefault(duty, v.duties[duty].deadline_days)
    return [
        {
            "uid": f"{rec.uid}/{duty}",
            "duty": duty,
            "deadline_days": days,
            "start_date": rec.start_date,
            "end_date": rec.end_date,
        }
        for duty, days in sorted(deadlines.items())
    ]


PERSON_PROPS: tuple[str, ...] = (
    "first_name", "middle_names", "last_name", "aliases", "dob", "sex", "pnc_id", "other_ids", "postcode",
)  # fmt: skip


def _iso(value: Any) -> Any:
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    return value


def _row(record_type: str, rec: Any, *, text_dates: bool = True) -> dict[str, Any]:
    """The parameters one record contributes to its batch: plain values, dates as ISO strings (or, with
    ``text_dates=False``, as the record holds them)."""
    mapped = _mapped(record_type, rec)
    row: dict[str, Any] = _iso(mapped) if text_dates else mapped
    plan = NODE_PLANS.get(record_type)
    if plan is not None:
        props = row["props"]
        row["temporal"] = {f: props.pop(f, None) for f in temporal_fields(plan.label)}
    return row


def _mapped(record_type: str, rec: Any) -> dict[str, Any]:
    names: tuple[str, ...]
    if record_type == "agency":
        return {**_base(rec, rec.code), "props": _props(rec, ("name", "kind", "jurisdiction", "area"))}
    row = _base(rec)
    if record_type == "person":
        names = (
            "first_name",
            "middle_names",
            "last_name",
            "aliases",
            "dob",
            "sex",
            "pnc_id",
            "other_ids",
            "postcode",
        )
        row["props"] = _props(rec, names)
    elif record_type == "address":
        row.update(
            props=_props(rec, ("line1", "town", "postcode", "force_area")),
            person_ref=rec.person_ref,
            link={"from_date": rec.from_date, "to_date": rec.to_date},
        )
    elif record_type == "incident":
        names = (
            "occurred_at",
            "reported_at",
            "agency_code",
            "offence_code",
            "is_crime",
            "is_stalking",
            "dash_grade",
            "risk_indicators",
            "location_postcode",
            "description",
        )
        props = _props(rec, names)
        props["gravity"] = vocabulary().offence(rec.offence_code).gravity
        row.update(props=props, agency_code=rec.agency_code)
    elif record_type == "outcome":
        names = ("kind", "offence_code", "sentence_months", "sentence_type", "court")
        row.update(
            props=_props(rec, names, date="outcome_date"),
            person_ref=rec.person_ref,
            incident_ref=rec.incident_ref,
            agency_code=rec.agency_code,
        )
    elif record_type == "order":
        names = ("order_type", "start_date", "end_date", "conditions", "jurisdiction", "issuing_agency")
        row.update(
            props=_props(rec, names),
            subject_ref=rec.subject_ref,
            protected_refs=list(rec.protected_refs),
            issuing_agency=rec.issuing_agency,
            requirements=_requirements(rec),
        )
    elif record_type == "notification":
        row.update(
            props=_props(rec, ("kind", "notified_at", "effective_date", "details")),
            person_ref=rec.person_ref,
            received_by=rec.received_by,
        )
    elif record_type == "episode":
        row.update(
            props=_props(rec, ("kind", "category", "level", "start_date", "end_date", "decision", "case_id")),
            person_ref=rec.person_ref,
            agency_code=rec.agency_code,
            link={"role": rec.role},
        )
    elif record_type == "assessment":
        names = ("kind", "grade", "score", "assessed_at", "at_risk_of_offending", "notes")
        row.update(
            props=_props(rec, names),
            person_ref=rec.person_ref,
            incident_ref=rec.incident_ref,
            agency_code=rec.agency_code,
        )
    elif record_type == "travel":
        row.update(props=_props(rec, ("departure_date", "return_date", "destination")), person_ref=rec.person_ref)
    elif record_type == "involvement":
        row.update(
            person_ref=rec.person_ref,
            incident_ref=rec.incident_ref,
            type=ROLE_TYPES.get(rec.role),
            role=rec.role,
        )
    elif record_type == "relationship":
        row.update(
            props=_props(rec, ("kind", "start_date", "end_date")) | {"uid": rec.uid},
            person_ref=rec.person_ref,
            other_ref=rec.other_ref,
        )
    elif record_type == "breach":
        row.update(
            props=_props(rec, ("breach_date", "kind", "details")) | {"uid": rec.uid},
            incident_ref=rec.incident_ref,
            order_ref=rec.order_ref,
        )
    else:
        raise ValueError(f"no graph mapping for record type {record_type!r}")
    return row


def not_mapped(record_type: str, rec: Any) -> str | None:
    """Why a valid record has no place in the graph model, or None when it has one."""
    if record_type == "involvement" and rec.role not in ROLE_TYPES:
        return f"involvement role {rec.role} has no relationship type in the graph model"
    if record_type == "breach" and rec.incident_ref is None:
        return "a breach with no incident has nothing to link BREACH_OF from in the graph model"
    return None


# --------------------------------------------------------------------------------------------------
# One batch, one transaction
# --------------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    written: int = 0  # rows whose version was new or higher
    upgraded: int = 0  # of those, rows that replaced an older version


def _consume(tx: ManagedTransaction, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
    return [r.data() for r in tx.run(query, params)]


def batch_work(
    record_type: str, records: Sequence[BaseRecord], *, batch_id: str, at: datetime
) -> Callable[[ManagedTransaction], BatchResult]:
    """The unit of work for one batch; run it with Database.execute_write so it commits whole or not at all."""
    rows = [_row(record_type, r) for r in records]
    # A stable order inside the batch: the same locks are taken in the same order on every run.
    rows.sort(key=lambda r: (r["key"], r["record_version"]))
    common = {"batch": batch_id, "at": at}

    def work(tx: ManagedTransaction) -> BatchResult:
        result = BatchResult()
        if not rows:
            return result
        plan = NODE_PLANS.get(record_type)
        if plan is not None:
            done = _consume(tx, plan.upsert, rows=rows, **common)
            result.written = len(done)
            upgraded = [d["key"] for d in done if d["before"] > 0]
            result.upgraded = len(upgraded)
            if upgraded:
                if plan.rekey is not None:  # the records it was linked to before (an address moved to another)
                    _consume(tx, plan.rekey, keys=upgraded)
                for q in plan.stale:
                    _consume(tx, q, keys=upgraded)
            slim = [{k: v for k, v in r.items() if k not in ("props", "temporal")} for r in rows]
            for q in plan.links:
                _consume(tx, q, rows=slim, **common)
            if plan.rekey is not None and done:
                _consume(tx, plan.rekey, keys=[d["key"] for d in done])
        elif record_type == "involvement":
            # Only a version above 1 can replace an earlier one: first versions skip the clean-up.
            later = [r for r in rows if r["record_version"] > 1]
            if later:
                _consume(tx, DELETE_CHANGED_ROLES, rows=later)
            for role, q in MERGE_INVOLVEMENT.items():
                subset = [r for r in rows if r["role"] == role]
                if subset:
                    _consume(tx, q, rows=subset, **common)
            result.written = len(rows)
        elif record_type == "relationship":
            later = [r for r in rows if r["record_version"] > 1]
            if later:
                _consume(tx, DELETE_MOVED_RELATIONSHIPS, rows=later)
            _consume(tx, MERGE_RELATIONSHIPS, rows=rows, **common)
            result.written = len(rows)
        elif record_type == "breach":
            _consume(tx, MERGE_BREACHES, rows=rows, **common)
            result.written = len(rows)
        else:
            raise ValueError(f"no graph mapping for record type {record_type!r}")
        return result

    return work


def write_batch(
    db: Database, record_type: str, records: Sequence[BaseRecord], *, batch_id: str, at: datetime
) -> BatchResult:
    """Write one batch of validated records in one managed transaction."""
    return db.execute_write(batch_work(record_type, records, batch_id=batch_id, at=at))


def dedupe_latest(records: Sequence[BaseRecord]) -> list[BaseRecord]:
    """Keep the highest version of each record: one statement never sees two versions of one key."""
    best: dict[str, BaseRecord] = {}
    for r in records:
        key = getattr(r, "code", None) if r.record_type == "agency" else r.uid
        assert isinstance(key, str)
        cur = best.get(key)
        if cur is None or r.record_version > cur.record_version:
            best[key] = r
    return list(best.values())
