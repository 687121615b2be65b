"""Constraints and indexes derived from the vocabulary, applied idempotently, with the schema version
and the reference agencies (the 43 forces) recorded in the graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import LiteralString

from graph_schema.model import Vocabulary, vocabulary
from spr.db import Database

SCHEMA_NAME = "spr"


@dataclass(frozen=True)
class SchemaStatement:
    name: str
    kind: str  # "constraint" | "index" | "text index"
    label: str
    prop: str
    cypher: str


def _ident(name: str) -> str:
    # Labels and properties come from the vocabulary only; backticks guard the syntax, not the source.
    if not name.replace("_", "").isalnum():
        raise ValueError(f"{name!r} is not a valid identifier")
    return f"`{name}`"


def schema_statements(vocab: Vocabulary | None = None) -> list[SchemaStatement]:
    """Every constraint and index the vocabulary implies, in a stable order."""
    vocab = vocab or vocabulary()
    out: list[SchemaStatement] = []
    for label, node in vocab.model.nodes.items():
        name = f"{label.lower()}_{node.key}_unique"
        out.append(
            SchemaStatement(
                name, "constraint", label, node.key,
                f"CREATE CONSTRAINT {_ident(name)} IF NOT EXISTS FOR (n:{_ident(label)}) "
                f"REQUIRE n.{_ident(node.key)} IS UNIQUE",
            )
        )  # fmt: skip
        for prop in node.indexed:
            name = f"{label.lower()}_{prop}_idx"
            out.append(
                SchemaStatement(
                    name, "index", label, prop,
                    f"CREATE INDEX {_ident(name)} IF NOT EXISTS FOR (n:{_ident(label)}) ON (n.{_ident(prop)})",
                )
            )  # fmt: skip
        for prop in node.text:
            name = f"{label.lower()}_{prop}_text"
            out.append(
                SchemaStatement(
                    name, "text index", label, prop,
                    f"CREATE TEXT INDEX {_ident(name)} IF NOT EXISTS FOR (n:{_ident(label)}) "
                    f"ON (n.{_ident(prop)})",
                )
            )  # fmt: skip
    return out


@dataclass
class ApplyResult:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    version: int = 0
    version_changed: bool = False
    migrated: list[str] = field(default_factory=list)  # data changes made for an older register


def existing_schema_names(db: Database) -> set[str]:
    names = {r["name"] for r in db.read("SHOW CONSTRAINTS YIELD name RETURN name")}
    names |= {r["name"] for r in db.read("SHOW INDEXES YIELD name RETURN name")}
    return names


def apply_schema(db: Database, vocab: Vocabulary | None = None) -> ApplyResult:
    """Create what is missing, leave what exists; record the version. Running it twice changes nothing."""
    vocab = vocab or vocabulary()
    before = existing_schema_names(db)
    result = ApplyResult(version=vocab.model.schema_version)
    for st in schema_statements(vocab):
        if st.name in before:
            result.existing.append(st.name)
            continue
        # Statement text is built from the vocabulary alone (checked identifiers), never from input.
        db.run_auto(st.cypher)
        result.created.append(st.name)
    db.run_auto("CALL db.awaitIndexes(300)")
    found = schema_version_in_graph(db)
    if found is not None and found < vocab.model.schema_version:
        result.migrated = migrate(db, found)
    rows = db.write(
        """
        OPTIONAL MATCH (old:SchemaVersion {name: $name})
        WITH old.version AS before
        MERGE (v:SchemaVersion {name: $name})
        ON CREATE SET v.applied_at = datetime(), v.version = $version
        ON MATCH SET v.applied_at = CASE WHEN v.version = $version THEN v.applied_at ELSE datetime() END,
                     v.version = $version
        RETURN before
        """,
        name=SCHEMA_NAME,
        version=vocab.model.schema_version,
    )
    result.version_changed = not rows or rows[0]["before"] != vocab.model.schema_version
    db.write(
        """
        UNWIND $forces AS f
        MERGE (a:Agency {code: f.code})
        ON CREATE SET a.name = f.name, a.kind = f.kind, a.jurisdiction = f.jurisdiction,
                      a.source_system = 'REFERENCE', a.source_record_id = f.code
        """,
        forces=[a.model_dump() for a in vocab.forces.values()],
    )
    return result


# Data changes a register recorded at an older schema version needs, by the version that brings them. Each
# runs in batches (CALL { } IN TRANSACTIONS) and finds only what still needs changing, so that running it
# again after an interruption finishes it.
_MIGRATIONS: dict[int, tuple[tuple[str, LiteralString], ...]] = {
    # Bulk loads before version 4 stored provenance ingested_at as text; the online load stores a datetime.
    4: (
        (
            "nodes' ingested_at as a datetime",
            "MATCH (n) WHERE n.ingested_at IS :: STRING "
            "CALL (n) { SET n.ingested_at = datetime(n.ingested_at) } IN TRANSACTIONS OF 10000 ROWS",
        ),
        (
            "relationships' ingested_at as a datetime",
            "MATCH ()-[r]->() WHERE r.ingested_at IS :: STRING "
            "CALL (r) { SET r.ingested_at = datetime(r.ingested_at) } IN TRANSACTIONS OF 10000 ROWS",
        ),
    ),
}


def migrate(db: Database, found: int) -> list[str]:
    """The data changes of every version after ``found``, in order; returns what was done."""
    done = []
    for version in sorted(v for v in _MIGRATIONS if v > found):
        for what, statement in _MIGRATIONS[version]:
            db.run_auto(statement)
            done.append(f"version {version}: {what}")
    return done


def schema_version_in_graph(db: Database) -> int | None:
    rows = db.read("MATCH (v:SchemaVersion {name: $name}) RETURN v.version AS version", name=SCHEMA_NAME)
    return int(rows[0]["version"]) if rows else None


class SchemaMismatch(RuntimeError):
    """The graph's schema is missing or older than this code expects."""


def require_schema(db: Database, vocab: Vocabulary | None = None) -> None:
    """Fail with one clear message when the schema was never applied or is older than the code."""
    vocab = vocab or vocabulary()
    found = schema_version_in_graph(db)
    want = vocab.model.schema_version
    if found is None:
        raise SchemaMismatch("the graph has no schema yet: run `spr schema apply`")
    if found < want:
        raise SchemaMismatch(f"the graph's schema is version {found}, this code needs {want}: run `spr schema apply`")
    if found > want:
        raise SchemaMismatch(f"the graph's schema is version {found}, newer than this code ({want}): upgrade spr")
