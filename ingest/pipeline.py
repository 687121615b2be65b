"""``load``: read → validate → reject with reasons → write in batches → identity stage.

Resume design: a batch id is derived from the files' names and contents, so running the same command
again after a crash continues the same IngestBatch, and every record gets the same provenance it would
have had in one clean run (``ingested_at`` is the batch's first start). Everything is read and
validated again (the rejects and the reference checks need it) and written again with idempotent
MERGEs; records that committed before the crash are equal versions, so they change nothing.
docs/ingest.md explains why this was chosen over skipping committed batches.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from graph_schema import vocabulary
from graph_schema.apply import require_schema
from ingest.identity import resolve as resolve_identities  # the identity stage: probabilistic (issue #5)
from ingest.reader import RawRecord, SourceFile, discover, read
from ingest.records import BaseRecord
from ingest.report import IngestReport, Reject, RejectsWriter
from ingest.validate import Candidate, Validator
from ingest.writes import BatchResult, dedupe_latest, not_mapped, write_batch
from spr.db import Database, DatabaseUnavailable

# Measured on the demo scale (docs/benchmarks.md): 2,000 and 5,000 rows per transaction load in the same
# time; the smaller keeps a retried transaction cheap.
DEFAULT_BATCH_SIZE = 2000
# Batches validated ahead of the writer: validation (Python) and writing (Neo4j) overlap.
PIPELINE_DEPTH = 2

_M = vocabulary().model
START_BATCH: LiteralString = (
    f"MERGE (b:{_M.label('IngestBatch')} {{batch_id: $batch_id}}) "
    "ON CREATE SET b.started_at = datetime(), b.status = 'running', b.files = $files, b.created = true "
    "WITH b, coalesce(b.created, false) AS created REMOVE b.created "
    "RETURN b.started_at AS started_at, b.status AS status, created"
)
FINISH_BATCH: LiteralString = (
    f"MATCH (b:{_M.label('IngestBatch')} {{batch_id: $batch_id}}) WHERE b.status <> 'completed' "
    "SET b.status = 'completed', b.finished_at = datetime(), b.records_read = $read, "
    "b.records_loaded = $loaded, b.records_rejected = $rejected"
)


class IngestAborted(DatabaseUnavailable):
    """The load stopped part way (the database went away); what committed is whole, run it again to resume."""


def batch_id_for(files: Sequence[SourceFile]) -> str:
    """Same files (names and bytes) → same batch id: a re-run resumes the batch instead of starting another."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: (f.path.name, f.sha256)):
        h.update(f"{f.path.name}\0{f.sha256}\n".encode())
    return "ingest-" + h.hexdigest()[:16]


