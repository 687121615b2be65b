"""Applying the schema to a real Neo4j: every constraint the vocabulary implies, idempotently."""

from __future__ import annotations

import pytest

from graph_schema import vocabulary
from graph_schema.apply import (
    SchemaMismatch,
    apply_schema,
    require_schema,
    schema_statements,
    schema_version_in_graph,
)
from spr.db import Database


def _snapshot(db: Database) -> dict[str, object]:
    return {
        "constraints": sorted(
            (r["name"], r["labelsOrTypes"], r["properties"])
            for r in db.read("SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties RETURN *")
        ),
        "indexes": sorted(r["name"] for r in db.read("SHOW INDEXES YIELD name RETURN name")),
        "version": db.read("MATCH (v:SchemaVersion) RETURN v.version AS v, toString(v.applied_at) AS at"),
        "nodes": db.read("MATCH (n) RETURN count(n) AS n")[0]["n"],
    }


def test_show_constraints_lists_every_constraint_the_vocabulary_implies(empty_db: Database) -> None:
    result = apply_schema(empty_db)
    assert result.created and not result.existing
    rows = empty_db.read("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN *")
    have = {(r["labelsOrTypes"][0], r["properties"][0]) for r in rows if r["type"] == "UNIQUENESS"}
    for label, node in vocabulary().model.nodes.items():
        assert (label, node.key) in have, f"missing uniqueness constraint on {label}.{node.key}"
    index_names = {r["name"] for r in empty_db.read("SHOW INDEXES YIELD name RETURN name")}
    for st in schema_statements():
        assert st.name in index_names  # constraints are backed by indexes of the same name


def test_applying_twice_changes_nothing(empty_db: Database) -> None:
    apply_schema(empty_db)
    first = _snapshot(empty_db)
    second_result = apply_schema(empty_db)
    assert second_result.created == []
    assert not second_result.version_changed
    assert _snapshot(empty_db) == first
    assert first["nodes"] == 1 + len(vocabulary().forces)  # SchemaVersion + the 43 forces


def test_constraints_are_enforced(db: Database) -> None:
    db.write("CREATE (:Person {person_id: 'P1'})")
    with pytest.raises(Exception, match="already exists"):
        db.write("CREATE (:Person {person_id: 'P1'})")


def test_missing_or_older_schema_is_named(empty_db: Database) -> None:
    with pytest.raises(SchemaMismatch, match="no schema"):
        require_schema(empty_db)
    apply_schema(empty_db)
    require_schema(empty_db)
    assert schema_version_in_graph(empty_db) == vocabulary().model.schema_version
    empty_db.write("MATCH (v:SchemaVersion) SET v.version = 0")
    with pytest.raises(SchemaMismatch, match="run `spr schema apply`"):
        require_schema(empty_db)


def test_applying_to_a_register_recorded_at_version_3_turns_text_ingested_at_into_datetimes(db: Database) -> None:
    # What a bulk load stored before version 4: provenance ingested_at as text, on nodes and relationships.
    at = "2026-11-30T10:15:00.5+00:00"
    db.write(
        "CREATE (r:PersonRecord {uid: 'WMP/P1', ingested_at: $at})-[:SUSPECT_IN {ingested_at: $at}]->"
        "(i:Incident {uid: 'WMP/I1', ingested_at: datetime($at)})",
        at=at,
    )
    db.write("MATCH (v:SchemaVersion) SET v.version = 3")
    result = apply_schema(db)
    assert result.migrated == [
        "version 4: nodes' ingested_at as a datetime",
        "version 4: relationships' ingested_at as a datetime",
    ]
    rows = db.read(
        "MATCH (r:PersonRecord)-[s:SUSPECT_IN]->(i:Incident) RETURN valueType(r.ingested_at) AS r, "
        "valueType(s.ingested_at) AS s, valueType(i.ingested_at) AS i, r.ingested_at = datetime($at) AS same",
        at=at,
    )
    dt = "ZONED DATETIME NOT NULL"
    assert rows == [{"r": dt, "s": dt, "i": dt, "same": True}]
    assert schema_version_in_graph(db) == vocabulary().model.schema_version
    assert apply_schema(db).migrated == []  # recorded at this version now: nothing more to do
