"""The first national load into an empty local database, through ``neo4j-admin database import full``.

The same reading and validation as the online load (same rejects, same messages); the accepted records
become node and relationship CSV files with the same properties and provenance the online path writes,
the local server is stopped, the files imported, the server started again, the schema (constraints,
indexes, reference agencies) applied and the identity stage run online. Later loads use the online path.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, LiteralString

from graph_schema import vocabulary
from graph_schema.apply import apply_schema
from ingest import identity_exact
from ingest.pipeline import DEFAULT_BATCH_SIZE, _chunks, _Progress, batch_id_for
from ingest.reader import LOAD_ORDER, discover, read
from ingest.records import BaseRecord
from ingest.report import IngestReport, RejectsWriter
from ingest.validate import Candidate, Validator
from ingest.writes import NODE_PLANS, _row, dedupe_latest, not_mapped, write_batch
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance

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


class _Files:
    """One CSV per node label and per relationship shape, header first, written as rows come."""

    def __init__(self, root: Path, batch_id: str, at: str) -> None:
        self.root, self.batch_id, self.at = root, batch_id, at
        self.nodes: dict[str, tuple[IO[str], Any, list[str]]] = {}
        self.rels: dict[tuple[str, str, str], tuple[IO[str], Any, list[str]]] = {}
        self.agencies: set[str] = set()

    def _types(self, label: str, extra: Sequence[str]) -> dict[str, str]:
        declared = dict(_M.nodes[label].properties) if label in _M.nodes else {}
        return {**declared, **{k: "string" for k in extra if k not in declared}}

    def node(self, label: str, key: str, values: dict[str, Any]) -> None:
        if label not in self.nodes:
            types = self._types(label, list(values))
            # Every declared property and the provenance get a column, whichever row comes first.
            names = set(types) | set(values) | set(_M.provenance) | {"record_version"}
            cols = [key, *sorted(k for k in names if k != key)]
            header = [f"{key}:ID({label})"] + [_typed(c, types.get(c, "string")) for c in cols[1:]] + [":LABEL"]
            fh: IO[str] = (self.root / f"node-{label}.csv").open("w", encoding="utf-8", newline="")
            w = csv.writer(fh)
            w.writerow(header)
            self.nodes[label] = (fh, w, cols)
        fh, w, cols = self.nodes[label]
        w.writerow([_cell(values.get(c)) for c in cols] + [label])

    def rel(self, rel: str, start: tuple[str, str], end: tuple[str, str], values: dict[str, Any]) -> None:
        shape = (rel, start[0], end[0])
        if shape not in self.rels:
            declared = dict(_M.relationships[rel].properties)
            types = {"record_version": "integer", **declared, **{k: "string" for k in values if k not in declared}}
            cols = sorted(values)
            header = [f":START_ID({start[0]})", f":END_ID({end[0]})", ":TYPE"]
            header += [_typed(c, types.get(c, "string")) for c in cols]
            fh: IO[str] = (self.root / f"rel-{rel}-{start[0]}-{end[0]}.csv").open("w", encoding="utf-8", newline="")
            w = csv.writer(fh)
            w.writerow(header)
            self.rels[shape] = (fh, w, cols)
        fh, w, cols = self.rels[shape]
        w.writerow([start[1], end[1], rel] + [_cell(values.get(c)) for c in cols])

    def provenance(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "source_system": row["source_system"],
            "source_record_id": row["source_record_id"],
            "ingest_batch": self.batch_id,
            "ingested_at": self.at,
        }

    def close(self) -> list[str]:
        args = []
        for label, (fh, _, _) in self.nodes.items():
            fh.close()
            args.append(f"--nodes={label}={fh.name}")
        for (_, _, _), (fh, _, _) in self.rels.items():
            fh.close()
            args.append(f"--relationships={fh.name}")
        return args


def _typed(col: str, kind: str) -> str:
    if col == "record_version":
        return "record_version:long"
    return f"{col}:{CSV_TYPES.get(kind, 'string')}"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ARRAY_DELIMITER.join(str(x) for x in v)
    return str(v)


def _emit(files: _Files, rtype: str, row: dict[str, Any]) -> None:
    """The nodes and relationships one validated record becomes: the same as the online path writes."""
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
            if row["source_system"] in files.agencies:  # the online path links only to a known agency too
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


def bulk_load(
    instance: Instance,
    paths: Sequence[Path | str],
    *,
    rejects_path: Path | str | None = None,
    progress: bool | None = None,
    log: Callable[[str], None] = print,
    workdir: Path | None = None,
    resolver: Callable[[Database, Sequence[str]], object] | None = identity_exact.resolve,
) -> IngestReport:
    """Validate, write import files, import offline into the empty local database, restart, apply schema,
    then run the identity stage ``resolver`` over every person record (exact identifiers by default; the
    probabilistic ``ingest.identity.resolve``; or None to leave it to ``spr resolve``)."""
    t0 = time.perf_counter()
    st = instance.status()
    if not st.installed or not st.configured:
        raise BulkImportError("--bulk needs the local Neo4j (`spr neo4j install`, `spr neo4j start`); "
                              "with NEO4J_URI set, load online without --bulk")  # fmt: skip
    info = ConnectionInfo(instance.bolt_uri("bolt"), "neo4j", instance.password(), "neo4j", True)
    if st.running:
        with Database.connect(info) as db:
            if db.read(COUNT_DATA)[0]["n"]:
                raise BulkImportError(
                    "--bulk is for the first load into an empty database, and this one holds data; "
                    "load online (without --bulk): it is idempotent and resumable"
                )
    files = discover([Path(p) for p in paths])
    batch_id = batch_id_for(files)
    at = datetime.now(UTC)
    report = IngestReport(batch_id=batch_id, files=[f.name for f in files])
    rejects = RejectsWriter(Path(rejects_path) if rejects_path else None)
    report.rejects_file = str(rejects_path) if rejects_path else None
    validator = Validator(None, now=at)
    validator.agencies |= set(vocabulary().forces)
    tmp = Path(tempfile.mkdtemp(prefix="spr-bulk-", dir=workdir))
    out = _Files(tmp, batch_id, at.isoformat())
    out.agencies = set(vocabulary().forces)
    agencies: dict[str, dict[str, Any]] = {
        code: {"code": code, "name": a.name, "kind": a.kind, "jurisdiction": a.jurisdiction,
               "source_system": "REFERENCE", "source_record_id": code}
        for code, a in vocabulary().forces.items()
    }  # fmt: skip
    persons: list[str] = []
    bar = _Progress(sys.stderr.isatty() if progress is None else progress, sum(f.lines for f in files))
    late: dict[str, list[BaseRecord]] = {}
    try:
        for f in files:
            rtype = f.record_type
            counts = report.count(rtype or "unknown")
            for chunk in _chunks(read(f), CHUNK):
                cands: list[Candidate] = []
                for raw in chunk:
                    if raw.error is not None:
                        rejects.write(raw.error)
                        report.rejects.append(raw.error)
                        counts.read += f.lines if rtype is None else 1
                        counts.rejected += f.lines if rtype is None else 1
                        continue
                    counts.read += 1
                    assert rtype is not None
                    parsed = validator.parse(rtype, raw)
                    if isinstance(parsed, list):
                        for rj in parsed:
                            rejects.write(rj)
                        report.rejects.extend(parsed)
                        counts.rejected += 1
                    else:
                        cands.append(parsed)
                bar.advance(len(chunk), rtype or "unknown")
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
                keep: list[BaseRecord] = []
                for rec in accepted:
                    why = not_mapped(rtype, rec)
                    if why:
                        counts.skipped += 1
                        report.notes.append(f"{rec.uid}: {why}")
                    else:
                        keep.append(rec)
                counts.loaded += len(keep)
                for rec in dedupe_latest(keep):
                    prior = before.get(rec.uid)
                    if prior is not None:
                        if rec.record_version > prior:
                            late.setdefault(rtype, []).append(rec)
                        continue
                    row = _row(rtype, rec)
                    if rtype == "agency":
                        agencies[row["key"]] = {
                            **row["props"], "code": row["key"], "record_version": row["record_version"],
                            **out.provenance(row),
                        }  # fmt: skip
                        out.agencies.add(row["key"])
                        continue
                    if rtype == "person":
                        persons.append(row["key"])
                    _emit(out, rtype, row)
        for _code, agency in sorted(agencies.items()):
            out.node("Agency", "code", agency)
    finally:
        bar.close()
        rejects.close()
    args = out.close()

    log("Stopping the local Neo4j for the offline import ...")
    instance.stop(log=log)
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
        if resolver is not None and persons:  # as the online load calls it (ingest.pipeline)
            log(f"Identity stage over {len(persons)} person record(s) ...")
            report.persons_linked = int(getattr(resolver(db, persons), "linked", 0))
        total = report.total
        db.write(RECORD_BATCH, batch_id=batch_id, at=at, files=[f.path.name for f in files], read=total.read,
                 loaded=total.loaded, rejected=total.rejected)  # fmt: skip
    report.seconds = time.perf_counter() - t0
    return report
