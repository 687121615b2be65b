"""Benchmark the case graph of a 1,000-node neighbourhood, stage by stage and end to end. Writes the
section "## Case graph" of docs/benchmarks.md.

    .venv/bin/python -m bench.casegraph_bench [--runs 7] [--victims 240] [--incidents 520] [--no-browser]
        [--json out.json] [--label "this code"] [--compare "earlier code=earlier.json" ...] [--no-write]

A throwaway local Neo4j (or NEO4J_URI, whose database is wiped) gets one subject in the shape the ingest
and identity resolution write, with every property a source sends: two person records from two forces,
``--incidents`` incidents against ``--victims`` victims (a third of them known to two forces, with the
scored match between their records, its explanation, a review item and the identity history), outcomes
for half the incidents, orders, victims' addresses, flags with their evidence, a nomination, priority
scores and alerts. At the default depth (4) that is 1,398 nodes, drawn as 1,156 items once records fold
into people.

Each run times, for the page a panel opens (``/persons/{id}/graph``):

- query: the case-graph queries on the server (each replayed with its rows counted there, not sent);
- decode: the rest of those queries' time in the client (rows sent, received and decoded by the driver);
- assemble: turning rows into the neutral case graph (``queries.casegraph.case_graph``, less its queries);
- view: folding, grouping, layout and styling (``viz.casegraph.build_view``, pyvis's ``Network``);
- HTML: rendering the graph's part of the page (``viz/templates/_graph.html``, the data as JSON);
- page: the whole request on the server (audit, scores, timeline, case graph, view and page), in-process;
- browser (when Chromium is at /usr/bin/chromium): from asking for the page to the graph drawn and still,
  and from the page's first byte to still.

``--json`` keeps a run's figures (with its ``--label``); ``--compare`` puts earlier runs' figures (for
example of the previous code, or without the driver's Rust extension) before this run's in the section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, LiteralString, TypeVar
from urllib.parse import urlencode

from bench.servers import bench_database
from spr.db import Database

T = TypeVar("T")
SUBJECT = "BENCH-SUBJECT"
PASSWORD = "bench-" + secrets.token_urlsafe(12)
PURPOSE = {"purpose": "MAPPA_PANEL", "purpose_detail": "case graph benchmark"}
CHROMIUM = os.environ.get("SPR_CHROMIUM", "/usr/bin/chromium")
STAGES = ("query", "decode", "assemble", "view", "html", "page")
BROWSER = ("browser_total", "browser_open")
LABELS = {
    "query": "query (server)",
    "decode": "decode (driver)",
    "assemble": "assemble",
    "view": "view",
    "html": "HTML",
    "page": "whole page (server)",
    "browser_total": "browser: request to still",
    "browser_open": "browser: first byte to still",
}


# -- the neighbourhood -------------------------------------------------------------------------------
def _prov(source: str, record_id: str, at: datetime) -> dict[str, Any]:
    return {"source_system": source, "source_record_id": record_id, "ingest_batch": f"{source}-2025-001",
            "ingested_at": at}  # fmt: skip


def _explanation(left: str, right: str) -> str:
    """A scored match's explanation as identity resolution stores it (the match-weight waterfall, JSON)."""
    rows = [
        {"comparison": c, "level": lvl, "match_weight": w, "left": left, "right": right}
        for c, lvl, w in (
            ("prior", "", -9.2), ("first_name", "Jaro-Winkler >= 0.92", 4.11), ("last_name", "Exact match", 6.02),
            ("dob", "Exact match", 8.4), ("postcode", "All other comparisons", -1.3), ("sex", "Exact match", 0.6),
            ("pnc_id", "Null", 0.0), ("aliases", "Array intersect", 1.9),
        )
    ]  # fmt: skip
    return json.dumps(rows)