def _chunks(records: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    chunk: list[RawRecord] = []
    for r in records:
        chunk.append(r)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Progress:
    """A rich progress bar with rate and time left, or nothing."""

    def __init__(self, enabled: bool, total: int) -> None:
        self._p: Any = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._p = Progress(
            TextColumn("[bold]{task.description:<13}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8} rec/s"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._p.add_task("ingest", total=total, rate="")
        self._p.start()
        self._t0 = time.perf_counter()
        self._done = 0

    def advance(self, n: int, what: str) -> None:
        if self._p is None:
            return
        self._done += n
        rate = self._done / max(time.perf_counter() - self._t0, 1e-6)
        self._p.update(self._task, advance=n, description=what, rate=f"{rate:,.0f}")

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()


def load(
    db: Database,
    paths: Sequence[Path | str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    rejects_path: Path | str | None = None,
    progress: bool | None = None,
    resolver: Callable[[Database, Sequence[str]], object] | None = resolve_identities,
    after_load: Callable[[Database, IngestReport], object] | None = None,
    now: datetime | None = None,
) -> IngestReport:
    """Load interchange files (or folders of them) into the graph and report what happened.

    Every bad record becomes a reject (file, line, field, reason) and the good ones still load. Each
    batch is one managed transaction. ``resolver`` is the identity stage run on the loaded person
    records (None skips it). ``after_load`` is the stage that reacts to the new records (alerts and
    flags: ``queries.stages.after_batch``); it runs after the identity stage and before the batch is
    marked completed, so an interrupted run repeats it on the next run, and it is skipped when the same
    files had been loaded completely before. ``progress`` None shows a bar when stderr is a terminal.
    """
    if batch_size < 1:
        raise ValueError("batch size must be at least 1")
    t0 = time.perf_counter()
    files = discover([Path(p) for p in paths])
    require_schema(db)
    batch_id = batch_id_for(files)
    report = IngestReport(batch_id=batch_id, files=[f.name for f in files])
    rejects = RejectsWriter(Path(rejects_path) if rejects_path else None)
    report.rejects_file = str(rejects_path) if rejects_path else None
    try:
        try:
            _run(db, files, report, rejects, batch_size, progress, resolver, after_load, now)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise IngestAborted(
                f"lost the connection to Neo4j during the load ({exc.__class__.__name__}). Every batch that "
                "committed is whole; run the same command again to finish the load"
            ) from exc
        except (Neo4jError, DriverError) as exc:
            raise IngestAborted(
                f"Neo4j failed during the load: {exc}. Every batch that committed is whole; "
                "run the same command again to finish the load"
            ) from exc
    finally:
        rejects.close()
    report.seconds = time.perf_counter() - t0
    return report


def _run(
    db: Database,
    files: list[SourceFile],
    report: IngestReport,
    rejects: RejectsWriter,
    batch_size: int,
    progress: bool | None,
    resolver: Callable[[Database, Sequence[str]], object] | None,
    after_load: Callable[[Database, IngestReport], object] | None,
    now: datetime | None,
) -> None:
    rows = db.write(START_BATCH, batch_id=report.batch_id, files=[f.path.name for f in files])
    at = rows[0]["started_at"]
    report.resumed = rows[0]["status"] == "running" and not rows[0]["created"]
    report.already_loaded = rows[0]["status"] == "completed"

    validator = Validator(db, now=now or datetime.now(UTC))
    skipped: Counter[str] = Counter()
    persons: list[str] = []
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, sum(f.lines for f in files))
    pending: deque[Future[BatchResult]] = deque()

    def add_rejects(items: list[Reject]) -> None:
        for rj in items:
            rejects.write(rj)
        report.rejects.extend(items)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
        try:
            for f in files:
                rtype = f.record_type
                for chunk in _chunks(read(f), batch_size):
                    candidates: list[Candidate] = []
                    bad_records = 0
                    for raw in chunk:
                        if raw.error is not None:
                            add_rejects([raw.error])
                            if raw.line:
                                bad_records += 1
                            continue
                        assert rtype is not None
                        parsed = validator.parse(rtype, raw)
                        if isinstance(parsed, list):
                            add_rejects(parsed)
                            bad_records += 1
                        else:
                            candidates.append(parsed)
                    counts = report.count(rtype or "unknown")
                    if rtype is None:  # the whole file is one reject; its lines count as rejected records
                        counts.read += f.lines
                        counts.rejected += f.lines
                        bar.advance(f.lines, "unknown")
                        continue
                    counts.read += sum(1 for r in chunk if r.line)
                    accepted, cross = validator.check_chunk(rtype, candidates)
                    add_rejects(cross)
                    counts.rejected += bad_records + len({(r.file, r.line) for r in cross})
                    to_write: list[BaseRecord] = []
                    for rec in accepted:
                        why = not_mapped(rtype, rec)
                        if why:
                            skipped[why] += 1
                            counts.skipped += 1
                        else:
                            to_write.append(rec)
                    counts.loaded += len(to_write)
                    if rtype == "person":
                        persons.extend(r.uid for r in to_write)
                    if to_write:
                        batch = dedupe_latest(to_write)
                        pending.append(writer.submit(write_batch, db, rtype, batch, batch_id=report.batch_id, at=at))
                    while len(pending) > PIPELINE_DEPTH or (pending and pending[0].done()):
                        pending.popleft().result()
                    bar.advance(len(chunk), rtype)
            while pending:
                pending.popleft().result()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
        finally:
            bar.close()

    if resolver is not None and persons:
        result = resolver(db, persons)
        report.persons_linked = int(getattr(result, "linked", 0))
    report.notes = [f"{n} record(s) not in the graph: {why}" for why, n in sorted(skipped.items())]
    if after_load is not None and not report.already_loaded:
        result = after_load(db, report)
        report.alerts_raised = getattr(result, "created", None)
    if not report.already_loaded:
        total = report.total
        db.write(FINISH_BATCH, batch_id=report.batch_id, read=total.read, loaded=total.loaded, rejected=total.rejected)
