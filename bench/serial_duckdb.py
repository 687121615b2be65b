"""The serial sweep (campaign and MATAC definitions) in Neo4j against the same computation in DuckDB over
the same records. Writes the section "## Serial sweep: Neo4j and DuckDB" of docs/benchmarks.md.

    .venv/bin/python -m bench.serial_duckdb --scale demo [--runs 5] [--as-of 2026-04-30] [--write-docs]
    NEO4J_URI=... NEO4J_USER=... NEO4J_PASSWORD=... .venv/bin/python -m bench.serial_duckdb --existing

What an analyst with only a relational tool would do: take the tables out of the register once (person
records with their resolved person, persons, incidents, who was suspect or victim in each, outcomes,
orders and the links between them), then compute both definitions in SQL. The extract goes through the
driver with parameterised Cypher, page by page in key order (memory stays bounded at millions of rows),
into Parquet files; its time is reported but is not part of the comparison. Then, in the same run and on
the same server, each is timed ``--runs`` times (after one untimed warm-up): the register's own sweep
functions (``queries.definitions.find_serial_campaign`` / ``find_serial_matac`` over everyone) and the
SQL below over the Parquet files (DuckDB, threads limited to the machine's cores, and once more on one
thread). Both must give the same people with the same ``first_met``; every difference is printed.
DuckDB's memory is capped (``--memory-limit``, default 4GB; it spills to disk beyond), and ``--out DIR``
keeps the Parquet files.

The definitions' parameters come from graph_schema/vocabulary (``serial_campaign_params`` and
``serial_matac_params``, the same functions the Cypher definitions are called with), never from here.

``--scale tiny|demo`` (the default when no server is configured) starts a throwaway local Neo4j, loads a
generated scale and links every person record to its true person (identity resolution is measured on
its own). ``--existing`` (or NEO4J_URI set) reads the configured server as it is and never writes to it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, LiteralString

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from neo4j import ManagedTransaction

from graph_schema.model import vocabulary
from queries.definitions import (
    find_serial_campaign,
    find_serial_matac,
    serial_campaign_params,
    serial_matac_params,
)
from queries.models import AsOf
from spr.db import Database

SECTION = "## Serial sweep: Neo4j and DuckDB"
DEFAULT_AS_OF = date(2026, 4, 30)  # the end-to-end benchmark's sweep date
PAGE = 20_000

_M = vocabulary().model
PERSON, RECORD, INCIDENT = _M.label("Person"), _M.label("PersonRecord"), _M.label("Incident")
OUTCOME, ORDER = _M.label("Outcome"), _M.label("Order")
RESOLVES_TO, SUSPECT_IN, VICTIM_IN = _M.rel_type("RESOLVES_TO"), _M.rel_type("SUSPECT_IN"), _M.rel_type("VICTIM_IN")
HAS_OUTCOME, OUTCOME_FOR, AGAINST = _M.rel_type("HAS_OUTCOME"), _M.rel_type("OUTCOME_FOR"), _M.rel_type("AGAINST")


def _q(text: str) -> LiteralString:
    # Built only from the schema-checked names above and fixed text; values travel as parameters.
    return text


# ---------------------------------------------------------------------------------------------------
# 1. The extract: one page of nodes in key order per query, each node with the links the tables need.
#    Dates travel as ISO strings and instants as microseconds since the epoch (cheap for the driver);
#    Arrow turns them into date32 and timestamp columns.
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extract:
    """One paged read: its Cypher (paging over one label's key, returned first) and how a row becomes rows of
    each table."""

    query: LiteralString
    explode: Callable[[list[Any]], dict[str, list[tuple[Any, ...]]]]  # a row's values, in RETURN order


TIMESTAMP = pa.timestamp("us", tz="UTC")
SCHEMAS: dict[str, pa.Schema] = {
    "persons": pa.schema([("person_id", pa.string()), ("dob", pa.date32())]),
    "records": pa.schema([("uid", pa.string()), ("person_id", pa.string()), ("dob", pa.date32())]),
    "incidents": pa.schema(
        [
            ("uid", pa.string()),
            ("occurred_at", TIMESTAMP),  # the instant, for "reported before it occurred"
            ("reported_at", TIMESTAMP),
            ("occurred_on", pa.date32()),  # the date as recorded (date(occurred_at) in its own zone)
            ("reported_on", pa.date32()),
        ]
    ),
    "involvements": pa.schema([("incident_uid", pa.string()), ("record_uid", pa.string()), ("role", pa.string())]),
    "outcomes": pa.schema(
        [("uid", pa.string()), ("kind", pa.string()), ("date", pa.date32()), ("offence_code", pa.string())]
    ),
    "record_outcomes": pa.schema([("record_uid", pa.string()), ("outcome_uid", pa.string())]),
    "outcome_incidents": pa.schema([("outcome_uid", pa.string()), ("incident_uid", pa.string())]),
    "orders": pa.schema(
        [("uid", pa.string()), ("order_type", pa.string()), ("start_date", pa.date32()), ("end_date", pa.date32())]
    ),
    "order_subjects": pa.schema([("order_uid", pa.string()), ("record_uid", pa.string())]),
}

_MICROS = "{0}.epochSeconds * 1000000 + {0}.nanosecond / 1000"

EXTRACTS: list[Extract] = [
    Extract(
        _q(
            f"MATCH (p:{PERSON}) WHERE p.person_id > $after WITH p ORDER BY p.person_id LIMIT $limit "
            "RETURN p.person_id AS key, toString(p.dob) AS dob"
        ),
        lambda v: {"persons": [(v[0], v[1])]},
    ),
    Extract(
        _q(
            f"MATCH (r:{RECORD}) WHERE r.uid > $after WITH r ORDER BY r.uid LIMIT $limit "
            "RETURN r.uid AS key, toString(r.dob) AS dob, "
            f"[(r)-[:{RESOLVES_TO}]->(p:{PERSON}) | p.person_id] AS persons"
        ),
        lambda v: {"records": [(v[0], p, v[1]) for p in v[2] or [None]]},
    ),
    Extract(
        _q(
            f"MATCH (i:{INCIDENT}) WHERE i.uid > $after WITH i ORDER BY i.uid LIMIT $limit "
            f"RETURN i.uid AS key, {_MICROS.format('i.occurred_at')} AS occurred_at, "
            f"{_MICROS.format('i.reported_at')} AS reported_at, "
            "toString(date(i.occurred_at)) AS occurred_on, toString(date(i.reported_at)) AS reported_on, "
            f"[(i)<-[x:{SUSPECT_IN}|{VICTIM_IN}]-(r:{RECORD}) | [r.uid, type(x)]] AS people"
        ),
        lambda v: {
            "incidents": [(v[0], v[1], v[2], v[3], v[4])],
            "involvements": [(v[0], uid, role) for uid, role in v[5]],
        },
    ),
    Extract(
        _q(
            f"MATCH (o:{OUTCOME}) WHERE o.uid > $after WITH o ORDER BY o.uid LIMIT $limit "
            "RETURN o.uid AS key, o.kind AS kind, toString(o.date) AS date, o.offence_code AS offence_code, "
            f"[(o)<-[:{HAS_OUTCOME}]-(r:{RECORD}) | r.uid] AS records, "
            f"[(o)-[:{OUTCOME_FOR}]->(i:{INCIDENT}) | i.uid] AS incidents"
        ),
        lambda v: {
            "outcomes": [(v[0], v[1], v[2], v[3])],
            "record_outcomes": [(uid, v[0]) for uid in v[4]],
            "outcome_incidents": [(v[0], uid) for uid in v[5]],
        },
    ),
    Extract(
        _q(
            f"MATCH (o:{ORDER}) WHERE o.uid > $after WITH o ORDER BY o.uid LIMIT $limit "
            "RETURN o.uid AS key, o.order_type AS order_type, toString(o.start_date) AS start_date, "
            f"toString(o.end_date) AS end_date, [(o)-[:{AGAINST}]->(r:{RECORD}) | r.uid] AS against"
        ),
        lambda v: {
            "orders": [(v[0], v[1], v[2], v[3])],
            "order_subjects": [(v[0], uid) for uid in v[4]],
        },
    ),
]


def _batch(table: str, rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
    schema = SCHEMAS[table]
    columns = []
    for k, f in enumerate(schema):
        values = [row[k] for row in rows]
        if f.type == pa.date32():
            columns.append(pa.array(values, pa.string()).cast(pa.date32()))
        elif f.type == TIMESTAMP:
            columns.append(pa.array(values, pa.int64()).cast(TIMESTAMP))
        else:
            columns.append(pa.array(values, f.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _pages(db: Database, query: LiteralString, page: int) -> Iterator[list[list[Any]]]:
    """The query's rows a page at a time, each page one read transaction; rows as values, not dicts (turning
    every row into a dict costs as much as receiving it)."""

    def one(after: str) -> list[list[Any]]:
        def work(tx: ManagedTransaction) -> list[list[Any]]:
            return [r.values() for r in tx.run(query, after=after, limit=page)]

        return db.execute_read(work)

    after = ""
    while True:
        rows = one(after)
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def export(db: Database, out: Path, page: int = PAGE) -> dict[str, int]:
    """Write the tables both definitions read to ``out/<table>.parquet``; rows per table.

    Each query pages over one label in key order (``WHERE key > $after ORDER BY key LIMIT $limit``: an
    index seek per page), so neither the server nor this process holds more than a page at a time. The
    pages are separate read transactions: run it on a register that is not being written to.
    """
    out.mkdir(parents=True, exist_ok=True)
    writers = {t: pq.ParquetWriter(out / f"{t}.parquet", s) for t, s in SCHEMAS.items()}
    counts = dict.fromkeys(SCHEMAS, 0)
    try:
        for ex in EXTRACTS:
            for rows in _pages(db, ex.query, page):
                tables: dict[str, list[tuple[Any, ...]]] = {}
                for row in rows:
                    for t, new in ex.explode(row).items():
                        tables.setdefault(t, []).extend(new)
                for t, trows in tables.items():
                    if trows:
                        writers[t].write_batch(_batch(t, trows))
                        counts[t] += len(trows)
    finally:
        for w in writers.values():
            w.close()
    return counts


# ---------------------------------------------------------------------------------------------------
# 2. The two definitions in SQL. Same rules as queries/cypher/find_serial_campaign.cypher and
#    find_serial_matac.cypher, read as tables; parameters are the definitions' own ($name below).
# ---------------------------------------------------------------------------------------------------

_PAIRS = """
WITH inc AS (  -- an incident counts from the later of occurred and reported; one with neither never counts
    SELECT uid,
           CASE WHEN occurred_at IS NULL THEN reported_on
                WHEN reported_at IS NULL OR reported_at < occurred_at THEN occurred_on
                ELSE reported_on END AS known_on,
           coalesce(occurred_on, reported_on) AS occurred_on
    FROM incidents
),
involved AS (  -- person records in incidents, through their resolved person
    SELECT x.incident_uid, x.role, r.person_id, r.dob
    FROM involvements x JOIN records r ON r.uid = x.record_uid
    WHERE r.person_id IS NOT NULL
),
pairs AS (  -- suspect person, victim person (never the suspect), incident, known by $as_of
    SELECT s.person_id AS pid, s.dob AS record_dob, v.person_id AS vid, i.uid AS iuid, i.known_on, i.occurred_on
    FROM involved s
    JOIN involved v ON v.incident_uid = s.incident_uid AND v.role = $victim_in
    JOIN inc i ON i.uid = s.incident_uid
    WHERE s.role = $suspect_in AND v.person_id <> s.person_id
      AND i.known_on IS NOT NULL AND i.known_on <= $as_of
)"""

CAMPAIGN_SQL = (
    _PAIRS  # noqa: S608 (fixed text only, no values)
    + """,
