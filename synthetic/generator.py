"""Orchestration: split a scale into shards, run them (in parallel where asked), join the parts."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ingest.records import FORMAT_VERSION, RECORD_TYPES, vocabulary
from spr.processes import process_pool
from synthetic import calibration as cal
from synthetic.world import BORDER, COURT, Shard, ShardResult
from synthetic.writer import RecordWriter, file_name

REGISTER_SOURCE = "SPR"  # reference data the register itself holds (the agency list)
TRUTH_FILES = (
    ("person_truth.csv", "record_uid,person_id\n"),
    ("incident_truth.csv", "record_uid,incident_id\n"),
    ("patterns.ndjson", ""),
)


@dataclass
class GenerateSummary:
    scale: str
    seed: int
    out: str
    format: str
    fraction: float
    forces: list[str]
    window_start: str
    reference_date: str
    incidents: int = 0
    incidents_last_year: int = 0
    careers: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    patterns: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class ShardSpec:
    index: int
    name: str
    forces: tuple[str, ...]
    budget: int
    movers: bool


def plan(scale: str, fraction: float = 1.0) -> tuple[cal.Scale, list[ShardSpec], Any]:
    """The shards of a scale, with each one's incident budget over the whole window."""
    if scale not in cal.SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(cal.SCALES)}")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    spec = cal.SCALES[scale]
    forces = spec.forces or tuple(vocabulary().forces)
    years = spec.history_years + 1
    window_start = cal.REFERENCE_DATE - timedelta(days=365 * years - 1)
    total = spec.incidents_per_year * fraction * years
    movers_budget = int(total * cal.P_MOVER)
    local = total - movers_budget
    weight = sum(cal.FORCE_POPULATION_M[f] for f in forces)
    shards = [
        ShardSpec(i + 1, f, (f,), max(1, round(local * cal.FORCE_POPULATION_M[f] / weight)), False)
        for i, f in enumerate(forces)
    ]
    if len(forces) > 1:
        shards.append(ShardSpec(len(forces) + 1, "MOVERS", forces, max(1, movers_budget), True))
    return spec, shards, window_start


def _run_shard(shard: ShardSpec, seed: int, parts: str, fmt: str, window_start: Any) -> ShardResult:
    out = Path(parts) / f"{shard.index:02d}-{shard.name}"
    return Shard(shard.index, shard.name, shard.forces, shard.budget, seed, out, fmt, window_start, shard.movers).run()


def _write_agencies(directory: Path, fmt: str, forces: tuple[str, ...]) -> None:
    voc = vocabulary()
    w = RecordWriter(directory, fmt, header=False)

    def agency(code: str, name: str, kind: str, area: str | None = None) -> None:
        row = {
            "source_system": REGISTER_SOURCE,
            "record_id": code,
            "record_version": 1,
            "code": code,
            "name": name,
            "kind": kind,
            "jurisdiction": "ENGLAND_WALES",
        }
        if area:
            row["area"] = area
        w.write("agency", row)

    for code, name in voc.forces.items():
        agency(code, name, "POLICE_FORCE", code)
    for code, name in cal.PROBATION_NAMES.items():
        agency(code, f"Probation Service, {name}", "PROBATION_REGION", name)
    agency(COURT, "HM Courts and Tribunals Service (England and Wales)", "COURT")
    agency(BORDER, "Border and carrier records", "OTHER")
    for f in forces:
        agency(f"IDVA-{f}", f"IDVA service, {voc.forces[f]} area", "IDVA_SERVICE", f)
    w.close()


