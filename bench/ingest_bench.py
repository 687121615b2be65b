"""Ingest throughput: batched online load vs one transaction per record vs neo4j-admin bulk import.

    .venv/bin/python -m bench.ingest_bench --scales tiny,demo --write-docs

Each scale's records are generated once (data/bench/<scale>, seed 7) and loaded into fresh throwaway
local Neo4j instances sized like the main one. The per-record rate is measured on the tiny scale (every
record its own transaction, the way ORM-style code writes) and applied to the other scales: measuring it
on demo or national would take hours. The identity stage is not part of these figures (it is its own
stage with its own benchmark); every figure includes reading and validating the files.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from graph_schema.apply import apply_schema
from ingest import load
from ingest.bulk import bulk_load
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, default_memory, free_port
from spr.settings import Settings, project_root

DOCS = project_root() / "docs" / "benchmarks.md"
SECTION = "## Ingest"


@dataclass
class Result:
    scale: str
    records: int
    batched_s: float
    reload_s: float
    bulk_s: float | None
    per_record_rate: float

    @property
    def batched_rate(self) -> float:
        return self.records / self.batched_s

    @property
    def bulk_rate(self) -> float | None:
        return self.records / self.bulk_s if self.bulk_s else None


def _instance(root: Path, name: str) -> Instance:
    s = Settings()
    inst = Instance(s.neo4j_dir, name=name, home=root / name)
    heap, pagecache = default_memory(False)
    inst.configure(port=free_port(), heap=heap, pagecache=pagecache)
    return inst


def _db(inst: Instance) -> Database:
    return Database.connect(ConnectionInfo(inst.bolt_uri("bolt"), "neo4j", inst.password(), "neo4j", True))


def _data(scale: str) -> Path:
    from synthetic import generate

    out = project_root() / "data" / "bench" / scale
    if not (out / "manifest.json").is_file():
        generate(scale=scale, seed=7, out=out, progress=True)
    return out


def _records(data: Path) -> int:
    return int(sum(json.loads((data / "manifest.json").read_text())["counts"].values()))


def run(scales: list[str], batch_size: int | None, root: Path) -> list[Result]:
    # one transaction per record, on the tiny scale
    tiny = _data("tiny")
    inst = _instance(root, "per-record")
    inst.start(log=print)
    with _db(inst) as db:
        apply_schema(db)
        t = time.perf_counter()
        load(db, [tiny], batch_size=1, progress=False, resolver=None)
        per_record_rate = _records(tiny) / (time.perf_counter() - t)
    inst.destroy()
    print(f"per-record: {per_record_rate:,.0f} records/s")

    results = []
    for scale in scales:
        data = _data(scale)
        n = _records(data)
        inst = _instance(root, f"online-{scale}")
        inst.start(log=print)
        with _db(inst) as db:
            apply_schema(db)
            kw = {"batch_size": batch_size} if batch_size else {}
            t = time.perf_counter()
            load(db, [data], progress=True, resolver=None, **kw)  # type: ignore[arg-type]
            batched = time.perf_counter() - t
            t = time.perf_counter()
            load(db, [data], progress=False, resolver=None, **kw)  # type: ignore[arg-type]
            reload = time.perf_counter() - t
        inst.destroy()
        print(f"{scale}: batched {n / batched:,.0f}/s, reload {n / reload:,.0f}/s")

        inst = _instance(root, f"bulk-{scale}")
        inst.start(log=print)
        with _db(inst) as db:
            apply_schema(db)
        t = time.perf_counter()
        bulk_load(inst, [data], progress=False, log=lambda _m: None, workdir=root)
        bulk = time.perf_counter() - t
        inst.destroy()
        print(f"{scale}: bulk {n / bulk:,.0f}/s")
        results.append(Result(scale, n, batched, reload, bulk, per_record_rate))

    return results


def sweep(sizes: list[int], root: Path) -> dict[int, float]:
    """Batch size against throughput on the demo scale (what DEFAULT_BATCH_SIZE is chosen from)."""
    data = _data("demo")
    n = _records(data)
    out = {}
    for size in sizes:
        inst = _instance(root, f"sweep-{size}")
        inst.start(log=print)
        with _db(inst) as db:
            apply_schema(db)
            t = time.perf_counter()
            load(db, [data], batch_size=size, progress=False, resolver=None)
            out[size] = n / (time.perf_counter() - t)
        inst.destroy()
        print(f"batch {size}: {out[size]:,.0f}/s")
    return out


def section(results: list[Result], sweep_rates: dict[int, float], command: str) -> str:
    cpu = os.cpu_count()
    lines = [
        SECTION,
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {cpu} cores, "
        f"Python {platform.python_version()}, Neo4j Community 5.26 (local server, default sizing); load average "
        f"{os.getloadavg()[0]:.1f} at the end (other work shared the machine). Reproduce:",
        "",
        f"    {command}",
        "",
        "Records per second, reading and validating included, identity stage excluded. *Per record*: one "
        "transaction per record (ORM style), measured on the tiny scale and applied to the others. *Bulk*: "
        "`spr ingest --bulk` (neo4j-admin database import full, then schema and restart), same validation.",
        "",
        "| scale | records | batched online | reload (no change) | per record | bulk import | "
        "batched / per record | bulk / batched |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        bulk = f"{r.bulk_rate:,.0f}" if r.bulk_rate else "n/a"
        ratio_bulk = f"{r.bulk_rate / r.batched_rate:.1f}x" if r.bulk_rate else "n/a"
        lines.append(
            f"| {r.scale} | {r.records:,} | {r.batched_rate:,.0f} ({r.batched_s:,.0f} s) | "
            f"{r.records / r.reload_s:,.0f} | {r.per_record_rate:,.0f} | {bulk} | "
            f"{r.batched_rate / r.per_record_rate:.1f}x | {ratio_bulk} |"
        )
    if sweep_rates:
        lines += ["", "Batch size on the demo scale (records per second):", ""]
        lines += ["| batch size | " + " | ".join(str(k) for k in sweep_rates) + " |"]
        lines += ["| --- |" + " ---: |" * len(sweep_rates)]
        lines += ["| rate | " + " | ".join(f"{v:,.0f}" for v in sweep_rates.values()) + " |"]
    return "\n".join(lines) + "\n"


def write_docs(text: str) -> None:
    current = DOCS.read_text(encoding="utf-8") if DOCS.is_file() else "# Benchmarks\n"
    start = current.find(SECTION + "\n")
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        nxt = current.find("\n## ", start + len(SECTION))
        new = current[:start] + text + (current[nxt + 1 :] if nxt >= 0 else "")
        new = new.replace(text + "## ", text + "\n## ")
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(new, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="tiny,demo", help="comma-separated: tiny, demo, national")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--sweep", default="", help="batch sizes to compare on demo, e.g. 250,1000,2000,5000")
    ap.add_argument("--write-docs", action="store_true", help="replace the Ingest section of docs/benchmarks.md")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="spr-bench-"))
    try:
        results = run([s for s in args.scales.split(",") if s], args.batch_size, root)
        rates = sweep([int(x) for x in args.sweep.split(",") if x], root) if args.sweep else {}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    cmd = "make bench-ingest  # = .venv/bin/python -m bench.ingest_bench " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in (("scales", args.scales), ("sweep", args.sweep)) if v
    )
    text = section(results, rates, cmd.replace("make bench-ingest  # = ", "") + " --write-docs")
    print(text)
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
