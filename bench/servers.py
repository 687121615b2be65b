"""Where a benchmark gets its Neo4j: NEO4J_URI when set, otherwise a throwaway local server of its own."""

from __future__ import annotations

import tempfile
from pathlib import Path

from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, install, throwaway_instance
from spr.settings import Settings


def bench_database(prefix: str) -> tuple[Database, tuple[Instance, Path] | None]:
    """The database to measure, and the throwaway server and folder to destroy afterwards (None: external)."""
    settings = Settings()
    if settings.neo4j_uri:
        return Database.connect(), None
    install(settings.neo4j_dir, settings.neo4j_version, log=lambda _m: None)
    home = Path(tempfile.mkdtemp(prefix=prefix))
    inst = throwaway_instance(settings.neo4j_dir, home / "instance")
    inst.start(log=lambda _m: None)
    db = Database.connect(ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True))
    return db, (inst, home)