victims AS (  -- each victim becomes known on the first incident naming them
    SELECT pid, vid, min(known_on) AS known_on FROM pairs GROUP BY pid, vid
),
victims_met AS (  -- the day the min_victims-th victim became known
    SELECT pid, known_on AS victims_met_on
    FROM (SELECT pid, known_on, row_number() OVER (PARTITION BY pid ORDER BY known_on, vid) AS n FROM victims)
    WHERE n = CAST($min_victims AS INTEGER)
),
qualifiers AS (  -- DA/stalking conviction, caution or acquittal; or a qualifying order from its start date
    SELECT r.person_id AS pid, o.date AS d
    FROM outcomes o
    JOIN record_outcomes ro ON ro.outcome_uid = o.uid
    JOIN records r ON r.uid = ro.record_uid
    WHERE list_contains(CAST($qualifying_outcomes AS VARCHAR[]), o.kind) AND o.date <= $as_of
      AND (list_contains(CAST($da_offence_codes AS VARCHAR[]), o.offence_code)
           OR o.uid IN (SELECT outcome_uid FROM outcome_incidents))
    UNION ALL
    SELECT r.person_id, ord.start_date
    FROM orders ord
    JOIN order_subjects os ON os.order_uid = ord.uid
    JOIN records r ON r.uid = os.record_uid
    WHERE list_contains(CAST($qualifying_orders AS VARCHAR[]), ord.order_type) AND ord.start_date <= $as_of
),
qualifier_met AS (
    SELECT pid, min(d) AS qualifier_met_on FROM qualifiers WHERE pid IS NOT NULL GROUP BY pid
)
SELECT m.pid AS person_id, greatest(m.victims_met_on, q.qualifier_met_on) AS first_met
FROM victims_met m JOIN qualifier_met q ON q.pid = m.pid
ORDER BY person_id
"""
)

MATAC_SQL = (
    _PAIRS  # noqa: S608 (fixed text only, no values)
    + """,
