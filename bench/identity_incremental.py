"""Benchmark the identity stage of a later batch: reading the whole register (as before the blocking keys
were stored on PersonRecord) against reading only the records that share a key with the new ones, both
from the same graph state, with the same Persons, pairs and review items expected.

    .venv/bin/python -m bench.identity_incremental --data DIR --later DIR

DIR is a generated data set (`spr generate --scale demo --seed 7`), the later batch is `spr generate
--later-than DIR`. Runs on a throwaway local Neo4j of its own (the graph is copied between the two runs, so
both start from the same state after a restart; before each, read-only queries warm the page cache and plan
the stage's read queries, as on a server that has been running; `--cold` leaves that out). Prints the
figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from graph_schema.apply import apply_schema
from ingest import load
from ingest.identity import ResolveResult, resolve
from ingest.identity import cypher as q
from ingest.identity.graph import read_frame, stored_outcome
from ingest.identity.keys import KEYS, key_version
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, install, throwaway_instance
from spr.settings import Settings


def _connect(inst: Instance) -> Database:
    return Database.connect(ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True))


def _warm(db: Database) -> None:
    """Read-only: the store in the page cache and the identity stage's read queries planned, as on a server
    that has been running (a restarted server spends seconds on the first run of each query)."""
    frame = read_frame(db)
    read_frame(db, uids=sorted(frame.current)[:500])
    db.read(q.FIND_CANDIDATES, values={k: ["-"] for k in KEYS}, events=[])
    db.read(q.COUNT_KEYED, version=key_version())
    db.read(q.UNKEYED, version=key_version())


def _later(db: Database, later: Path, keyed: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    seen: list[tuple[ResolveResult, float]] = []

    def stage(db: Database, uids: Sequence[str]) -> ResolveResult:
        t0 = time.perf_counter()
        result = resolve(db, uids, keyed=keyed)
        seen.append((result, time.perf_counter() - t0))
        return result

    t0 = time.perf_counter()
    load(db, [later], progress=False, resolver=stage)
    wall = time.perf_counter() - t0
    result, seconds = seen[0]
    figures = {
        "mode": "keyed" if keyed else "whole register",
        "records": result.records,
        "read": result.read_records,
        "scored": result.scored_records,
        "pairs": result.pairs_stored,
        "linked": result.linked,
        "review_open": result.review_open,
        "keys_written": result.keys_written,
        "keys_backfilled": result.keys_backfilled,
        "identity_s": round(seconds, 2),
        "steps_s": result.seconds,
        "ingest_s": round(wall, 1),
    }
    return figures, stored_outcome(db)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--later", type=Path, required=True)
    ap.add_argument("--cold", dest="warm", action="store_false", help="Measure right after the restart")
    args = ap.parse_args()
    settings = Settings()
    install(settings.neo4j_dir, settings.neo4j_version, log=lambda _m: None)
    home = Path(tempfile.mkdtemp(prefix="spr-bench-idinc-"))
    inst = throwaway_instance(settings.neo4j_dir, home / "instance")
    quiet = {"log": lambda _m: None}
    try:
        inst.start(**quiet)
        db = _connect(inst)
        apply_schema(db)
        t0 = time.perf_counter()
        load(db, [args.data], progress=False, resolver=resolve)
        first = time.perf_counter() - t0
        db.close()
        inst.stop(**quiet)
        snapshot = home / "snapshot"
        shutil.copytree(inst.home / "data", snapshot)
        out: dict[str, Any] = {"first_load_s": round(first, 1), "warm": args.warm, "runs": []}
        states = []
        for keyed in (False, True):
            if states:
                inst.stop(**quiet)
                shutil.rmtree(inst.home / "data")
                shutil.copytree(snapshot, inst.home / "data")
            inst.start(**quiet)
            db = _connect(inst)
            if args.warm:
                _warm(db)
            figures, state = _later(db, args.later, keyed)
            db.close()
            out["runs"].append(figures)
            states.append(state)
        out["same_result"] = {k: states[0][k] == states[1][k] for k in states[0]}
        print(json.dumps(out, indent=1))
    finally:
        inst.destroy()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
