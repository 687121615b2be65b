"""Identity resolution inside the bulk path: a first load's person records matched from the import files.

``spr ingest --bulk`` writes every accepted record to import files for ``neo4j-admin database import``.
Resolving the records online afterwards means reading 5.6 million of them back over Bolt and writing
5.6 million links a transaction at a time (40 minutes at national scale: docs/benchmarks.md). Here the
records are read from the import files in DuckDB, scored and clustered with the same model and the same
code as ``resolve`` over the whole register (``ingest.identity.graph``), and the outcome becomes more import
files: the Persons, their RESOLVES_TO links, the scored pairs (MATCHES), the open review items (with their
CONCERNS links), and each person record's blocking keys (filled into the person records' own file). The
import then builds the same graph an online resolution would; tests/ingest/test_bulk.py compares the two.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph_schema import vocabulary
from ingest.bulk import CSV_TYPES
from ingest.identity.config import IdentitySettings, identity_settings
from ingest.identity.duck import connect
from ingest.identity.graph import Current, Edge, ResolveResult, _pnc, plan
from ingest.identity.keys import KEYS, VERSION, key_version
from ingest.identity.matching import TrainedModel, load_model, score
from ingest.identity.prepare import RAW_COLUMNS, SCHEMA, prepare_duckdb

_M = vocabulary().model
PR, P = _M.label("PersonRecord"), _M.label("Person")
REVIEW, RT = _M.label("ReviewItem"), _M.rel_type("RESOLVES_TO")
MATCHES, CONCERNS = _M.rel_type("MATCHES"), _M.rel_type("CONCERNS")
PARTS = {_M.rel_type("SUSPECT_IN"): "S", _M.rel_type("VICTIM_IN"): "V", _M.rel_type("WITNESS_IN"): "W"}


class OfflineError(RuntimeError):
    """The import files are not as the bulk path writes them; the message names the file."""


def _node_file(root: Path, label: str) -> Path:
    return root / f"node-{label}.csv"


def _rel_file(root: Path, rel: str, start: str, end: str) -> Path:
    return root / f"rel-{rel}-{start}-{end}.csv"


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


def _source(path: Path, width: int) -> str:
    """An import file's rows, every column as text exactly as written (columns c0, c1, ...): the import files'
    quoting is the csv module's."""
    quoted = str(path).replace("'", "''")
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    return (f"read_csv('{quoted}', header = true, delim = ',', quote = '\"', escape = '\"', "
            f"auto_detect = false, columns = {{{cols}}})")  # fmt: skip


def _read(path: Path) -> str:
    """A DuckDB table expression over one import file, its columns named without their types."""
    names = _header(path)
    select = ", ".join(f'c{i} AS "{_base(n)}"' for i, n in enumerate(names) if _base(n))
    return f"(SELECT {select} FROM {_source(path, len(names))})"  # noqa: S608


def _base(column: str) -> str:
    """A header cell's property name: ``uid:ID(PersonRecord)`` -> uid, ``:START_ID(X)`` -> start, ``:END_ID(X)``
    -> end, ``:TYPE``/``:LABEL`` -> '' (not read)."""
    name, _, kind = column.partition(":")
    if name:
        return name
    return {"START_ID": "start", "END_ID": "end"}.get(kind.split("(")[0], "")


# A list property as the import file holds it ("a|b"), as ``prepare._as_list`` makes a list of it.
_LIST = (
    "nullif(list_filter(list_transform(string_split({x}, '|'), lambda v: regexp_replace(v, '^\\s+|\\s+$', '', 'g')), "
    "lambda v: v <> ''), [])"
)