incs AS (  -- incidents where the suspect was min_age or older (or of unknown age, when that counts)
    SELECT DISTINCT x.pid, x.iuid, x.vid, x.occurred_on, x.known_on
    FROM (SELECT pairs.*, coalesce(pairs.record_dob, p.dob) AS dob
          FROM pairs LEFT JOIN persons p ON p.person_id = pairs.pid) x
    WHERE (x.dob IS NULL AND CAST($unknown_age_counts AS BOOLEAN))
       OR (x.dob IS NOT NULL AND x.dob + to_years(CAST($min_age AS INTEGER)) <= x.occurred_on)
),
enough AS (  -- only people with enough victims at all can ever meet it
    SELECT pid FROM incs GROUP BY pid HAVING count(DISTINCT vid) >= CAST($min_victims AS INTEGER)
),
candidates AS (  -- it can first become true only on a day an incident became known
    SELECT DISTINCT pid, known_on AS d FROM incs WHERE pid IN (SELECT pid FROM enough)
),
met AS (  -- days on which incidents known by then, in the window before then, name enough victims
    SELECT c.pid, c.d
    FROM candidates c
    JOIN incs x ON x.pid = c.pid AND x.known_on <= c.d
               AND x.occurred_on >= c.d - CAST($window_days AS INTEGER)
    GROUP BY c.pid, c.d
    HAVING count(DISTINCT x.vid) >= CAST($min_victims AS INTEGER)
),
current AS (  -- and it holds on $as_of: the window ending $as_of names enough victims
    SELECT pid FROM incs
    WHERE occurred_on >= $as_of - CAST($window_days AS INTEGER)
    GROUP BY pid HAVING count(DISTINCT vid) >= CAST($min_victims AS INTEGER)
)
SELECT pid AS person_id, min(d) AS first_met
FROM met WHERE pid IN (SELECT pid FROM current)
GROUP BY pid
ORDER BY person_id
"""
)


def connect_duckdb(parquet: Path, threads: int | None = None, memory_limit: str = "4GB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per Parquet table, threads limited to the machine's cores."""
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads or os.cpu_count() or 1)}")
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET temp_directory = ?", [str(parquet / "duckdb.tmp")])
    for table in SCHEMAS:
        path = str(parquet / f"{table}.parquet").replace("'", "''")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")  # noqa: S608 (fixed names)
    return con


