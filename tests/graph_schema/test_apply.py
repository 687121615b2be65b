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