def _raw_sql(root: Path) -> str:
    """The raw frame (``RAW_COLUMNS``) of the person records in the import files: what READ_RECORDS reads from
    the graph (the latest address by uid, the incidents with the part played) and ``graph._raw`` makes of it."""
    people = _node_file(root, PR)
    if not people.exists():
        raise OfflineError(f"{people}: no person records to resolve")
    events = []
    for rel, part in PARTS.items():
        f = _rel_file(root, rel, PR, "Incident")
        if f.exists():
            events.append(f"SELECT start AS uid, \"end\" || '#{part}' AS k FROM {_read(f)}")  # noqa: S608
    has, outcome_for = (
        _rel_file(root, "HAS_OUTCOME", PR, "Outcome"),
        _rel_file(root, "OUTCOME_FOR", "Outcome", "Incident"),
    )
    if has.exists() and outcome_for.exists():
        events.append(f"SELECT h.start AS uid, o.\"end\" || '#S' AS k FROM {_read(has)} h "  # noqa: S608
                      f"JOIN {_read(outcome_for)} o ON o.start = h.\"end\"")  # fmt: skip
    assessment = _node_file(root, "Assessment")
    assesses = _rel_file(root, "ASSESSES", "Assessment", PR)
    assessment_for = _rel_file(root, "ASSESSMENT_FOR", "Assessment", "Incident")
    if assessment.exists() and assesses.exists() and assessment_for.exists():
        events.append(f"SELECT s.\"end\" AS uid, f.\"end\" || '#V' AS k FROM {_read(assesses)} s "  # noqa: S608
                      f"JOIN {_read(assessment)} a ON a.uid = s.start AND a.kind IN ('DASH', 'DARA') "
                      f"JOIN {_read(assessment_for)} f ON f.start = s.start")  # fmt: skip
    events_sql = " UNION ALL ".join(events) or "SELECT NULL::VARCHAR AS uid, NULL::VARCHAR AS k WHERE false"
    lives, address = _rel_file(root, "LIVES_AT", PR, "Address"), _node_file(root, "Address")
    if lives.exists() and address.exists():
        address_sql = (f"SELECT l.start AS uid, a.postcode, a.line1, a.town FROM {_read(lives)} l "  # noqa: S608
                       f"JOIN {_read(address)} a ON a.uid = l.\"end\" "
                       "QUALIFY row_number() OVER (PARTITION BY l.start ORDER BY a.uid DESC) = 1")  # fmt: skip
    else:
        address_sql = "SELECT NULL::VARCHAR AS uid, NULL AS postcode, NULL AS line1, NULL AS town WHERE false"
    cols = {c: f"p.{c}" for c in RAW_COLUMNS}
    cols |= {"aliases": _LIST.format(x="p.aliases"), "other_ids": _LIST.format(x="p.other_ids"),
             "postcode": "coalesce(p.postcode, a.postcode)",
             "address_line1": "CASE WHEN p.postcode IS NULL OR p.postcode = a.postcode THEN a.line1 END",
             "town": "a.town", "events": "ev.events"}  # fmt: skip
    return (f"WITH ev AS (SELECT uid, list(DISTINCT k) AS events FROM ({events_sql}) WHERE k IS NOT NULL "  # noqa: S608
            f"GROUP BY uid), a AS ({address_sql}) "
            f"SELECT {', '.join(f'{v} AS {k}' for k, v in cols.items())} FROM {_read(people)} p "
            "LEFT JOIN ev ON ev.uid = p.uid LEFT JOIN a ON a.uid = p.uid")  # fmt: skip


def _key_sql(prepared: str) -> str:
    """Each record's stored blocking keys (``keys.key_rows``) from the prepared frame, in DuckDB."""
    keys = []
    for prop, parts in KEYS.items():
        present = " AND ".join(f"{c} IS NOT NULL" for c in parts)
        joined = " || '|' || ".join(f"CAST({c} AS VARCHAR)" for c in parts)
        keys.append(f"CASE WHEN {present} THEN {joined} END AS {prop}")
    return f"SELECT unique_id AS uid, {', '.join(keys)} FROM {prepared}"  # noqa: S608


def _node_header(label: str, key: str, cols: Sequence[str]) -> list[str]:
    declared = _M.nodes[label].properties
    return [f"{key}:ID({label})", *(f"{c}:{CSV_TYPES[declared[c]]}" for c in cols), ":LABEL"]


def _rel_header(rel: str, start: str, end: str, cols: Sequence[str]) -> list[str]:
    declared = _M.relationships[rel].properties
    return [f":START_ID({start})", f":END_ID({end})", ":TYPE", *(f"{c}:{CSV_TYPES[declared[c]]}" for c in cols)]