def _sql_params(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if f"${k}" in sql}


def duckdb_campaign(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, date]:
    params = {"as_of": as_of, "suspect_in": SUSPECT_IN, "victim_in": VICTIM_IN, **serial_campaign_params()}
    return dict(con.execute(CAMPAIGN_SQL, _sql_params(CAMPAIGN_SQL, params)).fetchall())


def duckdb_matac(con: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, date]:
    params = {"as_of": as_of, "suspect_in": SUSPECT_IN, "victim_in": VICTIM_IN, **serial_matac_params()}
    return dict(con.execute(MATAC_SQL, _sql_params(MATAC_SQL, params)).fetchall())


def neo4j_campaign(db: Database, as_of: date) -> dict[str, date]:
    return {h.person_id: h.first_met for h in find_serial_campaign(db, AsOf(as_of=as_of))}


def neo4j_matac(db: Database, as_of: date) -> dict[str, date]:
    return {h.person_id: h.first_met for h in find_serial_matac(db, AsOf(as_of=as_of))}


# ---------------------------------------------------------------------------------------------------
# 3. Agreement and timing
# ---------------------------------------------------------------------------------------------------


@dataclass
class Agreement:
    only_neo4j: dict[str, date] = field(default_factory=dict)
    only_duckdb: dict[str, date] = field(default_factory=dict)
    first_met: dict[str, tuple[date, date]] = field(default_factory=dict)  # person: (neo4j, duckdb)

    @property
    def agree(self) -> bool:
        return not (self.only_neo4j or self.only_duckdb or self.first_met)

    def describe(self, limit: int = 20) -> list[str]:
        lines = [f"only in Neo4j: {p} (first met {d})" for p, d in sorted(self.only_neo4j.items())[:limit]]
        lines += [f"only in DuckDB: {p} (first met {d})" for p, d in sorted(self.only_duckdb.items())[:limit]]
        lines += [
            f"first_met differs: {p}: Neo4j {a}, DuckDB {b}" for p, (a, b) in sorted(self.first_met.items())[:limit]
        ]
        return lines