def build_neighbourhood(db: Database, victims: int = 240, incidents: int = 520) -> str:
    """One subject with ``incidents`` incidents over ``victims`` victims, and everything around them that a
    loaded, resolved register holds. Returns the subject's person_id."""
    at = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    db.write(
        "UNWIND $agencies AS a MERGE (x:Agency {code: a.code}) SET x += a",
        agencies=[
            {"code": "WMP", "name": "West Midlands Police", "kind": "POLICE_FORCE", "area": "West Midlands"},
            {"code": "LAN", "name": "Lancashire Constabulary", "kind": "POLICE_FORCE", "area": "Lancashire"},
        ],
    )
    people = [{"person_id": SUBJECT, "display_name": "Darren Vale", "dob": date(1981, 4, 2), "sex": "M",
               "created_at": at}]  # fmt: skip
    records = []
    for k, src in enumerate(("WMP", "LAN")):
        records.append({
            "person_id": SUBJECT, "uid": f"{src}/S{k}", "first_name": "Darren", "middle_names": "James",
            "last_name": "Vale", "aliases": ["Daz Vale", "D. J. Vale"], "dob": date(1981, 4, 2), "sex": "M",
            "pnc_id": "81/123456X", "other_ids": [f"NI:QQ12345{k}C"], "postcode": "B1 1AA", "record_version": 3,
            **_prov(src, f"S{k}", at),
        })  # fmt: skip
    matches = [{"a": "WMP/S0", "b": "LAN/S1", "explanation": _explanation("Darren", "Darren")}]
    for v in range(1, victims + 1):
        name = f"Victim{v}"
        people.append({"person_id": f"BV{v}", "display_name": f"{name} Reed", "dob": date(1985, 1, 1) + timedelta(v),
                       "sex": "F", "created_at": at})  # fmt: skip
        sources = ["WMP", "LAN"] if v % 3 == 0 else ["WMP"]
        for src in sources:
            records.append({
                "person_id": f"BV{v}", "uid": f"{src}/BV{v}", "first_name": name, "middle_names": None,
                "last_name": "Reed", "aliases": [], "dob": date(1985, 1, 1) + timedelta(v), "sex": "F",
                "pnc_id": None, "other_ids": [], "postcode": f"B{v % 90 + 1} 2BB", "record_version": 1,
                **_prov(src, f"BV{v}", at),
            })  # fmt: skip
        if len(sources) == 2:
            matches.append({"a": f"LAN/BV{v}", "b": f"WMP/BV{v}", "explanation": _explanation(name, name)})
    db.write(
        """
        UNWIND $people AS p CREATE (x:Person) SET x = p
        """,
        people=people,
    )
    db.write(
        """
        UNWIND $records AS r
        MATCH (p:Person {person_id: r.person_id})
        CREATE (x:PersonRecord) SET x = r, x.person_id = null
        CREATE (x)-[:RESOLVES_TO {probability: 0.997, method: 'MODEL', decided_by: 'identity-model',
                                  model_version: 'v3', decided_at: $at}]->(p)
        """,
        records=records,
        at=at,
    )
    db.write(
        """
        UNWIND $matches AS m
        MATCH (a:PersonRecord {uid: m.a}), (b:PersonRecord {uid: m.b})
        CREATE (a)-[:MATCHES {probability: 0.97, match_weight: 10.5, band: 'LINK', model_version: 'v3',
                              scored_at: $at, explanation: m.explanation}]->(b)
        CREATE (ri:ReviewItem {review_id: 'R-' + m.a + '-' + m.b, left_uid: m.a, right_uid: m.b, probability: 0.97,
                               match_weight: 10.5, model_version: 'v3', status: 'DECIDED', reason: 'cluster check',
                               created_at: $at, updated_at: $at})
        CREATE (ri)-[:CONCERNS]->(a), (ri)-[:CONCERNS]->(b)
        WITH a, b, m
        MATCH (a)-[:RESOLVES_TO]->(p:Person)
        CREATE (e:IdentityEvent {event_id: 'E-' + m.a, kind: 'MERGED', at: $at, person_id: p.person_id,
                                 other_person_ids: [], record_uids: [m.a, m.b], decided_by: 'identity-model',
                                 model_version: 'v3', reason: 'scored match above the link threshold'})
        CREATE (e)-[:AFFECTED]->(p)
        """,
        matches=matches,
        at=at,
    )
    rows = []
    for k in range(1, incidents + 1):
        src = "WMP" if k % 2 else "LAN"
        when = datetime(2021, 1, 1, 12, 0, tzinfo=UTC) + timedelta(days=2 * k)
        rows.append({
            "k": k, "suspect": f"{src}/S{0 if src == 'WMP' else 1}", "victim": f"WMP/BV{k % victims + 1}",
            "agency": src, "outcome": k % 2 == 0, "props": {
                "uid": f"{src}/I{k}", "occurred_at": when, "reported_at": when + timedelta(hours=3),
                "agency_code": src, "offence_code": "COMMON_ASSAULT" if k % 3 else "ABH", "gravity": 1 + k % 9,
                "is_crime": True, "is_stalking": k % 7 == 0, "dash_grade": ("STANDARD", "MEDIUM", "HIGH")[k % 3],
                "risk_indicators": ["SEPARATION", "PREGNANCY"] if k % 5 == 0 else ["CONTROLLING"],
                "location_postcode": f"B{k % 90 + 1} 3CC", "record_version": 2,
                "description": f"Incident {k}: the caller reported an argument that became physical at the home "
                "address; officers attended, the suspect had left; the victim gave a first account.",
                **_prov(src, f"I{k}", at),
            },
            "outcome_props": {
                "uid": f"{src}/O{k}", "kind": "CHARGE" if k % 4 else "CONVICTION", "date": when.date() + timedelta(40),
                "offence_code": "COMMON_ASSAULT", "sentence_months": 6 if k % 4 == 0 else None,
                "sentence_type": "SUSPENDED" if k % 4 == 0 else None, "court": "Birmingham Magistrates",
                **_prov(src, f"O{k}", at),
            },
        })  # fmt: skip
    db.write(
        """
        UNWIND $rows AS row
        MATCH (s:PersonRecord {uid: row.suspect}), (v:PersonRecord {uid: row.victim}), (a:Agency {code: row.agency})
        CREATE (i:Incident) SET i = row.props
        CREATE (s)-[:SUSPECT_IN]->(i), (v)-[:VICTIM_IN]->(i), (i)-[:RECORDED_BY]->(a)
        WITH row, s, i WHERE row.outcome
        CREATE (o:Outcome) SET o = row.outcome_props
        CREATE (s)-[:HAS_OUTCOME]->(o), (o)-[:OUTCOME_FOR]->(i)
        """,
        rows=rows,
    )
    db.write(
        """
        UNWIND range(1, $victims) AS v
        WITH v WHERE v % 6 = 0
        MATCH (r:PersonRecord {uid: 'WMP/BV' + v})
        CREATE (a:Address {uid: 'WMP/A' + v, line1: v + ' High Street', town: 'Birmingham',
                           postcode: 'ZZ9 ' + v % 9 + 'ZZ', force_area: 'WMP', ingest_batch: 'WMP-2025-001'})
        CREATE (r)-[:LIVES_AT {from_date: date('2020-01-01') + duration({days: v})}]->(a)
        """,
        victims=victims,
    )
    db.write(
        """
        MATCH (s:PersonRecord {uid: 'WMP/S0'}), (w:Agency {code: 'WMP'})
        UNWIND range(1, 10) AS k
        MATCH (v:PersonRecord {uid: 'WMP/BV' + k})
        CREATE (o:Order {uid: 'WMP/ORD' + k, order_type: 'DVPO',
                         start_date: date('2022-01-01') + duration({days: 30 * k}),
                         end_date: date('2022-01-28') + duration({days: 30 * k}), conditions: ['NO_CONTACT'],
                         jurisdiction: 'E&W', issuing_agency: 'WMP', ingest_batch: 'WMP-2025-001'})
        CREATE (o)-[:AGAINST]->(s), (o)-[:PROTECTS]->(v), (o)-[:ISSUED_BY]->(w)
        """
    )
    db.write(
        """
        MATCH (p:Person {person_id: $pid})
        UNWIND ['SERIAL_PERPETRATOR', 'HIGH_RISK'] AS d
        CREATE (f:Flag {uid: $pid + '/' + d, definition: d, definition_version: 1, first_met: date('2023-01-01'),
                        computed_at: $at, score: 0.9})
        CREATE (p)-[:FLAGGED]->(f)
        WITH p, f
        MATCH (i:Incident) WHERE i.gravity >= 8
        CREATE (f)-[:EVIDENCED_BY]->(i)
        WITH DISTINCT p, f SET f.evidence = ['incidents of gravity 8 or more']
        WITH DISTINCT p
        CREATE (n:Nomination {nomination_id: 'N-1', status: 'ACCEPTED', level: 2, reasons: ['SERIAL_PERPETRATOR'],
                              created_at: $at, decided_at: $at, decided_by: 'panel', lead_agency: 'WMP',
                              category: 'MAPPA_PLUS_DA', nominated_by: 'caseworker'})
        CREATE (n)-[:NOMINATES]->(p)
        WITH p
        UNWIND range(1, 12) AS m
        CREATE (s:PriorityScore {uid: $pid + '/S' + m, definition: 'RFGV', definition_version: 1,
                                 as_of: date('2024-01-01') + duration({months: m}), score: 40.0 + m, rank: 3,
                                 computed_at: $at})
        CREATE (p)-[:SCORED]->(s)
        CREATE (al:Alert {alert_id: 'A-' + m, kind: 'REPEAT', severity: 'HIGH', created_at: $at, status: 'OPEN',
                          routed_to: 'WMP', person_id: $pid})
        CREATE (al)-[:ABOUT]->(p)
        """,
        pid=SUBJECT,
        at=at,
    )
    return SUBJECT


