"""End to end: generate, ingest, resolve identities, sweep and serve at growing sizes, each on a fresh
throwaway Neo4j. Writes the section "## End to end" of docs/benchmarks.md and the plot docs/benchmarks-end-to-end.png.

    .venv/bin/python -m bench.run_all [--sizes tiny,demo,national:0.05] [--seed 7] [--no-write]

A size is a generator scale (``tiny``, ``demo``, ``national``) or a fraction of one (``national:0.05`` is 5%
of the national volume). Each size runs in its own child process (so the Python peak RSS is that size's
own) against its own throwaway local Neo4j, sized like the main one. Stages: ``generate``
(``synthetic.generate``), ``ingest`` (``ingest.load``, records only: ``--identity none``), ``resolve``
(the probabilistic identity stage over every person record, ``ingest.identity.resolve``, as ``make demo``
runs it at the end of its load), ``detect`` (the full sweep, ``queries.detect.detect``) and ``serve``.
After each stage: wall time, records per second, the Python
process's peak RSS so far, the Neo4j JVM's peak RSS so far (VmHWM) and the database's size on disk.
JSON results go to bench/results/ (git-ignored). ``--sizes national`` (all of it, about 26 million
records) is selectable but not a default: online ingest of it takes hours on a small machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PLOT = ROOT / "docs" / "benchmarks-end-to-end.png"
SECTION = "End to end"
DEFAULT_SIZES = "tiny,demo,national:0.05"
AS_OF = date(2026, 4, 30)
# The serve stage: people reading profiles and case graphs through the API (bench/api_load.py "users").
SERVE_USERS, SERVE_SECONDS, SERVE_THINK = 50, 20.0, 2.0


def _parse(size: str) -> tuple[str, float]:
    scale, _, frac = size.partition(":")
    return scale, float(frac) if frac else 1.0


def _label(size: str) -> str:
    scale, frac = _parse(size)
    return scale if frac == 1.0 else f"{scale} {frac * 100:g}%"


def _du(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, f)).st_blocks * 512
    return total


def _vm_hwm(pid: int | None) -> int | None:
    """Peak resident set of a process (bytes), from /proc/<pid>/status."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _python_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def run_one(size: str, seed: int, work: Path) -> dict[str, Any]:
    """All the stages of one size on a fresh instance (called in a child process)."""
    import ingest
    import synthetic
    from bench.api_load import measure, percentile
    from graph_schema.apply import apply_schema
    from ingest.identity import resolve
    from queries.detect import detect
    from spr.db import ConnectionInfo, Database
    from spr.localserver import Instance, default_memory, free_port, install
    from spr.settings import Settings

    scale, frac = _parse(size)
    settings = Settings()
    install(settings.neo4j_dir, settings.neo4j_version, log=lambda _m: None)
    inst = Instance(settings.neo4j_dir, name="e2e", home=work / "instance")
    heap, pagecache = default_memory(False)
    inst.configure(port=free_port(), heap=heap, pagecache=pagecache)
    data = work / "data"
    stages: list[dict[str, Any]] = []
    try:
        inst.start(log=lambda _m: None)
        pid = inst.status().pid
        store = inst.home / "data" / "databases" / "neo4j"
        db = Database.connect(ConnectionInfo(inst.bolt_uri("bolt"), "neo4j", inst.password(), "neo4j", True))

        def stage(name: str, seconds: float, records: int, **extra: Any) -> None:
            stages.append({
                "stage": name, "seconds": seconds, "records": records,
                "records_per_s": records / seconds if seconds > 0 else None,
                "python_peak_rss": _python_peak(), "neo4j_peak_rss": _vm_hwm(pid), "db_bytes": _du(store), **extra,
            })  # fmt: skip
            print(f"  {size} {name}: {seconds:.1f} s", flush=True)

        try:
            apply_schema(db)
            t = time.perf_counter()
            summary = synthetic.generate(scale, seed, data, progress=False, fraction=frac)
            gen_s = time.perf_counter() - t
            manifest = json.loads((data / "manifest.json").read_text())
            records = int(sum(manifest["counts"].values()))
            stage("generate", gen_s, records, files_bytes=_du(data), incidents=manifest["counts"].get("incident"))
            del summary

            t = time.perf_counter()
            rep = ingest.load(db, [data], progress=False, resolver=None)
            ing_s = time.perf_counter() - t
            stage("ingest", ing_s, rep.total.loaded, rejects=len(rep.rejects))

            t = time.perf_counter()
            uids = [r["uid"] for r in db.read("MATCH (r:PersonRecord) RETURN r.uid AS uid")]
            ident = resolve(db, uids)
            res_s = time.perf_counter() - t
            stage("resolve", res_s, len(uids), persons_linked=ident.linked, review_open=ident.review_open,
                  steps={k: round(v, 1) for k, v in ident.seconds.items()})  # fmt: skip

            t = time.perf_counter()
            res = detect(db, as_of=AS_OF)
            det_s = time.perf_counter() - t
            people = db.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
            stage("detect", det_s, rep.total.loaded, people=people, flags=sum(res.flags.values()))

            # Serve: people using the API over this register (profile and case-graph reads, each audited).
            env = {"NEO4J_URI": inst.bolt_uri("bolt"), "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": inst.password(),
                   "NEO4J_DATABASE": "neo4j"}  # fmt: skip
            (users,) = measure(db, clients=SERVE_USERS, seconds=SERVE_SECONDS, thinks=[SERVE_THINK], env=env)
            lat = [v for vs in users.latencies.values() for v in vs]
            stage(
                "serve", users.wall, users.total, p50_ms=percentile(lat, 50), p95_ms=percentile(lat, 95),
                p99_ms=percentile(lat, 99), errors=sum(users.errors.values()),
            )  # fmt: skip

            nodes = db.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
            rels = db.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
            server = db.server_info().get("version", "?")
        finally:
            db.close()
    finally:
        inst.destroy()
    return {
        "size": size, "label": _label(size), "scale": scale, "fraction": frac, "seed": seed,
        "records": records, "nodes": nodes, "relationships": rels, "server": server, "stages": stages,
        "heap": heap, "pagecache": pagecache,
    }  # fmt: skip


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:,.0f}"


