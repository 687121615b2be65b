"""Build a national-scale register on this machine with `spr ingest --bulk` and time every stage.

    .venv/bin/python -m bench.national_register --data DIR [--home DIR] [--heap 5g] [--pagecache 7g]
        [--identity model|model-online|exact|none]
    .venv/bin/python -m bench.national_register --existing DIR [--identity model]   # identity stage only

DIR is a generated data set (`spr generate --scale national --seed 7 --out DIR`, about 26 million records).
A Neo4j instance of its own is created in --home (default: a new temporary folder) and left running
afterwards, so the other benchmarks can be pointed at it (it prints the NEO4J_URI, NEO4J_USER and
NEO4J_PASSWORD to use). The stages are the bulk path's own (ingest/bulk.py): reading and validating
the records and writing the import files, the offline `neo4j-admin database import`, starting the server,
applying the schema (constraints and indexes, populated here), and the identity stage (--identity:
``model``, the probabilistic matching of ingest/identity over the import files before the import, as
`spr ingest --bulk` runs it, by default; ``model-online`` the same matching online after the import).
``--existing DIR`` starts a register built before (its --home) and runs the identity stage alone, online,
over all its person records (read, score, write pairs, cluster, write Persons). The
result (JSON, with stage times, peak memory of Python, of the import and of the Neo4j server, and the
store's size) goes to bench/results/ and stdout; docs/benchmarks.md quotes it by hand with the command.
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

from bench.run_all import _du, _vm_hwm
from ingest import identity_exact
from ingest.bulk import bulk_load
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, free_port, install
from spr.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="the generated data set to load")
    ap.add_argument("--home", type=Path, default=None, help="folder for the instance (default: a new temporary one)")
    ap.add_argument("--existing", type=Path, default=None, help="a register built before: identity stage only")
    ap.add_argument(
        "--identity", choices=("model", "model-online", "exact", "none"), default="model", help="identity stage"
    )
    ap.add_argument("--heap", default="5g", help="Neo4j heap (default 5g)")
    ap.add_argument("--pagecache", default="7g", help="Neo4j page cache (default 7g)")
    args = ap.parse_args()
    if (args.data is None) == (args.existing is None):
        ap.error("give either --data (build a register) or --existing (a register built before)")

    from ingest.identity import resolve as resolve_model

    resolvers = {"model": resolve_model, "model-online": resolve_model, "exact": identity_exact.resolve, "none": None}
    settings = Settings()
    install(settings.neo4j_dir, settings.neo4j_version, log=lambda _m: None)
    home = args.existing or args.home or Path(tempfile.mkdtemp(prefix="spr-national-"))
    inst = Instance(settings.neo4j_dir, name=home.name, home=home)
    if args.existing is None:
        inst.configure(port=free_port(), heap=args.heap, pagecache=args.pagecache)

    t0 = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def log(msg: str) -> None:
        at = time.perf_counter() - t0
        marks.append((msg, at))
        print(f"[{at:8.1f} s] {msg}", file=sys.stderr, flush=True)

    identity: dict[str, Any] = {}
    if args.existing is not None:
        if not inst.status().running:
            log("starting the register's server")
            inst.start(log=lambda _m: None)
        info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True)
        resolver = resolvers[args.identity]
        if resolver is None:
            ap.error("--existing needs an identity stage to run")
        with Database.connect(info) as db:
            uids = [r["uid"] for r in db.read("MATCH (r:PersonRecord) RETURN r.uid AS uid")]
            log(f"identity stage ({args.identity}) over {len(uids)} person record(s)")
            t1 = time.perf_counter()
            res = resolver(db, uids)
            identity = {"seconds": round(time.perf_counter() - t1, 1), "records": len(uids)}
            identity |= {k: v for k, v in vars(res).items() if isinstance(v, int | float | dict | str)}
            log("identity stage done")
        report = None
    else:
        log("validating the records and writing the import files")
        report = bulk_load(inst, [args.data], progress=sys.stderr.isatty(), log=log, resolver=resolvers[args.identity],
                           match_offline=args.identity == "model")  # fmt: skip
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
        "data": str(args.data or args.existing),
        "identity": args.identity,
        "records_read": report.total.read if report else None,
        "records_loaded": report.total.loaded if report else None,
        "records_rejected": report.total.rejected if report else None,
        "persons_linked": report.persons_linked if report else identity.get("linked"),
        "identity_stage": identity or None,
        "nodes": nodes,
        "relationships": rels,
        "wall_s": round(wall, 1),
        "records_per_s": round(report.total.read / wall) if report else None,
        "stages": [{"message": m, "at_s": round(a, 1)} for m, a in marks],
        "python_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "children_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
        "neo4j_peak_rss_mb": (_vm_hwm(inst.status().pid) or 0) // (1024 * 1024),
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
