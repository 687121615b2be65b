"""The bulk path's validation and import-file stage (``ingest.bulk.write_import_files``), timed per number of
worker processes, without Neo4j (the import and the stages after it are timed by bench.national_register).

    .venv/bin/python -m bench.bulk_stage --data DIR --workers 1,2 --repeat 2

Runs alternate between the worker counts so that a machine shared with other jobs weighs on each alike. For each
run: wall time, CPU time of this process and its workers, records per second of wall time, and the load average
(on a shared machine the wall-time rate depends on it; CPU time per record much less).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest.bulk import write_import_files
from ingest.pipeline import batch_id_for
from ingest.reader import discover
from ingest.report import RejectsWriter


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_once(data: Path, workers: int, root: Path) -> dict[str, float]:
    files = discover([data])
    out = Path(tempfile.mkdtemp(prefix="stage-", dir=root))
    rejects = RejectsWriter(out / "rejects.ndjson")
    cpu, t = _cpu(), time.perf_counter()
    try:
        stage = write_import_files(
            files, out, batch_id=batch_id_for(files), at=datetime.now(UTC), rejects=rejects, workers=workers
        )
    finally:
        rejects.close()
    wall, cpu = time.perf_counter() - t, _cpu() - cpu
    shutil.rmtree(out, ignore_errors=True)
    n = stage.report.total.read
    return {"workers": workers, "records": n, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "records_per_s": round(n / wall), "load": os.getloadavg()[0]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="a folder of interchange files (spr generate)")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="spr-bench-stage-"))
    try:
        for _ in range(args.repeat):
            for w in (int(x) for x in args.workers.split(",")):
                print(json.dumps(run_once(args.data, w, root)), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
