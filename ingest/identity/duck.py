"""DuckDB connections for identity resolution: bounded in threads and memory, spilling to a temporary
folder beyond the bound, so that a national run shares the machine with the database it feeds."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

# DuckDB's own default is 80% of the machine's memory; the register shares its machine with Neo4j.
DEFAULT_MEMORY_LIMIT = "4GB"


def connect(threads: int | None = None, *, ordered: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB: ``threads`` (default: all cores), memory bounded by SPR_IDENTITY_MEMORY_LIMIT
    (default 4GB; DuckDB's size syntax, e.g. ``8GB``), spilling under the system's temporary folder.
    ``ordered`` False lets DuckDB drop insertion order where no query needs it (faster scoring)."""
    con = duckdb.connect(":memory:")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    limit = os.environ.get("SPR_IDENTITY_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)
    con.execute("SET memory_limit = ?", [limit])
    spill = Path(tempfile.gettempdir()) / "spr-identity-duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute("SET enable_progress_bar = false")
    if not ordered:
        con.execute("SET preserve_insertion_order = false")
    return con
