"""Build a national-scale register on this machine with `spr ingest --bulk` and time every stage.

    .venv/bin/python -m bench.national_register --data DIR [--home DIR] [--heap 5g] [--pagecache 7g]

DIR is a generated data set (`spr generate --scale national --seed 7 --out DIR`, about 26 million records).
A Neo4j instance of its own is created in --home (default: a new temporary folder) and left running
afterwards, so the other benchmarks can be pointed at it (it prints the NEO4J_URI, NEO4J_USER and
NEO4J_PASSWORD to use). The stages are the bulk path's own (ingest/bulk.py): reading and validating
the records and writing the import files, the offline `neo4j-admin database import`, starting the server,
applying the schema (constraints and indexes, populated here), then the exact identity stage. The result
(JSON, with stage times, peak memory of Python and the import, and the store's size) goes to
bench/results/ and stdout; docs/benchmarks.md quotes it in "Ingest" by hand with the command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.run_all import _du
from ingest.bulk import bulk_load
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, free_port, install
from spr.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the generated data set to load")
    ap.add_argument("--home", type=Path, default=None, help="folder for the instance (default: a new temporary one)")
    ap.add_argument("--heap", default="5g", help="Neo4j heap (default 5g)")
    ap.add_argument("--pagecache", default="7g", help="Neo4j page cache (default 7g)")
    args = ap.parse_args()

    settings = Settings()
    install(settings.neo4j_dir, settings.neo4j_version, log=lambda _m: None)
    home = args.home or Path(tempfile.mkdtemp(prefix="spr-national-"))
    inst = Instance(settings.neo4j_dir, name=home.name, home=home)
    inst.configure(port=free_port(), heap=args.heap, pagecache=args.pagecache)

    t0 = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def log(msg: str) -> None:
        at = time.perf_counter() - t0
        marks.append((msg, at))
        print(f"[{at:8.1f} s] {msg}", file=sys.stderr, flush=True)

    log("validating the records and writing the import files")
    report = bulk_load(inst, [args.data], progress=sys.stderr.isatty(), log=log)
    wall = time.perf_counter() - t0
    info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True)
    with Database.connect(info) as db:
        nodes = db.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
        rels = db.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    result: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "neo4j": settings.neo4j_version,
        "heap": args.heap,
        "pagecache": args.pagecache,
        "data": str(args.data),
        "records_read": report.total.read,
        "records_loaded": report.total.loaded,
        "records_rejected": report.total.rejected,
        "persons_linked": report.persons_linked,
        "nodes": nodes,
        "relationships": rels,
        "wall_s": round(wall, 1),
        "records_per_s": round(report.total.read / wall),
        "stages": [{"message": m, "at_s": round(a, 1)} for m, a in marks],
        "python_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
        "store_mb": _du(home / "data" / "databases" / "neo4j") // (1024 * 1024),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"national-register-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    print(f"\nThe register is running: NEO4J_URI={info.uri} NEO4J_USER=neo4j NEO4J_PASSWORD={inst.password()}")
    print(f"Stop it with: kill $(cat {inst.pid_file})")


if __name__ == "__main__":
    main()