def render(
    results: list[dict[str, Any]],
    command: str,
    machine: str,
    plot: str | None,
    load: float | None = None,
    measured: str | None = None,
) -> str:
    server = results[0]["server"] if results else "?"
    shared = f"; load average {load:.1f} at the end (other work shared the machine)" if load and load > 1.5 else ""
    day = measured or date.today().isoformat()
    lines = [
        f"Measured {day} on {machine}, Neo4j {server} (a fresh throwaway local server per "
        f"size, heap {results[0]['heap'] if results else '?'}, page cache {results[0]['pagecache'] if results else '?'}"
        f"{shared}). Reproduce:",
        "",
        f"    {command}",
        "",
        "Stages: *generate* (`synthetic.generate`, seed 7), *ingest* (`ingest.load` of the records, "
        "`--identity none`), *resolve* (the probabilistic identity stage over every person record, "
        "`ingest.identity.resolve`, as `make demo` runs it; records/s there is person records), *detect* (the "
        f"full sweep, `queries.detect.detect`, as of {AS_OF.isoformat()}) and *serve* ({SERVE_USERS} people "
        "using the API over the register: bench/api_load.py's users). Records/s is the size's records over the "
        "stage's wall time. Peak RSS figures are "
        "peaks so far (each size runs in its own Python process; the Neo4j figure is the JVM's VmHWM, which "
        "starts near the whole heap because the server pre-touches it, so only its growth is the data's). "
        "Database size is the `data/databases/neo4j` folder after the stage.",
        "",
    ]
    for r in results:
        lines += [
            f"**{r['label']}**: {r['records']:,} records, {r['nodes']:,} nodes, {r['relationships']:,} relationships.",
            "",
            "| stage | wall (s) | records/s | Python peak RSS (MB) | Neo4j peak RSS (MB) | database (MB) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for s in r["stages"]:
            if s["stage"] == "serve":
                continue
            rate = f"{s['records_per_s']:,.0f}" if s["records_per_s"] else "?"
            lines.append(
                f"| {s['stage']} | {s['seconds']:,.1f} | {rate} | {_mb(s['python_peak_rss'])} | "
                f"{_mb(s['neo4j_peak_rss'])} | {_mb(s['db_bytes'])} |"
            )
        total = sum(s["seconds"] for s in r["stages"] if s["stage"] != "serve")
        lines += ["", f"Total {total:,.0f} s.", ""]
        serve = next((s for s in r["stages"] if s["stage"] == "serve"), None)
        if serve:
            lines += [
                f"Serve: {SERVE_USERS} users (mean pause {SERVE_THINK:g} s) reading profiles and case graphs for "
                f"{serve['seconds']:.0f} s: {serve['records']:,} requests ({serve['records_per_s']:.0f} per second), "
                f"p50 {serve['p50_ms']:.0f} ms, p95 {serve['p95_ms']:.0f} ms, p99 {serve['p99_ms']:.0f} ms, "
                f"errors {serve['errors']}.",
                "",
            ]
    if len(results) >= 2:
        a, b = results[-2], results[-1]
        ratio = b["records"] / a["records"]
        growth = {s["stage"]: s["seconds"] for s in b["stages"]}
        before = {s["stage"]: s["seconds"] for s in a["stages"]}
        parts = [f"{k} {growth[k] / before[k]:.1f}x" for k in ("ingest", "resolve", "detect") if before.get(k)]
        lines += [
            f"From {a['label']} to {b['label']} the records grow {ratio:.1f}x and the wall time grows "
            + ", ".join(parts)
            + ". National scale (all of it, about 26 million records) is not run by default: at the ingest "
            "rate above its online load alone would take hours on this machine "
            f"(about {26e6 / next(s['records_per_s'] for s in b['stages'] if s['stage'] == 'ingest') / 3600:.1f} h "
            "extrapolated linearly, not measured); `--sizes national` runs it. The national register is "
            "measured stage by stage instead, each stage with its own command: the bulk load (Ingest), "
            "identity resolution through the graph (Identity resolution), the full sweep, the list, a "
            "profile and the incremental update (Pattern queries), alerts (Alerts) and the API's users "
            '(Pattern queries, "The API at national scale"); docs/scaling.md gathers them in one table.',
            "",
        ]
    if plot:
        lines += [f"![Cost against size]({plot})", ""]
    return "\n".join(lines)


def make_plot(results: list[dict[str, Any]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[dev]'): no plot", file=sys.stderr)
        return False
    x = [r["records"] for r in results]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in ("generate", "ingest", "resolve", "detect"):
        if not all(any(s["stage"] == name for s in r["stages"]) for r in results):
            continue
        y = [next(s["seconds"] for s in r["stages"] if s["stage"] == name) for r in results]
        ax1.plot(x, y, marker="o", label=name)
    ax1.set(xscale="log", yscale="log", xlabel="records", ylabel="wall time (s)", title="Time per stage")
    ax1.legend()
    mem = {
        "Neo4j peak RSS": [max(s["neo4j_peak_rss"] or 0 for s in r["stages"]) / 1e6 for r in results],
        "Python peak RSS": [max(s["python_peak_rss"] for s in r["stages"]) / 1e6 for r in results],
        "database on disk": [r["stages"][-1]["db_bytes"] / 1e6 for r in results],
    }
    for name, y in mem.items():
        ax2.plot(x, y, marker="o", label=name)
    ax2.set(xscale="log", yscale="log", xlabel="records", ylabel="MB", title="Memory and disk")
    ax2.legend()
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        for r, xv in zip(results, x, strict=True):
            ax.annotate(r["label"], (xv, ax.get_ylim()[0]), textcoords="offset points", xytext=(2, 4), fontsize=8)
    fig.suptitle("End to end: cost against size (measured)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated (default {DEFAULT_SIZES})")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-write", action="store_true", help="print the section instead of updating the docs")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # a single size, in this process (used by the parent)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--render", metavar="JSON", help="rewrite the docs from a saved bench/results summary, no run")
    a = ap.parse_args()

    if a.render:
        saved = json.loads(Path(a.render).read_text(encoding="utf-8"))
        # the day it was measured, not the day it is rendered (results saved before "date" was kept: the name)
        named = re.search(r"(\d{4})(\d{2})(\d{2})T", Path(a.render).name)
        saved.setdefault("date", "-".join(named.groups()) if named else None)
        _publish(saved, a.no_write)
        return

    if a.one:
        work = Path(tempfile.mkdtemp(prefix="spr-bench-e2e-"))
        try:
            result = run_one(a.one, a.seed, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        Path(a.out).write_text(json.dumps(result, indent=2), encoding="utf-8")
        return

    sizes = [s.strip() for s in a.sizes.split(",") if s.strip()]
    for s in sizes:
        _parse(s)  # a bad fraction fails before anything runs
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results = []
    started = time.perf_counter()
    for size in sizes:
        out = RESULTS / f"end-to-end-{stamp}-{size.replace(':', '-')}.json"
        print(f"{size}: running", flush=True)
        cmd = [sys.executable, "-m", "bench.run_all", "--one", size, "--seed", str(a.seed), "--out", str(out)]
        subprocess.run(cmd, cwd=ROOT, check=True)
        results.append(json.loads(out.read_text(encoding="utf-8")))
    print(f"all sizes: {time.perf_counter() - started:,.0f} s")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    command = "make bench" if a.sizes == DEFAULT_SIZES else f"python -m bench.run_all --sizes {a.sizes}"
    summary = {
        "machine": machine, "command": command, "load": os.getloadavg()[0], "sizes": sizes, "results": results,
        "date": date.today().isoformat(),
    }  # fmt: skip
    (RESULTS / f"end-to-end-{stamp}.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    _publish(summary, a.no_write)


def _publish(summary: dict[str, Any], no_write: bool) -> None:
    results = summary["results"]
    plotted = not no_write and make_plot(results, PLOT)
    text = render(
        results,
        summary.get("command", "make bench"),
        summary["machine"],
        PLOT.name if plotted else None,
        summary.get("load"),
        summary.get("date"),
    )
    print(text)
    if not no_write:
        from bench.report import write_section

        write_section(SECTION, text)


if __name__ == "__main__":
    main()
