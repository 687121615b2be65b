"""What is in the register: node counts per label, relationship counts per type, the last ingest batches.

Counts come from Neo4j's count store (a label or type alone in the pattern), so they cost nothing even
on a national graph. Labels and types are the schema's, one query each.
"""

from __future__ import annotations

from typing import Any, LiteralString

from pydantic import BaseModel

from graph_schema import vocabulary
from spr.db import Database

_M = vocabulary().model
NODE_COUNTS: dict[str, LiteralString] = {
    label: f"MATCH (n:{_M.label(label)}) RETURN count(n) AS n" for label in _M.nodes
}
REL_COUNTS: dict[str, LiteralString] = {
    rel: f"MATCH ()-[r:{_M.rel_type(rel)}]->() RETURN count(r) AS n" for rel in _M.relationships
}
LAST_BATCHES: LiteralString = (
    f"MATCH (b:{_M.label('IngestBatch')}) "
    "RETURN b.batch_id AS batch_id, toString(b.started_at) AS started_at, toString(b.finished_at) AS finished_at, "
    "b.status AS status, b.files AS files, b.records_read AS read, b.records_loaded AS loaded, "
    "b.records_rejected AS rejected ORDER BY b.started_at DESC LIMIT $limit"
)


class BatchInfo(BaseModel):
    batch_id: str
    started_at: str | None = None
    finished_at: str | None = None
    status: str | None = None
    files: list[str] = []
    read: int | None = None
    loaded: int | None = None
    rejected: int | None = None


class RegisterStats(BaseModel):
    nodes: dict[str, int]
    relationships: dict[str, int]
    batches: list[BatchInfo]


def register_stats(db: Database, *, batches: int = 5) -> RegisterStats:
    nodes = {label: int(db.read(q)[0]["n"]) for label, q in NODE_COUNTS.items()}
    rels = {rel: int(db.read(q)[0]["n"]) for rel, q in REL_COUNTS.items()}
    rows: list[dict[str, Any]] = db.read(LAST_BATCHES, limit=batches)
    return RegisterStats(
        nodes=nodes,
        relationships=rels,
        batches=[BatchInfo(**{k: v for k, v in r.items() if v is not None}) for r in rows],
    )