# -- timing the stages ------------------------------------------------------------------------------
class _RecordingTransaction:
    """A read transaction that notes the text and parameters of each query it runs."""

    def __init__(self, tx: Any, queries: list[tuple[LiteralString, dict[str, Any]]]) -> None:
        self._tx, self._queries = tx, queries

    def run(self, query: LiteralString, parameters: dict[str, Any] | None = None, **kw: Any) -> Any:
        self._queries.append((query, {**(parameters or {}), **kw}))
        return self._tx.run(query, parameters, **kw)


class TimedDatabase(Database):
    """The register's Database, recording each read query's text, parameters and wall time."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.driver, db.database)
        self.reads: list[tuple[LiteralString, dict[str, Any], float]] = []

    def read(self, query: LiteralString, **params: Any) -> list[dict[str, Any]]:
        t0 = time.perf_counter()
        rows = super().read(query, **params)
        self.reads.append((query, params, time.perf_counter() - t0))
        return rows

    def execute_read(self, work: Callable[[Any], T]) -> T:
        queries: list[tuple[LiteralString, dict[str, Any]]] = []
        t0 = time.perf_counter()
        out = super().execute_read(lambda tx: work(_RecordingTransaction(tx, queries)))
        elapsed = time.perf_counter() - t0
        for query, params in queries:  # one query per unit of work in the case graph
            self.reads.append((query, params, elapsed / len(queries)))
        return out


def server_seconds(db: Database, query: LiteralString, params: dict[str, Any]) -> float:
    """The query's time on the server with its rows counted there instead of sent (the server's own clock)."""
    wrapped: LiteralString = "CALL () {\n" + query + "\n} RETURN count(*) AS n"
    _records, summary, _keys = db.driver.execute_query(wrapped, params, database_=db.database)
    return ((summary.result_available_after or 0) + (summary.result_consumed_after or 0)) / 1000


def measure_server(db: Database, person_id: str) -> dict[str, float]:
    from queries import casegraph
    from queries.models import CaseGraphQuery
    from viz import casegraph as view_steps
    from viz.casegraph import build_view
    from viz.person import DEFAULT_DEPTH
    from viz.render import environment

    timed = TimedDatabase(db)
    q = CaseGraphQuery(person_id=person_id, depth=DEFAULT_DEPTH)
    t0 = time.perf_counter()
    if hasattr(casegraph, "node_details"):  # as the page reads it: details only of the nodes drawn
        graph = casegraph.case_graph(timed, q, details=False)
        graph = casegraph.node_details(timed, graph, view_steps.drawn_node_ids(graph), False)
    else:  # the code before it
        graph = casegraph.case_graph(timed, q)
    t1 = time.perf_counter()
    view = build_view(graph, depth=DEFAULT_DEPTH)
    t2 = time.perf_counter()
    html = environment().get_template("_graph.html").render(graph=view, person_link=None, person_url_template=None)
    t3 = time.perf_counter()
    reads = sum(seconds for _text, _params, seconds in timed.reads)
    server = sum(server_seconds(db, text, params) for text, params, _s in timed.reads)
    return {
        "query": server, "decode": max(0.0, reads - server), "assemble": (t1 - t0) - reads, "view": t2 - t1,
        "html": t3 - t2, "nodes": len(view.nodes), "edges": len(view.edges), "graph_nodes": len(graph.nodes),
        "html_bytes": len(html.encode()), "queries": len(timed.reads),
    }  # fmt: skip


def measure_page(client: Any, person_id: str) -> float:
    t0 = time.perf_counter()
    r = client.get(f"/persons/{person_id}/graph?" + urlencode(PURPOSE))
    elapsed = time.perf_counter() - t0
    if r.status_code != 200 or 'id="case-graph"' not in r.text:
        raise RuntimeError(f"the graph page did not render: {r.status_code}")
    return elapsed


@contextmanager
def live_server(db: Database) -> Iterator[str]:
    import uvicorn

    from api.app import create_app
    from spr.localserver import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(lambda: db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark's web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def measure_browser(db: Database, person_id: str, runs: int) -> list[dict[str, float]]:
    """Open the graph page ``runs`` times in headless Chromium: request to still, and first byte to still."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip
    out = []
    with live_server(db) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.get_by_label("Username").fill("bench-analyst")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{base}/nominations")
            for _ in range(runs + 1):  # the first opening warms the browser's cache of the scripts
                t0 = time.monotonic()
                page.goto(f"{base}/persons/{person_id}/graph?" + urlencode(PURPOSE))
                page.wait_for_selector("#case-graph[data-settled]", timeout=120_000)
                total = time.monotonic() - t0
                first_byte = page.evaluate("performance.getEntriesByType('navigation')[0].responseStart")
                still_at = int(page.get_attribute("#case-graph", "data-settled-at") or 0)
                nodes = page.evaluate("window.sprGraph.nodes.length")
                out.append({"browser_total": total, "browser_open": (still_at - first_byte) / 1000, "nodes": nodes})
            context.close()
        finally:
            browser.close()
    return out[1:]


