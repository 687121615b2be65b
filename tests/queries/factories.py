"""Small hand-written graphs in exactly the shape the ingest writes, through parameterised Cypher.

g = GraphFactory(db)
a = g.person("A", records=2)            # Person A with two PersonRecords
g.incident(a, v, "2023-01-05")          # A suspect, V victim, occurred that day
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from graph_schema.model import vocabulary
from spr.db import Database


def as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value  # type: ignore[return-value]
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(value)


def as_datetime(value: date | datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and "T" in value:
        return as_datetime(datetime.fromisoformat(value))
    d = as_date(value)
    assert d is not None
    return datetime.combine(d, time(12, 0), tzinfo=UTC)


@dataclass
class P:
    """A Person and the uids of its PersonRecords."""

    person_id: str
    records: list[str] = field(default_factory=list)

    def rec(self, i: int = 0) -> str:
        return self.records[i]


class GraphFactory:
    def __init__(self, db: Database, source: str = "WMP") -> None:
        self.db = db
        self.source = source
        self._ids = itertools.count(1)

    def _uid(self, prefix: str, source: str | None = None) -> str:
        return f"{source or self.source}/{prefix}{next(self._ids)}"

    # -- people ---------------------------------------------------------------------------------
    def person(
        self,
        person_id: str,
        records: int = 1,
        dob: date | str | None = "1985-01-01",
        last_name: str = "Smith",
        first_name: str | None = None,
        sources: list[str] | None = None,
    ) -> P:
        self.db.write(
            "MERGE (p:Person {person_id: $pid}) SET p.display_name = $name, p.dob = $dob",
            pid=person_id, name=f"{first_name or person_id} {last_name}", dob=as_date(dob),
        )  # fmt: skip
        p = P(person_id)
        for k in range(records):
            source = (sources or [self.source] * records)[k]
            self.record(p, source=source, dob=dob, last_name=last_name, first_name=first_name)  # adds to p.records
        return p

    def record(
        self,
        p: P,
        source: str | None = None,
        dob: date | str | None = "1985-01-01",
        last_name: str = "Smith",
        first_name: str | None = None,
        ingested_at: datetime | str | None = None,
    ) -> str:
        uid = self._uid("PR", source)
        self.db.write(
            """
            MATCH (p:Person {person_id: $pid})
            CREATE (r:PersonRecord {uid: $uid, source_system: $source, source_record_id: $rid,
                                    first_name: $first, last_name: $last, dob: $dob, ingested_at: $ingested})
            CREATE (r)-[:RESOLVES_TO {probability: 1.0, method: 'TEST', decided_by: 'factory'}]->(p)
            """,
            pid=p.person_id, uid=uid, source=uid.split("/")[0], rid=uid.split("/")[1], first=first_name or p.person_id,
            last=last_name, dob=as_date(dob), ingested=as_datetime(ingested_at),
        )  # fmt: skip
        if uid not in p.records:
            p.records.append(uid)
        return uid

    # -- incidents and outcomes -------------------------------------------------------------------
    def incident(
        self,
        suspect: P | list[P],
        victim: P | list[P] | None,
        occurred: date | datetime | str | None,
        reported: date | datetime | str | None = "same",
        agency: str | None = None,
        offence: str = "COMMON_ASSAULT",
        dash_grade: str | None = None,
        indicators: list[str] | None = None,
        suspect_record: int = 0,
        victim_record: int = 0,
        is_stalking: bool | None = None,
    ) -> str:
        agency = agency or self.source
        uid = self._uid("I", agency)
        occ = as_datetime(occurred)
        rep = occ if reported == "same" else as_datetime(reported)
        off = vocabulary().offence(offence)
        self.db.write(
            """
            MERGE (a:Agency {code: $agency}) ON CREATE SET a.kind = 'POLICE_FORCE'
            CREATE (i:Incident {uid: $uid, occurred_at: $occ, reported_at: $rep, agency_code: $agency,
                                offence_code: $offence, gravity: $gravity, is_crime: $crime,
                                is_stalking: $stalking, dash_grade: $dash, risk_indicators: $inds})
            CREATE (i)-[:RECORDED_BY]->(a)
            """,
            uid=uid, occ=occ, rep=rep, agency=agency, offence=offence, gravity=off.gravity, crime=off.crime,
            stalking=off.stalking if is_stalking is None else is_stalking, dash=dash_grade, inds=indicators or [],
        )  # fmt: skip
        for s in suspect if isinstance(suspect, list) else [suspect]:
            self.involve(uid, s.rec(suspect_record), "SUSPECT_IN")
        for v in (victim if isinstance(victim, list) else [victim]) if victim is not None else []:
            self.involve(uid, v.rec(victim_record), "VICTIM_IN")
        return uid

    def involve(self, incident_uid: str, record_uid: str, rel: str) -> None:
        if rel == "SUSPECT_IN":
            q = "MATCH (r:PersonRecord {uid: $r}), (i:Incident {uid: $i}) MERGE (r)-[:SUSPECT_IN]->(i)"
        elif rel == "VICTIM_IN":
            q = "MATCH (r:PersonRecord {uid: $r}), (i:Incident {uid: $i}) MERGE (r)-[:VICTIM_IN]->(i)"
        else:
            raise ValueError(rel)
        self.db.write(q, r=record_uid, i=incident_uid)

    def outcome(
        self,
        person: P,
        kind: str,
        on: date | str | None,
        incident: str | None = None,
        offence: str | None = "COMMON_ASSAULT",
        sentence_months: int | None = None,
        record: int = 0,
    ) -> str:
        uid = self._uid("O")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            CREATE (o:Outcome {uid: $uid, kind: $kind, date: $on, offence_code: $offence, sentence_months: $months})
            CREATE (r)-[:HAS_OUTCOME]->(o)
            WITH o
            OPTIONAL MATCH (i:Incident {uid: $incident})
            FOREACH (_ IN CASE WHEN i IS NULL THEN [] ELSE [1] END | CREATE (o)-[:OUTCOME_FOR]->(i))
            """,
            r=person.rec(record), uid=uid, kind=kind, on=as_date(on), offence=offence, months=sentence_months,
            incident=incident,
        )  # fmt: skip
        return uid

    # -- orders and obligations -------------------------------------------------------------------
    def order(
        self,
        against: P,
        order_type: str,
        start: date | str | None,
        end: date | str | None = None,
        protects: P | None = None,
        duties: list[tuple[str, int]] | None = None,
    ) -> str:
        uid = self._uid("ORD")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            CREATE (o:Order {uid: $uid, order_type: $type, start_date: $start, end_date: $end})
            CREATE (o)-[:AGAINST]->(r)
            """,
            r=against.rec(), uid=uid, type=order_type, start=as_date(start), end=as_date(end),
        )  # fmt: skip
        if protects is not None:
            self.db.write(
                "MATCH (o:Order {uid: $o}), (r:PersonRecord {uid: $r}) CREATE (o)-[:PROTECTS]->(r)",
                o=uid, r=protects.rec(),
            )  # fmt: skip
        for duty, days in duties or []:
            self.requirement(against, duty, days, start, end, order=uid)
        return uid

    def requirement(
        self,
        person: P,
        duty: str,
        deadline_days: int,
        start: date | str | None,
        end: date | str | None = None,
        order: str | None = None,
    ) -> str:
        uid = self._uid("REQ")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            CREATE (n:NotificationRequirement {uid: $uid, duty: $duty, deadline_days: $days,
                                               start_date: $start, end_date: $end})
            CREATE (r)-[:REQUIRES]->(n)
            WITH n
            OPTIONAL MATCH (o:Order {uid: $order})
            FOREACH (_ IN CASE WHEN o IS NULL THEN [] ELSE [1] END | CREATE (n)-[:IMPOSED_BY]->(o))
            """,
            r=person.rec(), uid=uid, duty=duty, days=deadline_days, start=as_date(start), end=as_date(end),
            order=order,
        )  # fmt: skip
        return uid

    def breach(self, incident: str, order: str) -> None:
        self.db.write(
            "MATCH (i:Incident {uid: $i}), (o:Order {uid: $o}) MERGE (i)-[:BREACH_OF]->(o)", i=incident, o=order
        )

    def notification(
        self, person: P, kind: str, notified_at: date | datetime | str, effective: date | str | None, record: int = 0
    ) -> str:
        uid = self._uid("N")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            CREATE (n:Notification {uid: $uid, kind: $kind, notified_at: $at, effective_date: $eff})
            CREATE (r)-[:NOTIFIED]->(n)
            """,
            r=person.rec(record), uid=uid, kind=kind, at=as_datetime(notified_at), eff=as_date(effective),
        )  # fmt: skip
        return uid

    def lives_at(
        self, person: P, from_date: date | str | None, to_date: date | str | None = None, record: int = 0,
        postcode: str = "CV1 1AA",
    ) -> str:  # fmt: skip
        uid = self._uid("ADDR")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            MERGE (a:Address {uid: $uid}) SET a.line1 = '1 High Street', a.postcode = $postcode
            CREATE (r)-[:LIVES_AT {from_date: $from, to_date: $to}]->(a)
            """,
            r=person.rec(record), uid=uid, postcode=postcode, **{"from": as_date(from_date), "to": as_date(to_date)},
        )  # fmt: skip
        return uid

    def share_address(self, person: P, address_uid: str, from_date: date | str | None = None) -> None:
        self.db.write(
            "MATCH (r:PersonRecord {uid: $r}), (a:Address {uid: $a}) CREATE (r)-[:LIVES_AT {from_date: $f}]->(a)",
            r=person.rec(), a=address_uid, f=as_date(from_date),
        )  # fmt: skip

    def relationship(
        self, person: P, other: P, kind: str = "INTIMATE_PARTNER", start: date | str | None = None,
        end: date | str | None = None,
    ) -> None:  # fmt: skip
        self.db.write(
            """
            MATCH (a:PersonRecord {uid: $a}), (b:PersonRecord {uid: $b})
            CREATE (a)-[:RELATIONSHIP_WITH {kind: $kind, start_date: $start, end_date: $end}]->(b)
            """,
            a=person.rec(), b=other.rec(), kind=kind, start=as_date(start), end=as_date(end),
        )  # fmt: skip

    def travel(self, person: P, departure: date | str, destination: str = "ES") -> str:
        uid = self._uid("T")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            CREATE (t:Travel {uid: $uid, departure_date: $dep, destination: $dest})
            CREATE (r)-[:TRAVELLED]->(t)
            """,
            r=person.rec(), uid=uid, dep=as_date(departure), dest=destination,
        )  # fmt: skip
        return uid

    def assessment(
        self, person: P, kind: str, on: date | str, grade: str | None = None, at_risk: bool | None = None,
        incident: str | None = None,
    ) -> str:  # fmt: skip
        uid = self._uid("AS")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            CREATE (a:Assessment {uid: $uid, kind: $kind, grade: $grade, assessed_at: $on,
                                  at_risk_of_offending: $risk})
            CREATE (a)-[:ASSESSES]->(r)
            WITH a
            OPTIONAL MATCH (i:Incident {uid: $incident})
            FOREACH (_ IN CASE WHEN i IS NULL THEN [] ELSE [1] END | CREATE (a)-[:ASSESSMENT_FOR]->(i))
            """,
            r=person.rec(), uid=uid, kind=kind, grade=grade, on=as_date(on), risk=at_risk, incident=incident,
        )  # fmt: skip
        return uid

    def episode(
        self, person: P, kind: str, start: date | str, end: date | str | None = None, level: int | None = None,
        category: str | None = None, role: str = "PERPETRATOR",
    ) -> str:  # fmt: skip
        uid = self._uid("E")
        self.db.write(
            """
            MATCH (r:PersonRecord {uid: $r})
            CREATE (e:Episode {uid: $uid, kind: $kind, start_date: $start, end_date: $end, level: $level,
                               category: $category})
            CREATE (r)-[:SUBJECT_OF {role: $role}]->(e)
            """,
            r=person.rec(), uid=uid, kind=kind, start=as_date(start), end=as_date(end), level=level,
            category=category, role=role,
        )  # fmt: skip
        return uid

    def count(self, query: Any, **params: Any) -> int:
        rows = self.db.read(query, **params)
        return int(next(iter(rows[0].values()))) if rows else 0


# -- generated data sets (synthetic.generate) -------------------------------------------------------
def truth(out: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """A generated data set's ground truth: each person record's true person, and the planted patterns."""
    with (out / "truth" / "person_truth.csv").open(encoding="utf-8") as fh:
        record_person = {r["record_uid"]: r["person_id"] for r in csv.DictReader(fh)}
    patterns = [json.loads(line) for line in (out / "truth" / "patterns.ndjson").read_text().splitlines() if line]
    return record_person, patterns


def link_truth(db: Database, out: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Link a loaded data set's person records to their true person, so that a test measures the queries
    alone (identity resolution is tested on its own, in tests/ingest/identity)."""
    record_person, patterns = truth(out)
    db.write(
        "UNWIND $rows AS row MATCH (r:PersonRecord {uid: row.r}) MERGE (p:Person {person_id: row.p}) "
        "MERGE (r)-[:RESOLVES_TO {method: 'TRUTH'}]->(p)",
        rows=[{"r": r, "p": p} for r, p in record_person.items()],
    )
    return record_person, patterns
