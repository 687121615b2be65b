"""`spr check`: a consistent register passes every check; each invariant, broken on purpose against the real
Neo4j, is caught by the check of that name with the broken record among its examples, and by no other check
that has no reason to fail."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from graph_schema import vocabulary
from queries.integrity import CHECKS, UnknownCheck, check_integrity
from spr.db import Database
from tests.reliability.conftest import Register, run_spr

if TYPE_CHECKING:
    from tests.conftest import TestServer


def test_a_consistent_register_passes_every_check(db: Database, register: Register) -> None:
    report = check_integrity(db)
    assert [c.name for c in report.checks] == list(CHECKS)
    assert report.ok, [(c.name, c.examples) for c in report.failed]
    assert all(c.count == 0 and not c.examples for c in report.checks)
    assert len(register.flags) >= 2 and len(register.alerts) >= 2  # there was something to check
    assert db.read("MATCH (f:Flag) WHERE f.evidence IS NULL RETURN count(f) AS n") == [{"n": 0}]


@dataclass(frozen=True)
class Breakage:
    name: str  # what is done
    check: str  # the check that must catch it
    cypher: str  # how (parameters: the register's ids)
    example: Callable[[Register], str]  # the id the check must give as an example
    problem: str  # words in that example's problem
    also: frozenset[str] = frozenset()  # other checks the same damage rightly fails


BREAKAGES = [
    Breakage(
        "a record resolved to two persons",
        "record_resolution",
        "MATCH (r:PersonRecord {uid: 'WMP/P1'}), (p:Person {person_id: $victim}) CREATE (r)-[:RESOLVES_TO]->(p)",
        lambda r: "WMP/P1",
        "resolves to 2 Persons",
    ),
    Breakage(
        "a record left without a person",
        "record_resolution",
        "CREATE (:PersonRecord {uid: 'WMP/P9', source_system: 'WMP', source_record_id: 'P9', last_name: 'Kerr'})",
        lambda r: "WMP/P9",
        "resolves to no Person",
    ),
    Breakage(
        "a person no record resolves to",
        "empty_persons",
        "CREATE (:Person {person_id: 'P-EMPTY', display_name: 'Nobody'})",
        lambda r: "P-EMPTY",
        "no PersonRecord",
    ),
    Breakage(
        "an incident with nobody involved",
        "orphan_incidents",
        "MATCH (a:Agency {code: 'WMP'}) CREATE (:Incident {uid: 'WMP/I9', offence_code: 'COMMON_ASSAULT'})"
        "-[:RECORDED_BY]->(a)",
        lambda r: "WMP/I9",
        "no person involved",
    ),
    Breakage(
        "an incident that lost its recording agency",
        "orphan_incidents",
        "MATCH (:Incident {uid: 'WMP/I1'})-[x:RECORDED_BY]->() DELETE x",
        lambda r: "WMP/I1",
        "no recording agency",
    ),
    Breakage(
        "a flag's evidence deleted (the conviction)",
        "flag_evidence",
        "MATCH (o:Outcome {uid: 'WMP/O1'}) DETACH DELETE o",
        lambda r: f"{r.suspect}|SERIAL_CAMPAIGN",
        "evidence gone: Outcome:WMP/O1",
        frozenset({"alert_evidence"}),  # an alert cites the same conviction
    ),
    Breakage(
        "a flag's evidence no longer the person's (the suspect link removed)",
        "flag_evidence",
        "MATCH (:PersonRecord {uid: 'WMP/P4'})-[x:SUSPECT_IN]->(:Incident {uid: 'WMP/I2'}) DELETE x",
        lambda r: f"{r.suspect}|SERIAL_CAMPAIGN",
        "evidence no longer the person's: WMP/I2",
    ),
    Breakage(
        "a flag nobody holds, of an unknown definition",
        "flag_evidence",
        "CREATE (:Flag {uid: 'X|STALE', definition: 'STALE', definition_version: 1})",
        lambda r: "X|STALE",
        "no Person is FLAGGED with it; unknown definition STALE",
    ),
    Breakage(
        "a nomination that lost its person",
        "nomination_persons",
        "MATCH (:Nomination {nomination_id: $nomination})-[x:NOMINATES]->() DELETE x",
        lambda r: r.nomination,
        "nominates no Person",
    ),
    Breakage(
        "an alert that lost its person",
        "alert_persons",
        "MATCH (a:Alert {alert_id: $alert})-[x:ABOUT]->() DELETE x",
        lambda r: r.alerts["UNNOTIFIED_TRAVEL"],
        "about no Person",
    ),
    Breakage(
        "an alert's evidence deleted (the journey)",
        "alert_evidence",
        "MATCH (t:Travel {uid: 'WMP/T1'}) DETACH DELETE t",
        lambda r: r.alerts["UNNOTIFIED_TRAVEL"],
        "evidence missing: Travel:WMP/T1",
    ),
    Breakage(
        "a person deleted outright",
        "nomination_persons",
        "MATCH (p:Person {person_id: $suspect}) DETACH DELETE p",
        lambda r: r.nomination,
        "nominates no Person",
        frozenset({"record_resolution", "flag_evidence", "alert_persons"}),
    ),
    Breakage(
        "an older schema version in the graph",
        "schema",
        "MATCH (v:SchemaVersion {name: 'spr'}) SET v.version = 0",
        lambda r: "SchemaVersion spr",
        f"version 0 in the graph, this code's is {vocabulary().model.schema_version}",
    ),
    Breakage(
        "an audit entry edited",
        "audit_chain",
        "MATCH (e:AuditEntry {seq: 2}) SET e.purpose = 'edited afterwards'",
        lambda r: "AuditEntry 2",
        "content does not match its hash",
    ),
    Breakage(
        "an audit entry deleted",
        "audit_chain",
        "MATCH (e:AuditEntry {seq: 2}) DELETE e",
        lambda r: "AuditEntry 2",
        "entry 2 is missing",
    ),
    # last: the schema change makes the server plan every query again for the tests after it
    Breakage(
        "a constraint dropped",
        "schema",
        "DROP CONSTRAINT incident_uid_unique",
        lambda r: "incident_uid_unique",
        "constraint on Incident.uid is missing",
    ),
]


@pytest.mark.parametrize("b", BREAKAGES, ids=[b.name for b in BREAKAGES])
def test_each_broken_invariant_is_caught(db: Database, register: Register, b: Breakage) -> None:
    params = {
        "suspect": register.suspect,
        "victim": register.victim,
        "nomination": register.nomination,
        "alert": register.alerts["UNNOTIFIED_TRAVEL"],
    }
    db.run_auto(b.cypher, **{k: v for k, v in params.items() if f"${k}" in b.cypher})  # type: ignore[arg-type]
    report = check_integrity(db)
    failed = {c.name for c in report.failed}
    assert failed == {b.check} | b.also, [(c.name, c.examples) for c in report.failed]
    caught = report.check(b.check)
    assert caught.count >= 1
    examples = {e.id: e.problem for e in caught.examples}
    assert b.example(register) in examples, examples
    assert b.problem in examples[b.example(register)]


def test_examples_are_capped_and_counts_are_complete(db: Database, register: Register) -> None:
    db.write("UNWIND range(1, 12) AS k CREATE (:Person {person_id: 'P-EMPTY-' + right('0' + toString(k), 2)})")
    report = check_integrity(db, examples=3, only=["empty_persons"])
    c = report.check("empty_persons")
    assert c.count == 12 and [e.id for e in c.examples] == ["P-EMPTY-01", "P-EMPTY-02", "P-EMPTY-03"]
    with pytest.raises(UnknownCheck, match="unknown check nope"):
        check_integrity(db, only=["nope"])


def test_spr_check_exit_status_table_and_json(
    db: Database, register: Register, neo4j_server: TestServer, tmp_path: Path
) -> None:
    ok = run_spr(neo4j_server.info, "check", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "All 9 checks passed." in ok.stdout
    db.run_auto("MATCH (:Incident {uid: 'WMP/I1'})-[x:RECORDED_BY]->() DELETE x")
    bad = run_spr(neo4j_server.info, "check", "--json", "--examples", "2", cwd=tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    report = json.loads(bad.stdout)
    assert report["ok"] is False
    by_name = {c["name"]: c for c in report["checks"]}
    assert set(by_name) == set(CHECKS)
    assert by_name["orphan_incidents"]["count"] == 1
    assert by_name["orphan_incidents"]["examples"] == [{"id": "WMP/I1", "problem": "no recording agency"}]
    table = run_spr(neo4j_server.info, "check", cwd=tmp_path)
    assert table.returncode == 1
    assert "1 of 9 checks FAILED: orphan_incidents" in table.stdout
    assert "WMP/I1 (no recording agency)" in table.stdout
    assert "Traceback" not in table.stderr + bad.stderr