# -- the run ----------------------------------------------------------------------------------------
def _driver_extension() -> str:
    try:
        import neo4j._rust  # noqa: F401
    except ImportError:
        return "pure-Python packstream"
    return "Rust packstream extension (neo4j-rust-ext)"


def run(runs: int, victims: int, incidents: int, browser: bool) -> dict[str, Any]:
    import neo4j
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import create_user, signing_key
    from graph_schema.apply import apply_schema
    from spr.settings import get_settings

    os.environ.setdefault("SPR_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    signing_key.cache_clear()
    db, owned = bench_database("spr-bench-casegraph-")
    try:
        db.run_auto("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
        apply_schema(db)
        person_id = build_neighbourhood(db, victims=victims, incidents=incidents)
        create_user(db, "bench-analyst", PASSWORD, ["POLICE_ANALYST"])
        measure_server(db, person_id)  # warm the server's query plans and caches
        server = [measure_server(db, person_id) for _ in range(runs)]
        client = TestClient(create_app(lambda: db), base_url="http://testserver")
        r = client.post("/login", data={"username": "bench-analyst", "password": PASSWORD}, follow_redirects=False)
        if r.status_code != 303:
            raise RuntimeError(f"login failed: {r.status_code}")
        measure_page(client, person_id)
        for s in server:
            s["page"] = measure_page(client, person_id)
        seen = None
        if browser and (Path(CHROMIUM).exists() or shutil.which("chromium")):
            seen = measure_browser(db, person_id, runs)
        return {
            "date": date.today().isoformat(), "runs": runs, "victims": victims, "incidents": incidents,
            "server": server, "browser": seen, "driver": f"neo4j {neo4j.__version__}, {_driver_extension()}",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "neo4j": db.server_info().get("version", "?"), "load": os.getloadavg()[0],
        }  # fmt: skip
    finally:
        db.close()
        if owned:
            owned[0].destroy()
            shutil.rmtree(owned[1], ignore_errors=True)


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q / 100 * (len(values) - 1))))
    return values[k]


