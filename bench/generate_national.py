"""Benchmark ``spr generate``: wall time and peak memory per scale, written to docs/benchmarks.md.

    .venv/bin/python bench/generate_national.py [--fraction 0.1] [--out /tmp/spr-bench] [--seed 1]

Runs tiny, demo and national (or the given fraction of national) and replaces the section
"Synthetic data generation" in docs/benchmarks.md, leaving other sections as they are.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Synthetic data generation"

CHILD = """
import json, resource, sys, time
from pathlib import Path
from synthetic import generate
t = time.perf_counter()
s = generate(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), progress=False, fraction=float(sys.argv[4]))
wall = time.perf_counter() - t
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_main_kb": own, "rss_worker_kb": kids, "records": s.records,
                  "incidents": s.incidents, "last_year": s.incidents_last_year, "patterns": s.patterns}))
"""


def run(scale: str, seed: int, out: Path, fraction: float) -> dict:
    """Run one scale in a fresh interpreter so peak RSS belongs to that run alone."""
    import json

    if out.exists():
        shutil.rmtree(out)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, scale, str(seed), str(out), str(fraction)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return result


def write_section(rows: list[tuple[str, dict]], fraction: float, note: str = "") -> None:
    cpu = os.cpu_count()
    lines = [
        SECTION,
        "",
        f"Measured {date.today().isoformat()} by `bench/generate_national.py` on {platform.machine()}, {cpu} CPUs, "
        f"Python {platform.python_version()}. Wall time is end to end (generation, joining the parts, "
        "manifest); peak memory is the largest resident set of the main process and of any one worker process.",
        "",
        "| scale | incidents (final year) | records | on disk | wall time | peak RSS main | peak RSS per worker |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['incidents']:,} ({r['last_year']:,}) | {r['records']:,} | {r['bytes'] / 1e6:,.0f} MB | "
            f"{r['wall']:.1f} s | {r['rss_main_kb'] / 1024:,.0f} MB | {r['rss_worker_kb'] / 1024:,.0f} MB |"
        )
    lines.append("")
    if fraction < 1:
        lines.append(
            f"National was run at {fraction:.0%} of its volume (`--fraction {fraction}`) on this machine; "
            "time grows linearly with volume and per-worker memory does not grow with it (careers are "
            "written and forgotten one at a time), so the full run takes about "
            f"{1 / fraction:.0f} times as long."
        )
    else:
        lines.append(
            "National is the full volume: 43 forces, a final year of about 1.35 million domestic-abuse-related "
            "incidents and crimes, plus two years of history."
        )
    if note:
        lines += ["", note]
    lines.append("")
    body = "\n".join(lines)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(text) is not None
    text = pattern.sub(lambda _: body + "\n", text) if found else text.rstrip("\n") + "\n\n" + body
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fraction", type=float, default=1.0, help="share of national volume to run (0-1]")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("/tmp/spr-bench"))
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    ap.add_argument("--note", default="", help="a sentence about the conditions of the run, added to the doc")
    args = ap.parse_args()
    rows = []
    for scale, fraction in (("tiny", 1.0), ("demo", 1.0), ("national", args.fraction)):
        t = time.perf_counter()
        r = run(scale, args.seed, args.out / scale, fraction)
        label = scale if fraction == 1 else f"national × {fraction}"
        print(
            f"{label}: {r['incidents']:,} incidents, {r['records']:,} records in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        rows.append((label, r))
    write_section(rows, args.fraction, args.note)
    if not args.keep:
        shutil.rmtree(args.out, ignore_errors=True)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