def compare(neo: dict[str, date], duck: dict[str, date]) -> Agreement:
    return Agreement(
        only_neo4j={p: d for p, d in neo.items() if p not in duck},
        only_duckdb={p: d for p, d in duck.items() if p not in neo},
        first_met={p: (d, duck[p]) for p, d in neo.items() if p in duck and duck[p] != d},
    )


def _timed(fn: Callable[[], dict[str, date]]) -> tuple[float, dict[str, date]]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def measure(
    db: Database,
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    runs: int,
    con1: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """One untimed warm-up of each, then ``runs`` rounds taking them in turn; every result compared.

    ``con1``: DuckDB on one thread as well (a Neo4j Community query runs on one thread)."""
    jobs: dict[str, Callable[[], dict[str, date]]] = {
        "neo4j_campaign": lambda: neo4j_campaign(db, as_of),
        "neo4j_matac": lambda: neo4j_matac(db, as_of),
        "duckdb_campaign": lambda: duckdb_campaign(con, as_of),
        "duckdb_matac": lambda: duckdb_matac(con, as_of),
    }
    if con1 is not None:
        jobs["duckdb1_campaign"] = lambda: duckdb_campaign(con1, as_of)
        jobs["duckdb1_matac"] = lambda: duckdb_matac(con1, as_of)
    results = {name: fn() for name, fn in jobs.items()}  # warm-up: plans, caches
    times: dict[str, list[float]] = {name: [] for name in jobs}
    load: list[float] = []
    unstable: list[str] = []  # a later answer unlike the first: the register changed under the run
    for _ in range(runs):
        for name, fn in jobs.items():
            seconds, res = _timed(fn)
            times[name].append(seconds)
            if res != results[name] and name not in unstable:
                unstable.append(name)
        load.append(os.getloadavg()[0])
    agreement = {d: compare(results[f"neo4j_{d}"], results[f"duckdb_{d}"]) for d in ("campaign", "matac")}
    for d in ("campaign", "matac") if con1 is not None else ():
        if results[f"duckdb1_{d}"] != results[f"duckdb_{d}"] and f"duckdb1_{d}" not in unstable:
            unstable.append(f"duckdb1_{d}")
    return {"times": times, "results": results, "agreement": agreement, "load": load, "unstable": unstable}


# ---------------------------------------------------------------------------------------------------
# 4. The run: a throwaway server loaded with a generated scale, or the configured one as it is
# ---------------------------------------------------------------------------------------------------


def link_truth(db: Database, data: Path) -> None:
    """Every person record resolved to its true person (the generator's truth/person_truth.csv)."""
    query = _q(
        f"UNWIND $rows AS row MATCH (r:{RECORD} {{uid: row.r}}) MERGE (p:{PERSON} {{person_id: row.p}}) "
        f"MERGE (r)-[:{RESOLVES_TO} {{method: 'TRUTH'}}]->(p)"
    )
    with (data / "truth" / "person_truth.csv").open(encoding="utf-8") as fh:
        rows = [{"r": r["record_uid"], "p": r["person_id"]} for r in csv.DictReader(fh)]
    for i in range(0, len(rows), 20_000):
        db.write(query, rows=rows[i : i + 20_000])


def _load_scale(db: Database, scale: str, seed: int, work: Path) -> float:
    import ingest
    import synthetic
    from graph_schema.apply import apply_schema

    t0 = time.perf_counter()
    db.run_auto("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    apply_schema(db)
    synthetic.generate(scale, seed, work / "data", progress=False)
    ingest.load(db, [work / "data"], progress=False, resolver=None)
    link_truth(db, work / "data")
    return time.perf_counter() - t0


def _counts(db: Database) -> dict[str, int]:
    out = {}
    for name, label in (("persons", PERSON), ("records", RECORD), ("incidents", INCIDENT)):
        out[name] = db.read(_q(f"MATCH (n:{label}) RETURN count(n) AS n"))[0]["n"]
    return out


def run(
    *,
    existing: bool,
    scale: str,
    seed: int,
    runs: int,
    as_of: date,
    out: Path | None,
    threads: int | None,
    memory_limit: str,
    page: int,
) -> dict[str, Any]:
    from bench.servers import bench_database

    owned = None
    if existing:
        db = Database.connect()
        scale = "existing"
    else:
        db, owned = bench_database("spr-bench-serial-")
    work = Path(tempfile.mkdtemp(prefix="spr-bench-serial-data-"))
    parquet = out or work / "parquet"
    try:
        load_s = None if existing else _load_scale(db, scale, seed, work)
        graph = _counts(db)
        t0 = time.perf_counter()
        rows = export(db, parquet, page)
        export_s = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in parquet.glob("*.parquet"))
        con = connect_duckdb(parquet, threads, memory_limit)
        duck_threads = con.execute("SELECT current_setting('threads')").fetchone()
        con1 = connect_duckdb(parquet, 1, memory_limit) if int(duck_threads[0] if duck_threads else 1) > 1 else None
        m = measure(db, con, as_of, runs, con1)
        con.close()
        if con1 is not None:
            con1.close()
        return {
            "scale": scale,
            "seed": seed,
            "as_of": as_of.isoformat(),
            "runs": runs,
            "load_s": load_s,
            "graph": graph,
            "export_s": export_s,
            "export_rows": rows,
            "parquet_bytes": size,
            "duckdb_threads": int(duck_threads[0]) if duck_threads else None,
            "duckdb_version": duckdb.__version__,
            "server": db.server_info().get("version", "?"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "date": date.today().isoformat(),
            **m,
        }
    finally:
        db.close()
        shutil.rmtree(work, ignore_errors=True)  # the generated data, and the Parquet unless --out
        if owned:
            owned[0].destroy()
            shutil.rmtree(owned[1], ignore_errors=True)


def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _cell(xs: list[float] | None) -> str:
    return f"{_median(xs):.2f} ({min(xs):.2f})" if xs else "-"


def _sums(t: dict[str, list[float]], engine: str) -> list[float]:
    if f"{engine}_campaign" not in t:
        return []
    return [a + b for a, b in zip(t[f"{engine}_campaign"], t[f"{engine}_matac"], strict=True)]


def render(r: dict[str, Any], command: str) -> str:
    t, ag = r["times"], r["agreement"]
    rows = r["export_rows"]
    g = r["graph"]
    what = (
        "the register as it was"
        if r["scale"] == "existing"
        else f"a throwaway server loaded with the `{r['scale']}` scale (seed {r['seed']}), person records linked "
        "to their true persons"
    )
    lines = [
        SECTION,
        "",
        f"`{command}` on {r['machine']}, Neo4j {r['server']}, DuckDB {r['duckdb_version']} "
        f"({r['duckdb_threads']} threads), {r['date']}. Data: {what}: {g['persons']:,} persons, "
        f"{g['records']:,} person records, {g['incidents']:,} incidents. Both definitions over everyone as of "
        f"{r['as_of']}; seconds, median of {r['runs']} runs after one untimed warm-up of each (load average "
        f"{min(r['load'], default=0):.1f} to {max(r['load'], default=0):.1f} during the runs). Neo4j: the "
        "register's sweep functions (`queries.definitions.find_serial_campaign` / `find_serial_matac`, no "
        "person scope): the Cypher on the server and the hits, with their evidence, built in Python. DuckDB: "
        "the same definitions in SQL over the Parquet extract (read from the files on every run), "
        "`(person_id, first_met)` back in Python.",
        "",
        "| definition | Neo4j (s) | DuckDB (s) | Neo4j / DuckDB | DuckDB 1 thread (s) | people (Neo4j) "
        "| people (DuckDB) | agreement |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for d in ("campaign", "matac"):
        n, k = _median(t[f"neo4j_{d}"]), _median(t[f"duckdb_{d}"])
        one = _cell(t.get(f"duckdb1_{d}"))
        a = ag[d]
        verdict = (
            "same people, same first_met"
            if a.agree
            else f"{len(a.only_neo4j)} only in Neo4j, {len(a.only_duckdb)} only in DuckDB, "
            f"{len(a.first_met)} different first_met"
        )
        lines.append(
            f"| {d} | {_cell(t[f'neo4j_{d}'])} | {_cell(t[f'duckdb_{d}'])} | {n / k:.1f}x | {one} | "
            f"{len(r['results'][f'neo4j_{d}']):,} | {len(r['results'][f'duckdb_{d}']):,} | {verdict} |"
        )
    both = {e: _sums(t, e) for e in ("neo4j", "duckdb", "duckdb1")}
    both_n, both_k = _median(both["neo4j"]), _median(both["duckdb"])
    lines.append(
        f"| both | {_cell(both['neo4j'])} | {_cell(both['duckdb'])} | {both_n / both_k:.1f}x | "
        f"{_cell(both['duckdb1'])} | | | |"
    )
    lines += ["", "Median of the runs, fastest run in brackets; *both*: the two definitions of the same run added."]
    if r["unstable"]:
        lines += [
            "",
            "**Answers changed between runs** (the register was written to during the run): "
            + ", ".join(r["unstable"])
            + ".",
        ]
    total = sum(rows.values())
    lines += [
        "",
        f"The extract (not in the times above): {total:,} rows in {r['export_s']:.1f} s through the driver, "
        f"{r['parquet_bytes'] / 1e6:.1f} MB of Parquet ("
        + ", ".join(f"{name} {n:,}" for name, n in rows.items())
        + f"): as long as {r['export_s'] / both_n:.0f} sweeps of both definitions in Neo4j, and due again "
        "whenever the register changes (new records, identity decisions). What the comparison shows about "
        "where each tool fits: docs/queries.md (The sweep and flags).",
        "",
    ]
    return "\n".join(lines)


def _report(r: dict[str, Any]) -> dict[str, Any]:
    """The result as JSON: times and counts, agreement in full (no per-person results)."""
    out = {k: v for k, v in r.items() if k not in ("results", "agreement")}
    out["people"] = {k: len(v) for k, v in r["results"].items()}
    out["agreement"] = {d: {"agree": a.agree, "differences": a.describe(limit=1000)} for d, a in r["agreement"].items()}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--existing", action="store_true", help="read the configured server as it is (NEO4J_URI...)")
    ap.add_argument("--scale", choices=["tiny", "demo"], default="demo", help="generated scale for a throwaway server")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: the machine's cores)")
    ap.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit (spills to disk beyond it)")
    ap.add_argument("--page", type=int, default=PAGE, help="nodes per page of the extract")
    ap.add_argument("--out", type=Path, default=None, help="keep the Parquet files here (default: a temporary folder)")
    ap.add_argument("--write-docs", action="store_true", help="add or replace the section in docs/benchmarks.md")
    a = ap.parse_args()
    existing = a.existing or bool(os.environ.get("NEO4J_URI"))
    result = run(
        existing=existing,
        scale=a.scale,
        seed=a.seed,
        runs=a.runs,
        as_of=a.as_of,
        out=a.out,
        threads=a.threads,
        memory_limit=a.memory_limit,
        page=a.page,
    )
    command = (
        "python -m bench.serial_duckdb "
        + ("--existing" if existing else f"--scale {a.scale} --seed {a.seed}")
        + f" --runs {a.runs} --as-of {a.as_of.isoformat()}"
    )
    text = render(result, command)
    print(text)
    for d, ag in result["agreement"].items():
        print(f"{d}: " + ("agree" if ag.agree else "DIFFER"))
        for line in ag.describe():
            print("  " + line)
    print(json.dumps(_report(result), indent=2, default=str))
    if a.write_docs:
        from bench.report import write_section

        write_section(SECTION.removeprefix("## "), text.removeprefix(SECTION))


if __name__ == "__main__":
    main()
