"""The pages as a person uses them, in a real browser: Debian's Chromium, headless, driven by Playwright.

Every request that would leave the register's own server is blocked and recorded, and each test fails if
there was one: the pages must work on a closed police network.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pagecase import PASSWORD, PURPOSE, build_case
from pixels import drawn

from api.auth import create_user
from spr.db import Database
from viz.person import person_views
from viz.render import render_export


@pytest.fixture
def page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    context.close()


def guard(page: Any, allowed: str) -> list[str]:
    """Block and record every request that is not to ``allowed`` (the register's own address)."""
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(allowed) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return outside


def login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/nominations")
    assert "/login" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/nominations")


def wait_settled(page: Any, timeout_ms: int = 15000) -> int:
    page.wait_for_selector("#case-graph[data-settled]", timeout=timeout_ms)
    return int(page.get_attribute("#case-graph", "data-settled"))


def node_point(page: Any, person_id: str) -> dict[str, float]:
    """Where on the page a person's node is drawn."""
    return page.evaluate(
        """(pid) => {
            const g = window.sprGraph, n = g.nodes.get({filter: x => x.person_id === pid})[0];
            const el = document.getElementById('case-graph');
            el.scrollIntoView({block: 'center'});
            const p = g.network.canvasToDOM(g.network.getPositions([n.id])[n.id]);
            const box = el.getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        person_id,
    )


def test_caseworker_logs_in_opens_a_person_sees_the_graph_and_clicks_a_node(
    db: Database, live_server: str, page: Any, tmp_path: Path
) -> None:
    build_case(db)
    create_user(db, "caseworker", PASSWORD, ["SPP_CASEWORKER"])
    outside = guard(page, live_server)
    login(page, live_server, "caseworker")
    assert page.get_by_role("heading", name="MAPPA+ nominations").is_visible()
    page.get_by_role("link", name="Darren Vale").first.click()
    # The person page first asks why.
    page.get_by_label("Purpose").select_option("MAPPA_PANEL")
    page.get_by_label("Details").fill("Panel 12 preparation")
    page.get_by_role("button", name="Open the record").click()
    page.wait_for_url("**/persons/P1?**")
    assert page.get_by_role("heading", name="Flags and their reasons").is_visible()
    wait_settled(page)
    canvas = page.locator("#case-graph")
    canvas.scroll_into_view_if_needed()
    shot = canvas.screenshot(path=str(tmp_path / "graph.png"))
    share, colours = drawn(shot)
    assert share > 0.01 and colours > 8, f"the graph looks blank ({share:.2%} drawn, {colours} colours)"
    # Clicking a victim opens their profile, under the same stated purpose.
    point = node_point(page, "V1")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/persons/V1?**")
    assert "purpose=MAPPA_PANEL" in page.url
    assert page.get_by_role("heading", name="Amy Reed").is_visible()
    wait_settled(page)
    assert outside == []


def _big_case(db: Database, incidents: int = 520, victims: int = 240) -> None:
    """One person with ``incidents`` incidents over ``victims`` victims, each with an outcome: about a
    thousand nodes once each victim's records fold into them."""
    db.write(
        """
        CREATE (p:Person {person_id: 'BIG', display_name: 'Big Case'})
        CREATE (r:PersonRecord {uid: 'WMP/BIGR', source_system: 'WMP', first_name: 'Big', last_name: 'Case'})
        CREATE (r)-[:RESOLVES_TO {probability: 1.0, method: 'EXACT'}]->(p)
        WITH r
        UNWIND range(1, $victims) AS v
        CREATE (vp:Person {person_id: 'BV' + v, display_name: 'Victim ' + v})
        CREATE (vr:PersonRecord {uid: 'WMP/BVR' + v, source_system: 'WMP', first_name: 'Victim',
                                 last_name: toString(v)})
        CREATE (vr)-[:RESOLVES_TO {probability: 1.0, method: 'EXACT'}]->(vp)
        """,
        victims=victims,
    )
    db.write(
        """
        MATCH (r:PersonRecord {uid: 'WMP/BIGR'})
        MERGE (a:Agency {code: 'WMP'})
        WITH r, a
        UNWIND range(1, $incidents) AS k
        MATCH (vr:PersonRecord {uid: 'WMP/BVR' + (k % $victims + 1)})
        CREATE (i:Incident {uid: 'WMP/BI' + k, occurred_at: datetime('2022-01-01T12:00:00Z') + duration({days: k}),
                            agency_code: 'WMP', offence_code: 'COMMON_ASSAULT', gravity: 1 + k % 9})
        CREATE (r)-[:SUSPECT_IN]->(i), (vr)-[:VICTIM_IN]->(i), (i)-[:RECORDED_BY]->(a)
        WITH r, i, k WHERE k % 2 = 0
        CREATE (o:Outcome {uid: 'WMP/BO' + k, kind: 'NFA', date: date('2022-03-01') + duration({days: k})})
        CREATE (r)-[:HAS_OUTCOME]->(o), (o)-[:OUTCOME_FOR]->(i)
        """,
        incidents=incidents,
        victims=victims,
    )


def test_a_thousand_node_neighbourhood_opens_and_settles_within_three_seconds(
    db: Database, live_server: str, page: Any
) -> None:
    _big_case(db)
    create_user(db, "analyst", PASSWORD, ["POLICE_ANALYST"])
    outside = guard(page, live_server)
    login(page, live_server, "analyst")
    started = time.monotonic()
    page.goto(f"{live_server}/persons/BIG/graph?" + urlencode(PURPOSE))
    draw_ms = wait_settled(page)
    total_ms = (time.monotonic() - started) * 1000
    # From the first byte of the page to a still, drawn graph: what the browser does with it.
    first_byte = page.evaluate("performance.getEntriesByType('navigation')[0].responseStart")
    open_ms = int(page.get_attribute("#case-graph", "data-settled-at")) - first_byte
    nodes = page.evaluate("window.sprGraph.nodes.length")
    print(
        f"{nodes} nodes: drawn in {draw_ms} ms; page open to settled {open_ms:.0f} ms; "
        f"with the server {total_ms:.0f} ms"
    )
    assert nodes >= 1000, nodes
    # The 3-second budget is a measured target, reported in docs/benchmarks.md, not a timed assertion:
    # what is asserted is that the graph settles at all (layout done server-side, physics off).
    assert draw_ms >= 0 and open_ms >= 0
    assert page.evaluate("window.sprGraph.network.physics.options.enabled") is False
    assert outside == []


def test_the_panel_pack_export_opens_from_a_file_with_no_network(db: Database, page: Any, tmp_path: Path) -> None:
    build_case(db)
    views = person_views(db, "P1")
    out = tmp_path / "case.html"
    out.write_text(render_export(views.graph, views.timeline, redacted=True), encoding="utf-8")
    outside = guard(page, out.as_uri())
    page.goto(out.as_uri())
    wait_settled(page)
    assert page.get_by_role("heading", name="Timeline").is_visible()
    point = node_point(page, "V1")
    page.mouse.click(point["x"], point["y"])
    assert "Amy Reed" in page.inner_text("#cg-details")
    assert outside == []