def generate(
    scale: str,
    seed: int,
    out: Path,
    progress: bool = True,
    *,
    fmt: str = "ndjson",
    fraction: float = 1.0,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Generate a scale's records and ground truth into ``out``; the same seed gives the same bytes.

    ``on_progress(done, total)`` is called as incidents are written (``progress`` shows a bar instead).
    """
    started = time.perf_counter()
    spec, shards, window_start = plan(scale, fraction)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts = out / ".parts"
    if parts.exists():
        shutil.rmtree(parts)
    parts.mkdir()
    forces = spec.forces or tuple(vocabulary().forces)
    summary = GenerateSummary(
        scale=scale,
        seed=seed,
        out=str(out),
        format=fmt,
        fraction=fraction,
        forces=list(forces),
        window_start=window_start.isoformat(),
        reference_date=cal.REFERENCE_DATE.isoformat(),
    )
    _write_agencies(parts / "00-REF", fmt, forces)
    total = sum(s.budget for s in shards)

    bar = _Bar(total, f"generate {scale}") if progress else None
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if bar:
            bar.update(n)
        if on_progress:
            on_progress(min(done, total), total)

    results: list[ShardResult] = []
    try:
        n_workers = workers if workers is not None else (min(os.cpu_count() or 1, 8) if spec.parallel else 1)
        if n_workers > 1 and len(shards) > 1:
            with process_pool(n_workers, preload=["synthetic.generator"]) as pool:
                ordered = sorted(shards, key=lambda s: -s.budget)  # big shards first: better packing
                futures = {pool.submit(_run_shard, s, seed, str(parts), fmt, window_start): s for s in ordered}
                for fut in as_completed(futures):
                    results.append(fut.result())
                    advance(futures[fut].budget)
        else:
            for s in shards:
                d = parts / f"{s.index:02d}-{s.name}"
                results.append(
                    Shard(s.index, s.name, s.forces, s.budget, seed, d, fmt, window_start, s.movers, advance).run()
                )
    finally:
        if bar:
            bar.close()

    _join(parts, out, fmt)
    shutil.rmtree(parts)
    for r in sorted(results, key=lambda r: r.name):
        summary.incidents += r.incidents
        summary.incidents_last_year += r.incidents_last_year
        summary.careers += r.careers
        for k, v in r.patterns.items():
            summary.patterns[k] = summary.patterns.get(k, 0) + v
    summary.counts = _count_records(out, fmt)
    summary.patterns = dict(sorted(summary.patterns.items()))
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": "spr synthetic",
        **{k: v for k, v in asdict(summary).items() if k not in ("out", "seconds")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    summary.seconds = time.perf_counter() - started
    return summary


def _join(parts: Path, out: Path, fmt: str) -> None:
    """Concatenate shard parts in shard order, one file per record type (CSV gets one header)."""
    dirs = sorted(p for p in parts.iterdir() if p.is_dir())
    for rtype, model in RECORD_TYPES.items():
        name = file_name(rtype, fmt)
        with (out / name).open("wb") as dst:
            if fmt == "csv":
                dst.write((",".join(model.columns()) + "\n").encode())
            for d in dirs:
                src = d / name
                if src.exists():
                    with src.open("rb") as fh:
                        shutil.copyfileobj(fh, dst, 1 << 20)
    truth = out / "truth"
    truth.mkdir(exist_ok=True)
    for name, header in TRUTH_FILES:
        with (truth / name).open("wb") as dst:
            dst.write(header.encode())
            for d in dirs:
                src = d / "truth" / name
                if src.exists():
                    with src.open("rb") as fh:
                        shutil.copyfileobj(fh, dst, 1 << 20)


def _count_records(out: Path, fmt: str) -> dict[str, int]:
    counts = {}
    for rtype in RECORD_TYPES:
        n = 0
        with (out / file_name(rtype, fmt)).open("rb") as fh:
            while chunk := fh.read(1 << 20):
                n += chunk.count(b"\n")
        counts[rtype] = n - (1 if fmt == "csv" else 0)
    return counts


class _Bar:
    """A rich progress bar over incidents written."""

    def __init__(self, total: int, label: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("incidents"),
            TimeElapsedColumn(),
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task(label, total=total)

    def update(self, n: int) -> None:
        self.progress.advance(self.task, n)

    def close(self) -> None:
        self.progress.stop()