def summary(result: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Median and 95th percentile of every stage, in milliseconds."""
    out = {}
    for stage in STAGES:
        values = [s[stage] * 1000 for s in result["server"] if stage in s]
        if values:
            out[stage] = (statistics.median(values), percentile(values, 95))
    for stage in BROWSER:
        values = [s[stage] * 1000 for s in result.get("browser") or []]
        if values:
            out[stage] = (statistics.median(values), percentile(values, 95))
    return out


def render(result: dict[str, Any], compared: list[dict[str, Any]]) -> str:
    runs = [*compared, result]
    figures = [summary(r) for r in runs]
    first = result["server"][0]
    lines = [
        f"`python -m bench.casegraph_bench --runs {result['runs']}` on {result['machine']}, Neo4j {result['neo4j']}, "
        f"{result['date']}. One subject with {result['incidents']:,} incidents over {result['victims']:,} victims "
        "and what a resolved register holds around them (records from two forces, scored matches and their "
        "explanations, review items, identity history, outcomes, orders, addresses, flags with evidence, a "
        "nomination, scores, alerts), opened at the page's default depth (4): "
        f"{first['graph_nodes']:,} nodes from {first['queries']} queries, drawn as {first['nodes']:,} items and "
        f"{first['edges']:,} links ({first['html_bytes'] / 1e6:.1f} MB of HTML). Milliseconds, median and 95th "
        f"percentile in brackets, of {result['runs']} runs after one warm-up, with the machine's load average "
        "while each ran.",
        "",
    ]
    shown = [st for st in (*STAGES, *BROWSER) if any(st in f for f in figures)]
    lines += [
        "| code | driver | load | " + " | ".join(LABELS[st] for st in shown) + " |",
        "| --- | --- | ---: |" + " ---: |" * len(shown),
    ]
    for r, f in zip(runs, figures, strict=True):
        cells = [f"{f[st][0]:,.0f} ({f[st][1]:,.0f})" if st in f else "–" for st in shown]
        lines.append(f"| {r.get('label', 'this run')} | {_codec(r)} | {r['load']:.1f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "query: the case-graph queries on the server (rows counted there); decode: their rows sent, received "
        "and decoded by the driver; assemble: rows into the neutral case graph (and, after, choosing the items "
        "drawn one by one); together they are the case graph's part of the page. view: folding, grouping, "
        "layout and pyvis; HTML: the graph's part of the page; whole page: the request on the server (audit, "
        "RFGV scores, timeline, case graph, view and page). Browser: headless Chromium against the register "
        "served by uvicorn on the same machine, from asking for the page, and from its first byte, to the "
        "graph drawn and still (scripts cached). Query plans are warm: the first opening after the database "
        "starts also plans the page's queries, about 1 to 2 s more once.",
    ]
    return "\n".join(lines)


def _codec(result: dict[str, Any]) -> str:
    return "Rust extension" if "Rust" in result["driver"] else "pure Python"


def main() -> None:
    from bench.report import write_section

    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--victims", type=int, default=240)
    ap.add_argument("--incidents", type=int, default=520)
    ap.add_argument("--no-browser", action="store_true", help="leave out the browser timings")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    ap.add_argument("--label", default="this run", help="what this run measured, for the section's table")
    ap.add_argument(
        "--compare", action="append", default=[], metavar="LABEL=FILE", help="an earlier run's --json file, shown first"
    )
    ap.add_argument("--no-write", action="store_true", help="print the section instead of updating the doc")
    args = ap.parse_args()
    compared = []
    for item in args.compare:
        label, _, path = item.partition("=")
        compared.append({**json.loads(Path(path).read_text(encoding="utf-8")), "label": label})
    result = {**run(args.runs, args.victims, args.incidents, browser=not args.no_browser), "label": args.label}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    text = render(result, compared)
    if args.no_write:
        print(text)
    else:
        write_section("Case graph", text)
        print(text)


if __name__ == "__main__":
    main()
