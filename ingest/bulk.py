"""The first national load into an empty local database, through ``neo4j-admin database import full``.

The same reading and validation as the online load (same rejects, same messages); the accepted records
become node and relationship CSV files with the same properties and provenance the online path writes,
the local server is stopped, the files imported, the server started again, the schema (constraints,
indexes, reference agencies) applied and the identity stage run online. Later loads use the online path.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from operator import attrgetter
from pathlib import Path
from types import SimpleNamespace
from typing import IO, TYPE_CHECKING, Any, LiteralString

from graph_schema import vocabulary
from graph_schema.apply import apply_schema
from ingest import identity_exact
from ingest.pipeline import DEFAULT_BATCH_SIZE, _Progress, batch_id_for
from ingest.reader import LOAD_ORDER, RawRecord, SourceFile, discover, ndjson_lines, ndjson_record, read
from ingest.records import BaseRecord
from ingest.report import IngestReport, Reject, RejectsWriter
from ingest.validate import AGENCY_FIELDS, REFS, Candidate, Validator, parse_record
from ingest.writes import NODE_PLANS, _row, dedupe_latest, not_mapped, write_batch
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance
from spr.processes import process_pool

if TYPE_CHECKING:
    from ingest.identity.graph import ResolveResult

_M = vocabulary().model
CSV_TYPES = {"string": "string", "integer": "long", "float": "double", "boolean": "boolean", "date": "date"}
CSV_TYPES |= {"datetime": "datetime", "string[]": "string[]"}
# Records validated together: memory stays bounded whatever the size of a file.
CHUNK = 20_000
ARRAY_DELIMITER = "|"  # the interchange format forbids it inside list items
RECORD_BATCH: LiteralString = (
    f"MERGE (b:{_M.label('IngestBatch')} {{batch_id: $batch_id}}) "
    "SET b.started_at = $at, b.finished_at = datetime(), b.status = 'completed', b.files = $files, "
    "b.records_read = $read, b.records_loaded = $loaded, b.records_rejected = $rejected, b.method = 'bulk'"
)
COUNT_DATA: LiteralString = (
    f"MATCH (n) WHERE NOT n:{_M.label('SchemaVersion')} AND NOT n:{_M.label('Agency')} RETURN count(n) AS n"
)


class BulkImportError(RuntimeError):
    """The bulk path cannot be used here; the message says why and what to use instead."""


Shape = tuple[str, ...]  # ("node", label) or (relationship type, start label, end label): one import file
Lines = tuple[tuple[Shape, ...], tuple[str, ...]]  # a record's import-file lines, and the file of each
PERSON_AGENCY: Shape = ("RECORDED_BY", "PersonRecord", "Agency")


class _Render:
    """The import files' CSV lines: one column layout per node label and per relationship shape, taken from
    the first row of each (the same for every row of a shape, whichever process renders it)."""

    def __init__(self, batch_id: str, at: str) -> None:
        self.batch_id, self.at = batch_id, at
        self.headers: dict[Shape, str] = {}
        self.cols: dict[Shape, list[str]] = {}
        # The shapes of one record's lines, as one shared tuple per combination: a chunk's lines travel between
        # processes as (shapes, lines), and a shared tuple is sent once (separate tuples cost more to unpickle
        # than the records took to check).
        self.patterns: dict[tuple[Shape, ...], tuple[Shape, ...]] = {}
        self.shapes: list[Shape] = []
        self.out: list[str] = []
        self._buf: list[str] = []
        self._csv = csv.writer(SimpleNamespace(write=self._buf.append))  # one write per row: the whole line

    def _line(self, cells: list[str]) -> str:
        self._csv.writerow(cells)
        return self._buf.pop()

    def _types(self, label: str, extra: Sequence[str]) -> dict[str, str]:
        declared = _M.provenance_types | (dict(_M.nodes[label].properties) if label in _M.nodes else {})
        return {**declared, **{k: "string" for k in extra if k not in declared}}

    def node(self, label: str, key: str, values: dict[str, Any]) -> None:
        shape = ("node", label)
        cols = self.cols.get(shape)
        if cols is None:
            types = self._types(label, list(values))
            # Every declared property and the provenance get a column, whichever row comes first.
            names = set(types) | set(values) | set(_M.provenance) | {"record_version"}
            cols = self.cols[shape] = [key, *sorted(k for k in names if k != key)]
            header = [f"{key}:ID({label})"] + [_typed(c, types.get(c, "string")) for c in cols[1:]] + [":LABEL"]
            self.headers[shape] = self._line(header)
        self.shapes.append(shape)
        self.out.append(self._line(_cells(values, cols) + [label]))

    def rel(self, rel: str, start: tuple[str, str], end: tuple[str, str], values: dict[str, Any]) -> None:
        shape = (rel, start[0], end[0])
        cols = self.cols.get(shape)
        if cols is None:
            declared = _M.provenance_types | dict(_M.relationships[rel].properties)
            types = {"record_version": "integer", **declared, **{k: "string" for k in values if k not in declared}}
            cols = self.cols[shape] = sorted(values)
            header = [f":START_ID({start[0]})", f":END_ID({end[0]})", ":TYPE"]
            self.headers[shape] = self._line(header + [_typed(c, types.get(c, "string")) for c in cols])
        self.shapes.append(shape)
        self.out.append(self._line([start[1], end[1], rel] + _cells(values, cols)))

    def provenance(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "source_system": row["source_system"],
            "source_record_id": row["source_record_id"],
            "ingest_batch": self.batch_id,
            "ingested_at": self.at,
        }

    def lines(self, rtype: str, row: dict[str, Any]) -> Lines:
        """The lines one validated record adds to the import files, and the file (shape) of each."""
        self.shapes, self.out = [], []
        _emit(self, rtype, row)
        shapes = tuple(self.shapes)
        return self.patterns.setdefault(shapes, shapes), tuple(self.out)


def _typed(col: str, kind: str) -> str:
    if col == "record_version":
        return "record_version:long"
    return f"{col}:{CSV_TYPES.get(kind, 'string')}"


def _cells(values: dict[str, Any], cols: list[str]) -> list[str]:
    return [v if (v := values.get(c)).__class__ is str else _cell(v) for c in cols]


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, date):  # a datetime too
        return v.isoformat()
    if isinstance(v, list):
        return ARRAY_DELIMITER.join(x.isoformat() if isinstance(x, date) else str(x) for x in v)
    return str(v)


def _emit(files: _Render, rtype: str, row: dict[str, Any]) -> None:
    """The nodes and relationships one validated record becomes: the same as the online path writes. (A person
    record's RECORDED_BY line is kept only when its agency is known, as online: ``_Files.write``.)"""
    prov = files.provenance(row)
    link = {**prov}
    if rtype in NODE_PLANS:
        plan = NODE_PLANS[rtype]
        node = {**row["props"], **row["temporal"], **prov, "record_version": row["record_version"]}
        node[plan.key] = row["key"]
        files.node(plan.label, plan.key, node)
        me = (plan.label, row["key"])
        person = ("PersonRecord", str(row.get("person_ref")))
        if rtype == "person":
            files.rel("RECORDED_BY", me, ("Agency", row["source_system"]), link)
        elif rtype == "address":
            files.rel("LIVES_AT", person, me, {**link, **row["link"]})
        elif rtype == "incident":
            files.rel("RECORDED_BY", me, ("Agency", row["agency_code"]), link)
        elif rtype == "outcome":
            files.rel("HAS_OUTCOME", person, me, link)
            if row["incident_ref"]:
                files.rel("OUTCOME_FOR", me, ("Incident", row["incident_ref"]), link)
            if row["agency_code"]:
                files.rel("RECORDED_BY", me, ("Agency", row["agency_code"]), link)
        elif rtype == "order":
            files.rel("AGAINST", me, ("PersonRecord", row["subject_ref"]), link)
            for p in row["protected_refs"]:
                files.rel("PROTECTS", me, ("PersonRecord", p), link)
            files.rel("ISSUED_BY", me, ("Agency", row["issuing_agency"]), link)
            for q in row["requirements"]:
                req = {**q, **prov, "record_version": row["record_version"]}
                files.node("NotificationRequirement", "uid", req)
                files.rel("IMPOSED_BY", ("NotificationRequirement", q["uid"]), me, link)
                files.rel("REQUIRES", ("PersonRecord", row["subject_ref"]), ("NotificationRequirement", q["uid"]), link)
        elif rtype == "notification":
            files.rel("NOTIFIED", person, me, link)
            if row["received_by"]:
                files.rel("RECEIVED_BY", me, ("Agency", row["received_by"]), link)
        elif rtype == "episode":
            files.rel("SUBJECT_OF", person, me, {**link, **row["link"]})
            if row["agency_code"]:
                files.rel("RECORDED_BY", me, ("Agency", row["agency_code"]), link)
        elif rtype == "assessment":
            files.rel("ASSESSES", me, person, link)
            if row["incident_ref"]:
                files.rel("ASSESSMENT_FOR", me, ("Incident", row["incident_ref"]), link)
            if row["agency_code"]:
                files.rel("RECORDED_BY", me, ("Agency", row["agency_code"]), link)
        elif rtype == "travel":
            files.rel("TRAVELLED", person, me, link)
    elif rtype == "involvement":
        files.rel(
            row["type"], ("PersonRecord", row["person_ref"]), ("Incident", row["incident_ref"]),
            {**link, "record_version": row["record_version"]},
        )  # fmt: skip
    elif rtype == "relationship":
        files.rel(
            "RELATIONSHIP_WITH", ("PersonRecord", row["person_ref"]), ("PersonRecord", row["other_ref"]),
            {**link, **row["props"], "record_version": row["record_version"]},
        )  # fmt: skip
    elif rtype == "breach":
        files.rel(
            "BREACH_OF", ("Incident", row["incident_ref"]), ("Order", row["order_ref"]),
            {**link, **row["props"], "record_version": row["record_version"]},
        )  # fmt: skip


# -- a record's own checks and lines: in the worker processes ------------------------------------------

Item = RawRecord | tuple[int, bytes]  # an NDJSON line (number, bytes) or a record the main process read (CSV)
# A record's own checks in a worker: its rejects, or its uid, version, the fields the checks that need several
# records read (CHECKED), and its import-file lines (an agency: its node's properties, written at the end).
Outcome = list[Reject] | tuple[str, int, tuple[Any, ...], Lines | dict[str, Any]]


def _checked_fields(rtype: str) -> tuple[str, ...]:
    names = [f for f, _, _ in REFS.get(rtype, ())] + list(AGENCY_FIELDS.get(rtype, ()))
    names += {"agency": ["code"], "person": ["source_system"], "involvement": ["role"]}.get(rtype, [])
    return tuple(dict.fromkeys(names))


CHECKED = {t: _checked_fields(t) for t in LOAD_ORDER}
_CHECKED_VALUES: dict[str, Callable[[Any], tuple[Any, ...]]] = {
    t: (attrgetter(*names) if len(names) > 1 else lambda r, g=attrgetter(*names): (g(r),))  # type: ignore[misc]
    for t, names in CHECKED.items()
}


class _Checker:
    """Reads, checks and renders the records of one chunk; depends on nothing the other chunks hold, so chunks
    can be checked in any process (the checks that need several records run in the main process, in order)."""

    def __init__(self, batch_id: str, at: datetime) -> None:
        self.context = {"now": at}
        self.render = _Render(batch_id, at.isoformat())

    def chunk(self, f: SourceFile, items: list[Item]) -> tuple[list[Outcome], dict[Shape, str]]:
        rtype = f.record_type
        outcomes: list[Outcome] = []
        for item in items:
            raw = item if isinstance(item, RawRecord) else ndjson_record(f, *item)
            if raw.error is not None:
                outcomes.append([raw.error])
                continue
            assert rtype is not None  # a file named after no record type is one read error
            parsed = parse_record(rtype, raw, self.context)
            if isinstance(parsed, list):
                outcomes.append(parsed)
                continue
            rec = parsed.record
            row = _row(rtype, rec, text_dates=False)
            if not_mapped(rtype, rec):
                out: Lines | dict[str, Any] = ((), ())  # skipped, with a note (main process)
            elif rtype == "agency":
                agency = {**row["props"], "code": row["key"], "record_version": row["record_version"]}
                out = agency | self.render.provenance(row)
            else:
                out = self.render.lines(rtype, row)
            outcomes.append((rec.uid, rec.record_version, _CHECKED_VALUES[rtype](rec), out))
        return outcomes, self.render.headers


_WORKER: _Checker | None = None


def _start_worker(batch_id: str, at: datetime) -> None:
    global _WORKER
    _WORKER = _Checker(batch_id, at)


def _check_chunk(f: SourceFile, items: list[Item]) -> tuple[list[Outcome], dict[Shape, str]]:
    assert _WORKER is not None
    return _WORKER.chunk(f, items)


def _checked(
    chunks: Iterator[tuple[SourceFile, list[Item]]], workers: int, batch_id: str, at: datetime
) -> Iterator[tuple[SourceFile, list[Item], tuple[list[Outcome], dict[Shape, str]]]]:
    """Every chunk with its records' own checks, in the order given: in this process (``workers`` 1) or spread
    over ``workers`` processes, with at most two chunks per worker read ahead (memory stays bounded)."""
    if workers <= 1:
        checker = _Checker(batch_id, at)
        for f, items in chunks:
            yield f, items, checker.chunk(f, items)
        return
    pool = process_pool(workers, preload=["ingest.bulk"], initializer=_start_worker, initargs=(batch_id, at))
    try:
        ahead: deque[tuple[SourceFile, list[Item], Future[tuple[list[Outcome], dict[Shape, str]]]]] = deque()
        for f, items in chunks:
            ahead.append((f, items, pool.submit(_check_chunk, f, items)))
            if len(ahead) > 2 * workers:
                f0, items0, done = ahead.popleft()
                yield f0, items0, done.result()
        while ahead:
            f0, items0, done = ahead.popleft()
            yield f0, items0, done.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _items(f: SourceFile) -> Iterator[Item]:
    """An NDJSON file's lines go to the workers as bytes; a CSV file's rows (a quoted cell may span lines) and a
    file named after no record type are read here."""
    if f.record_type is not None and f.fmt == "ndjson":
        return ndjson_lines(f)
    return read(f)


def _batched(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    while chunk := list(islice(items, size)):
        yield chunk


# -- the checks that need several records, and the files: in the main process ------------------------------


class _Slim:
    """A record checked in a worker, as the checks that need several records see it (uid, version and the fields
    they read), with its import-file lines, and where it was read (``file``, ``line``, ``raw``: what a reject
    names; the text is decoded again only for a reject)."""

    def __init__(self, rtype: str, outcome: tuple[str, int, tuple[Any, ...], Any], f: SourceFile, item: Item) -> None:
        self.__dict__.update(zip(CHECKED[rtype], outcome[2], strict=True))
        self.record_type, self.uid, self.record_version, self.out = rtype, outcome[0], outcome[1], outcome[3]
        self.f, self.item = f, item
        self.file, self.line = (item.file, item.line) if isinstance(item, RawRecord) else (f.name, item[0])

    @property
    def raw(self) -> str:
        return self.read().raw

    def read(self) -> RawRecord:
        return self.item if isinstance(self.item, RawRecord) else ndjson_record(self.f, *self.item)

    def record(self, context: dict[str, Any]) -> BaseRecord:
        """The record itself (checked again from what was read: needed only for a later version written online)."""
        parsed = parse_record(self.record_type, self.read(), context)
        assert not isinstance(parsed, list)
        return parsed.record


class _Files:
    """One CSV per node label and per relationship shape, header first, written as lines come."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.headers: dict[Shape, str] = {}
        self.open: dict[Shape, IO[str]] = {}
        self.agencies: set[str] = set()

    def layouts(self, headers: dict[Shape, str]) -> None:
        for shape, header in headers.items():
            if self.headers.setdefault(shape, header) != header:
                raise RuntimeError(f"two layouts for the import file of {shape}")

    def write(self, lines: Lines, source_system: str | None = None) -> None:
        for shape, line in zip(*lines, strict=True):
            if shape == PERSON_AGENCY and source_system not in self.agencies:
                continue  # the online path links a person record only to a known agency too
            fh = self.open.get(shape)
            if fh is None:
                name = f"node-{shape[1]}.csv" if shape[0] == "node" else f"rel-{'-'.join(shape)}.csv"
                fh = self.open[shape] = (self.root / name).open("w", encoding="utf-8", newline="")
                fh.write(self.headers[shape])
            fh.write(line)

    def close(self) -> list[str]:
        args = []
        for shape, fh in self.open.items():
            fh.close()
            args.append(f"--nodes={shape[1]}={fh.name}" if shape[0] == "node" else f"--relationships={fh.name}")
        return sorted(args, key=lambda a: not a.startswith("--nodes"))  # nodes first, each kind in opening order


@dataclass
class ImportFiles:
    """What the validation stage leaves for the import: the files (as neo4j-admin arguments) in ``root``, the
    later versions to write online after it, and the person records for the identity stage."""

    report: IngestReport
    root: Path
    args: list[str]
    late: dict[str, list[BaseRecord]]
    persons: list[str]


def write_import_files(
    files: Sequence[SourceFile],
    root: Path,
    *,
    batch_id: str,
    at: datetime,
    rejects: RejectsWriter,
    progress: bool | None = None,
    workers: int | None = None,
) -> ImportFiles:
    """Read and validate every record (each record's own checks in ``workers`` processes, default one per CPU;
    the checks that need several records here, chunk by chunk in file order) and write the import files.
    The files and rejects are the same, byte for byte and in the same order, whatever the number of workers."""
    report = IngestReport(batch_id=batch_id, files=[f.name for f in files])
    validator = Validator(None, now=at)
    validator.agencies |= set(vocabulary().forces)
    out = _Files(root)
    out.agencies = set(vocabulary().forces)
    render = _Render(batch_id, at.isoformat())
    agencies: dict[str, dict[str, Any]] = {
        code: {"code": code, "name": a.name, "kind": a.kind, "jurisdiction": a.jurisdiction,
               "source_system": "REFERENCE", "source_record_id": code}
        for code, a in vocabulary().forces.items()
    }  # fmt: skip
    persons: list[str] = []
    late: dict[str, list[BaseRecord]] = {}
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, sum(f.lines for f in files))
    chunks = ((f, chunk) for f in files for chunk in _batched(_items(f), CHUNK))
    try:
        for f, items, (outcomes, headers) in _checked(chunks, workers or os.cpu_count() or 1, batch_id, at):
            rtype = f.record_type
            counts = report.count(rtype or "unknown")
            out.layouts(headers)
            cands: list[Candidate] = []
            bad = 0
            for item, outcome in zip(items, outcomes, strict=True):
                if isinstance(outcome, list):
                    for rj in outcome:
                        rejects.write(rj)
                    report.rejects.extend(outcome)
                    bad += f.lines if rtype is None else 1
                    validator.note_rejected(outcome)
                    continue
                assert rtype is not None
                slim = _Slim(rtype, outcome, f, item)
                cands.append(Candidate(slim, slim))  # type: ignore[arg-type]
            counts.read += len(cands) + bad
            counts.rejected += bad
            bar.advance(len(items), rtype or "unknown")
            if rtype is None:
                continue
            # What earlier chunks accepted: a record already written to the import files that comes
            # again in a later version is written online after the import (the online path updates
            # a record to its later version), so the files never hold two versions of one record.
            seen = validator.accepted[rtype]
            before = {c.record.uid: seen[c.record.uid] for c in cands if c.record.uid in seen}
            accepted, cross = validator.check_chunk(rtype, cands)
            del cands
            for rj in cross:
                rejects.write(rj)
            report.rejects.extend(cross)
            counts.rejected += len({(r.file, r.line) for r in cross})
            keep: list[Any] = []  # the _Slim records the checks accepted
            for ok in accepted:
                why = not_mapped(rtype, ok)
                if why:
                    counts.skipped += 1
                    report.notes.append(f"{ok.uid}: {why}")
                else:
                    keep.append(ok)
            counts.loaded += len(keep)
            rec: Any
            for rec in dedupe_latest(keep):
                prior = before.get(rec.uid)
                if prior is not None:
                    if rec.record_version > prior:
                        late.setdefault(rtype, []).append(rec.record(validator.context))
                    continue
                if rtype == "agency":
                    agencies[rec.code] = rec.out
                    out.agencies.add(rec.code)
                    continue
                if rtype == "person":
                    persons.append(rec.uid)
                    out.write(rec.out, rec.source_system)
                else:
                    out.write(rec.out)
        for _code, agency in sorted(agencies.items()):
            render.shapes, render.out = [], []
            render.node("Agency", "code", agency)
            out.layouts(render.headers)
            out.write((tuple(render.shapes), tuple(render.out)))
    finally:
        bar.close()
        args = out.close()
    return ImportFiles(report, root, args, late, persons)


def _touched_later(late: dict[str, list[BaseRecord]]) -> list[str]:
    """The person records whose matching fields later versions written online may change: the persons
    themselves, and those their later addresses, involvements, outcomes and assessments name."""
    uids = {r.uid for r in late.get("person", [])}
    for rtype in ("address", "involvement", "outcome", "assessment"):
        uids |= {str(ref) for r in late.get(rtype, []) if (ref := getattr(r, "person_ref", None))}
    return sorted(uids)


def bulk_load(
    instance: Instance,
    paths: Sequence[Path | str],
    *,
    rejects_path: Path | str | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] = print,
    workdir: Path | None = None,
    resolver: Callable[[Database, Sequence[str]], object] | None = identity_exact.resolve,
    workers: int | None = None,
    match_offline: bool = False,
) -> IngestReport:
    """Validate, write import files, import offline into the empty local database, restart, apply schema,
    then run the identity stage ``resolver`` over every person record (exact identifiers by default; the
    probabilistic ``ingest.identity.resolve``; or None to leave it to ``spr resolve``). ``workers``: processes
    for the records' own checks (default one per CPU; the result is the same with any number).

    ``match_offline``: the probabilistic matching runs over the import files before the import
    (``ingest.identity.offline``), and the Persons, links, pairs and review items are imported with the
    records; ``resolver`` (the model's) then runs online only over the person records that later versions,
    written after the import, touch."""
    t0 = time.perf_counter()
    st = instance.status()
    if not st.installed or not st.configured:
        raise BulkImportError("--bulk needs the local Neo4j (`spr neo4j install`, `spr neo4j start`); "
                              "with NEO4J_URI set, load online without --bulk")  # fmt: skip
    info = ConnectionInfo(instance.bolt_uri("bolt"), "neo4j", instance.password(), "neo4j", True)
    # The import overwrites the database, so it must be empty: asked of the server, which is started for the
    # question when it is stopped (a stopped server's database may hold a whole register) and, when the
    # database holds data, stopped again as it was found.
    if not st.running:
        log("Starting the local Neo4j to check that its database is empty ...")
        instance.start(log=log)
    with Database.connect(info) as db:
        held = db.read(COUNT_DATA)[0]["n"]
    if held:
        if not st.running:
            instance.stop(log=log)
        raise BulkImportError(
            "--bulk is for the first load into an empty database, and this one holds data; "
            "load online (without --bulk): it is idempotent and resumable"
        )
    files = discover([Path(p) for p in paths])
    batch_id = batch_id_for(files)
    at = datetime.now(UTC)
    rejects = RejectsWriter(Path(rejects_path) if rejects_path else None)
    tmp = Path(tempfile.mkdtemp(prefix="spr-bulk-", dir=workdir))
    try:
        stage = write_import_files(
            files, tmp, batch_id=batch_id, at=at, rejects=rejects, progress=progress, workers=workers
        )
    finally:
        rejects.close()
    report, args, late, persons = stage.report, stage.args, stage.late, stage.persons
    report.rejects_file = str(rejects_path) if rejects_path else None

    log("Stopping the local Neo4j for the offline import ...")
    instance.stop(log=log)
    resolved: ResolveResult | None = None
    if match_offline and persons:
        from ingest.identity.offline import resolve_import_files

        log(f"Identity stage over {len(persons)} person record(s), in the import files ...")
        more, resolved = resolve_import_files(tmp, at=at, log=log)
        args = [*args, *more]
        args.sort(key=lambda a: not a.startswith("--nodes"))
    proc = instance.admin(
        ["database", "import", "full", "neo4j", "--overwrite-destination=true", f"--array-delimiter={ARRAY_DELIMITER}",
         "--skip-duplicate-nodes=false", "--bad-tolerance=0",
         f"--report-file={instance.home / 'logs' / 'import.report'}", *args]
    )  # fmt: skip
    if proc.returncode != 0:
        instance.start(log=log)
        raise BulkImportError(f"neo4j-admin database import failed:\n{(proc.stdout + proc.stderr)[-1500:]}")
    shutil.rmtree(tmp, ignore_errors=True)
    instance.start(log=log)
    with Database.connect(info) as db:
        log("Applying the schema (constraints and indexes are populated now) ...")
        apply_schema(db)
        for rtype in LOAD_ORDER:
            recs = dedupe_latest(late.get(rtype, []))
            if recs:
                log(f"Writing {len(recs)} later version(s) of {rtype} records online ...")
            for i in range(0, len(recs), DEFAULT_BATCH_SIZE):
                write_batch(db, rtype, recs[i : i + DEFAULT_BATCH_SIZE], batch_id=batch_id, at=at)
        if resolved is not None:
            report.persons_linked = resolved.linked
            touched = _touched_later(late)
            if resolver is not None and touched:  # later versions may change what the matching read
                log(f"Identity stage over {len(touched)} person record(s) changed after the import ...")
                report.persons_linked += int(getattr(resolver(db, touched), "linked", 0))
        elif resolver is not None and persons:  # as the online load calls it (ingest.pipeline)
            log(f"Identity stage over {len(persons)} person record(s) ...")
            report.persons_linked = int(getattr(resolver(db, persons), "linked", 0))
        total = report.total
        db.write(RECORD_BATCH, batch_id=batch_id, at=at, files=[f.path.name for f in files], read=total.read,
                 loaded=total.loaded, rejected=total.rejected)  # fmt: skip
    report.seconds = time.perf_counter() - t0
    return report
