"""Benchmark alerts: time from a batch's commit to its alerts being visible. Writes the section "## Alerts"
of docs/benchmarks.md.

    .venv/bin/python -m bench.alerts_latency [--scale demo] [--seed 7] [--batch-records 1000] [--runs 5]

A throwaway local Neo4j (or NEO4J_URI) is loaded with a generated scale (person records linked to their
true person: identity resolution is measured in its own section). Each run then writes a later batch of
``--batch-records`` interchange records through ``ingest.load``: new incidents, each with a suspect who
is already on the register (most with a history, some serial or under an order) and a victim. The clock
starts when the load has committed and stops when the batch's alerts come back from ``list_alerts``:
finding the batch's people, running every rule, storing the alerts and reading them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.servers import bench_database

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Alerts"


def _link_truth(db: Any, data: Path) -> None:
    with (data / "truth" / "person_truth.csv").open(encoding="utf-8") as fh:
        rows = [{"r": r["record_uid"], "p": r["person_id"]} for r in csv.DictReader(fh)]
    for i in range(0, len(rows), 20_000):
        db.write(
            "UNWIND $rows AS row MATCH (r:PersonRecord {uid: row.r}) MERGE (p:Person {person_id: row.p}) "
            "MERGE (r)-[:RESOLVES_TO {method: 'TRUTH'}]->(p)",
            rows=rows[i : i + 20_000],
        )


def _batch(db: Any, out: Path, n_records: int, run: int, seed: int) -> None:
    """A later batch: incidents (1 record) with a suspect (1) and a victim (1) already on the register."""
    rng = random.Random(seed * 1000 + run)
    from graph_schema.model import vocabulary

    vocab = vocabulary().offences
    stamp = datetime.now(UTC).strftime("%y%m%d%H%M%S")  # new record ids on every run of the benchmark
    suspects = [
        r["uid"]
        for r in db.read(
            "MATCH (r:PersonRecord)-[:SUSPECT_IN]->(:Incident) WITH DISTINCT r LIMIT 20000 RETURN r.uid AS uid"
        )
    ]
    victims = [
        r["uid"]
        for r in db.read(
            "MATCH (r:PersonRecord)-[:VICTIM_IN]->(:Incident) WITH DISTINCT r LIMIT 20000 RETURN r.uid AS uid"
        )
    ]
    out.mkdir(parents=True, exist_ok=True)
    offences = ["COMMON_ASSAULT", "ABH", "HARASSMENT", "STALKING", "THREATS_TO_KILL", "BREACH_OF_ORDER", "GBH"]
    when = datetime(2026, 3, 20, tzinfo=UTC) + timedelta(days=run)
    with (out / "incident.ndjson").open("w") as inc, (out / "involvement.ndjson").open("w") as inv:
        for k in range(n_records // 3):
            sus = rng.choice(suspects)
            force = sus.split("/")[0]
            rid = f"IBENCH{stamp}{run:02d}{k:06d}"
            offence = rng.choice(offences)
            at = (when + timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ")
            inc.write(json.dumps({
                "source_system": force, "record_id": rid, "record_version": 1, "occurred_at": at, "reported_at": at,
                "agency_code": force, "offence_code": offence, "is_crime": vocab[offence].crime,
                "is_stalking": vocab[offence].stalking,
                "dash_grade": rng.choice(["STANDARD", "MEDIUM", "HIGH"]),
            }) + "\n")  # fmt: skip
            for role, ref in (("SUSPECT", sus), ("VICTIM", rng.choice(victims))):
                inv.write(json.dumps({
                    "source_system": force, "record_id": f"V{rid}{role[0]}", "record_version": 1,
                    "incident_ref": f"{force}/{rid}", "person_ref": ref, "role": role,
                }) + "\n")  # fmt: skip


def run(scale: str, seed: int, batch_records: int, runs: int, existing: bool = False) -> dict[str, Any]:
    import ingest
    import synthetic
    from queries.alerts import evaluate_batch, list_alerts

    if existing:
        from spr.db import get_database

        db, owned = get_database(), None
    else:
        db, owned = bench_database("spr-bench-alerts-")
    work = Path(tempfile.mkdtemp(prefix="spr-bench-alerts-data-"))
    try:
        from graph_schema.apply import apply_schema

        t0 = time.perf_counter()
        if existing:  # the register as it is (for example after `make demo`): the batches are added to it
            scale = "existing"
            base_records = db.read("MATCH (n) WHERE n.ingest_batch IS NOT NULL RETURN count(n) AS n")[0]["n"]
        else:
            db.run_auto("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
            apply_schema(db)
            synthetic.generate(scale, seed, work / "base", progress=False)
            base_records = ingest.load(db, [work / "base"], progress=False, resolver=None).total.loaded
            _link_truth(db, work / "base")
        load_s = time.perf_counter() - t0
        nodes = db.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
        incidents = db.read("MATCH (i:Incident) RETURN count(i) AS n")[0]["n"]
        samples = []
        for r in range(runs):
            _batch(db, work / f"batch{r}", batch_records, r, seed)
            t_load = time.perf_counter()
            rep = ingest.load(db, [work / f"batch{r}"], progress=False, resolver=None)
            committed = time.perf_counter()
            res = evaluate_batch(db, rep.batch_id, as_of=date(2026, 4, 30))
            visible = list_alerts(db, alert_ids=[a.alert_id for a in res.alerts], limit=max(1, len(res.alerts)))
            done = time.perf_counter()
            samples.append({
                "records": rep.total.loaded, "load_s": committed - t_load, "latency_s": done - committed,
                "people": res.people, "alerts": len(visible), "by_kind": res.by_kind,
            })  # fmt: skip
        return {
            "scale": scale, "seed": seed, "base_records": base_records, "base_nodes": nodes,
            "base_incidents": incidents, "base_load_s": load_s, "samples": samples,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "server": db.server_info().get("version", "?"),
        }  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
        db.close()
        if owned:
            owned[0].destroy()
            shutil.rmtree(owned[1], ignore_errors=True)


def render(r: dict[str, Any]) -> str:
    lat = [s["latency_s"] for s in r["samples"]]
    lines = [
        SECTION,
        "",
        f"`python -m bench.alerts_latency --scale {r['scale']} --seed {r['seed']}` on {r['machine']}, "
        f"Neo4j {r['server']}, {date.today().isoformat()}. Background: the `{r['scale']}` scale "
        f"({r['base_records']:,} records, {r['base_incidents']:,} incidents, {r['base_nodes']:,} nodes). "
        "Each batch: new incidents with a suspect already on the register and a victim (three records each), "
        "loaded with `ingest.load`; latency is from the load's commit to the batch's alerts read back "
        "(`evaluate_batch` + `list_alerts`).",
        "",
        "| run | records | load (s) | people | alerts | commit → visible (s) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for n, s in enumerate(r["samples"], start=1):
        lines.append(
            f"| {n} | {s['records']:,} | {s['load_s']:.2f} | {s['people']:,} | {s['alerts']:,} | {s['latency_s']:.2f} |"
        )
    lines += [
        "",
        f"Median commit → visible: **{statistics.median(lat):.2f} s** (max {max(lat):.2f} s); "
        "target under 1 s for a 1,000-record batch on 2 cores.",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if SECTION in doc:
        start = doc.index(SECTION)
        nxt = doc.find("\n## ", start + len(SECTION))
        doc = doc[:start] + text.rstrip() + "\n" + (doc[nxt:] if nxt != -1 else "")
    else:
        doc = doc.rstrip() + "\n\n" + text
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="demo")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--batch-records", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-write", action="store_true", help="print the section instead of updating the doc")
    ap.add_argument(
        "--existing", action="store_true",
        help="measure against the configured database as it is (e.g. after make demo); the batches are added to it",
    )  # fmt: skip
    a = ap.parse_args()
    result = run(a.scale, a.seed, a.batch_records, a.runs, a.existing)
    text = render(result)
    print(text)
    print(json.dumps(result, indent=2, default=str))
    if not a.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