class _Writer:
    """One more import file, written with the csv module as the bulk path writes its own."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.fh = path.open("w", encoding="utf-8", newline="")
        self.csv = csv.writer(self.fh)
        self.csv.writerow(header)
        self.rows = 0

    def row(self, cells: Sequence[Any]) -> None:
        self.csv.writerow(["" if c is None else c for c in cells])
        self.rows += 1

    def close(self) -> None:
        self.fh.close()


def resolve_import_files(
    root: Path,
    *,
    at: datetime,
    model: TrainedModel | None = None,
    model_path: Path | None = None,
    cfg: IdentitySettings | None = None,
    threads: int | None = None,
    log: Callable[[str], None] = lambda _m: None,
) -> tuple[list[str], ResolveResult]:
    """Resolve the person records of the import files in ``root`` (``ingest.bulk.write_import_files``) for an
    empty register: fill their blocking keys in and write the Persons, links, pairs and review items as more
    import files. Returns the ``neo4j-admin`` arguments of the new files, and what was resolved."""
    cfg = cfg or identity_settings()
    model = model or load_model(model_path)
    result = ResolveResult(model_version=model.version)
    t = time.perf_counter()

    def clock(step: str) -> None:
        nonlocal t
        now = time.perf_counter()
        result.seconds[step] = round(now - t, 3)
        log(f"identity (in the import files): {step} took {now - t:.1f} s")
        t = now

    con = connect(threads)
    try:
        con.execute(f"CREATE TEMP TABLE __import_raw AS {_raw_sql(root)}")
        prepare_duckdb(con, "__import_raw", "__prepared")
        table = con.sql("SELECT * FROM __prepared").to_arrow_table().cast(SCHEMA)
        current: dict[str, Current] = {}
        for uid, source, pnc in con.execute("SELECT uid, source_system, pnc_id FROM __import_raw").fetchall():
            current[uid] = Current(source or uid.split("/", 1)[0], _pnc(pnc))
        result.records = result.read_records = len(current)
        clock("read")
        result.keys_written = _fill_keys(con, root)
        clock("store keys")
    finally:
        con.close()
    log(f"identity (in the import files): scoring {len(current)} person record(s) ...")
    scored = score(table, model, new_ids=None, min_probability=cfg.thresholds.review, threads=threads, cfg=cfg)
    del table
    clock("score")
    result.scored_records = len(current)
    edges: list[Edge] = []
    cols = ["probability", "match_weight", "band", "model_version", "scored_at", "explanation"]
    pairs = _Writer(_rel_file(root, MATCHES, PR, PR), _rel_header(MATCHES, PR, PR, cols))
    stamp = at.isoformat()
    try:
        for batch in scored.explained_batches(cfg.thresholds.review):
            for p in batch:
                a, b, prob, weight = p["left"], p["right"], p["probability"], p["match_weight"]
                edges.append((a, b, prob, weight))
                explanation = json.dumps(p["explanation"], separators=(",", ":"), default=str)
                pairs.row([a, b, MATCHES, prob, weight, cfg.band(prob), model.version, stamp, explanation])
    finally:
        pairs.close()
        scored.close()
    result.pairs_stored = len(edges)
    clock("write pairs")
    pl = plan(sorted(current), current, edges, {}, cfg=cfg, version=model.version, existing=lambda _ids: set())
    if pl.events or pl.retire:  # nothing is resolved before a first load
        raise OfflineError("identity events in a first resolution: the import files hold Persons already")
    for name in ("linked", "persons_created", "merges", "splits", "review_open", "refused"):
        setattr(result, name, getattr(pl.result, name))
    clock("cluster")
    args = [f"--relationships={pairs.path}", *_write_persons(root, pl.link_rows, stamp, threads)]
    args += _write_reviews(root, pl.review_rows, stamp)
    clock("write links")
    result.affected_person_ids = sorted(set(pl.ids.values()))
    return args, result


def _fill_keys(con: Any, root: Path) -> int:
    """Write each person record's blocking keys and their version into its own import file (the bulk path
    leaves the columns empty): the file is read, joined with the keys and written again, header unchanged."""
    path = _node_file(root, PR)
    names = _header(path)
    bases = [_base(n) for n in names]
    for prop in (*KEYS, VERSION):
        if prop not in bases:
            raise OfflineError(f"{path}: no {prop} column")
    con.execute(f"CREATE TEMP TABLE __keys AS {_key_sql('__prepared')}")
    uid_col = f"c{bases.index('uid')}"
    select = []
    for i, b in enumerate(bases):
        if b in KEYS:
            select.append(f"k.{b}")
        elif b == VERSION:
            select.append("?")
        else:
            select.append(f"f.c{i}")
    body = path.with_suffix(".body")
    quoted = str(body).replace("'", "''")
    con.execute(
        f"COPY (SELECT {', '.join(select)} FROM {_source(path, len(names))} f "  # noqa: S608
        f"LEFT JOIN __keys k ON k.uid = f.{uid_col}) TO '{quoted}' "
        "(FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"')",
        [key_version()],
    )
    n = int(con.execute("SELECT count(*) FROM __keys").fetchone()[0])
    with path.open("rb") as fh:
        header = fh.readline().rstrip(b"\r\n") + b"\n"  # DuckDB ends its lines with \n: so does the header
    with path.open("wb") as out, body.open("rb") as src:
        out.write(header)
        shutil.copyfileobj(src, out, 1 << 22)
    body.unlink()
    return n


def _write_persons(root: Path, link_rows: list[dict[str, Any]], stamp: str, threads: int | None) -> list[str]:
    """The Persons (their names, date of birth and sex taken as REFRESH_PERSONS takes them from their records)
    and the RESOLVES_TO links."""
    cols = ["probability", "method", "decided_by", "model_version", "decided_at"]
    links = _Writer(_rel_file(root, RT, PR, P), _rel_header(RT, PR, P, cols))
    try:
        for r in link_rows:
            links.row([r["uid"], r["person_id"], RT, r["probability"], r["method"], r["decided_by"],
                       r["model_version"], stamp])  # fmt: skip
    finally:
        links.close()
    table = pa.table({"uid": [r["uid"] for r in link_rows], "person_id": [r["person_id"] for r in link_rows]})
    persons = _node_file(root, P)
    header = _node_header(P, "person_id", ["created_at", "display_name", "dob", "sex"])
    body = persons.with_suffix(".body")
    con = connect(threads)
    try:
        con.register("__links", table)
        quoted = str(body).replace("'", "''")
        con.execute(
            f"COPY (SELECT l.person_id, ?, "  # noqa: S608
            "first(trim(coalesce(r.first_name || ' ', '') || r.last_name) ORDER BY r.uid), "
            "first(r.dob ORDER BY r.uid) FILTER (WHERE r.dob IS NOT NULL), "
            "coalesce(first(r.sex ORDER BY r.uid) FILTER (WHERE r.sex IN ('M', 'F')), first(r.sex ORDER BY r.uid)), "
            f"'{P}' FROM __links l JOIN {_read(_node_file(root, PR))} r ON r.uid = l.uid "
            f"GROUP BY l.person_id) TO '{quoted}' (FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', ESCAPE '\"')",
            [stamp],
        )
    finally:
        con.close()
    with persons.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerow(header)
    with persons.open("ab") as out, body.open("rb") as src:
        shutil.copyfileobj(src, out, 1 << 22)
    body.unlink()
    return [f"--nodes={P}={persons}", f"--relationships={links.path}"]


def _write_reviews(root: Path, review_rows: list[dict[str, Any]], stamp: str) -> list[str]:
    """The open review items and their CONCERNS links to the two records of each pair."""
    if not review_rows:
        return []
    cols = ["created_at", "updated_at", "left_uid", "right_uid", "status", "probability", "match_weight",
            "model_version", "reason"]  # fmt: skip
    items = _Writer(_node_file(root, REVIEW), _node_header(REVIEW, "review_id", cols))
    concerns = _Writer(_rel_file(root, CONCERNS, REVIEW, PR), _rel_header(CONCERNS, REVIEW, PR, []))
    try:
        for r in review_rows:
            items.row([r["review_id"], stamp, stamp, r["left"], r["right"], "OPEN", r["probability"], r["match_weight"],
                       r["model_version"], r["reason"], REVIEW])  # fmt: skip
            concerns.row([r["review_id"], r["left"], CONCERNS])
            concerns.row([r["review_id"], r["right"], CONCERNS])
    finally:
        items.close()
        concerns.close()
    return [f"--nodes={REVIEW}={items.path}", f"--relationships={concerns.path}"]
