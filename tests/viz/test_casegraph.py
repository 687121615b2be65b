"""Case graph and timeline views: built from neutral nodes and edges, in memory and from a real graph."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pages"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queries"))

from offline import assert_offline

import spr.db
from api import audit
from queries.models import (
    CaseGraph,
    EscalationPath,
    EscalationReport,
    GraphEdge,
    GraphNode,
    PathStep,
    SeparationMarker,
    TimelineEvent,
)
from spr.cli import app
from spr.db import Database
from viz.casegraph import build_view, sensitive_properties
from viz.layout import radial_layout
from viz.render import render_export
from viz.timeline import build_timeline


def _node(id_: str, kind: str, caption: str = "", **props: object) -> GraphNode:
    return GraphNode(id=id_, kind=kind, caption=caption or id_, properties=dict(props))


def _edge(s: str, t: str, kind: str) -> GraphEdge:
    return GraphEdge(id=f"{s}-{kind}-{t}", source=s, target=t, kind=kind)


def star(incidents: int) -> CaseGraph:
    """A person with one record and ``incidents`` incidents, each against its own victim."""
    nodes = [_node("p", "Person", "Subject", person_id="S"), _node("r", "PersonRecord", "Subj (WMP)")]
    edges = [_edge("r", "p", "RESOLVES_TO")]
    for k in range(incidents):
        nodes += [_node(f"i{k}", "Incident", f"ABH {k}"), _node(f"v{k}", "Person", f"V{k}", person_id=f"V{k}")]
        nodes += [_node(f"vr{k}", "PersonRecord", f"V{k} (WMP)", postcode="ZZ9 9ZZ")]
        edges += [_edge("r", f"i{k}", "SUSPECT_IN"), _edge(f"vr{k}", f"i{k}", "VICTIM_IN")]
        edges += [_edge(f"vr{k}", f"v{k}", "RESOLVES_TO")]
    return CaseGraph(person_id="S", nodes=nodes, edges=edges)


def test_records_fold_into_their_person_and_roles_label_the_edges() -> None:
    view = build_view(star(3))
    kinds = sorted(n["kind"] for n in view.nodes)
    assert kinds == ["Incident"] * 3 + ["Person"] * 4
    labels = {e["label"] for e in view.edges}
    assert labels == {"suspect", "victim"}
    subject = next(n for n in view.nodes if n["subject"])
    assert ["recorded as", "Subj (WMP)"] in subject["tip"] and subject["borderWidth"] == 4
    assert view.physics  # small: a short, bounded settling run
    assert all("x" in n and "y" in n for n in view.nodes)


def test_locations_leave_the_view_unless_the_role_may_see_them() -> None:
    assert {"postcode", "line1", "location_postcode"} <= sensitive_properties()
    redacted = json.dumps(build_view(star(2), show_records=True).data())
    assert "ZZ9 9ZZ" not in redacted
    assert "ZZ9 9ZZ" in json.dumps(build_view(star(2), show_records=True, include_sensitive=True).data())


def test_above_the_limit_the_graph_is_grouped_and_says_so() -> None:
    view = build_view(star(400), max_nodes=200)
    assert len(view.nodes) <= 200 + len(view.groups)
    assert view.groups and view.grouped_items + len(view.nodes) - len(view.groups) == view.total_nodes
    group = next(n for n in view.nodes if n["kind"] == "Group")
    assert "×" in group["label"] and any(line[0] == "count" for line in group["tip"])
    assert not view.physics  # drawn still, from the server's layout


def test_the_radial_layout_places_every_node_and_rings_grow_outwards() -> None:
    adj = {"a": ["b", "c"], "b": ["a", "d"], "c": ["a"], "d": ["b"]}
    pos = radial_layout("a", ["a", "b", "c", "d", "lonely"], adj)
    assert set(pos) == {"a", "b", "c", "d", "lonely"} and pos["a"] == (0.0, 0.0)
    r = {k: (x * x + y * y) ** 0.5 for k, (x, y) in pos.items()}
    assert r["b"] < r["d"] < r["lonely"] and r["b"] == pytest.approx(r["c"])


def _step(uid: str, on: str, gravity: int, victim: str, indicators: list[str] | None = None) -> PathStep:
    return PathStep(uid=uid, occurred_on=date.fromisoformat(on), gravity=gravity, offence_code="X",
                    victim_ids=[victim], indicators=indicators or [])  # fmt: skip


def test_the_timeline_marks_escalation_separation_orders_and_outcomes() -> None:
    steps = [_step("a", "2023-01-01", 2, "V1"), _step("b", "2023-02-01", 4, "V1", ["SEPARATION"]),
             _step("c", "2023-03-01", 6, "V1"), _step("d", "2024-01-01", 3, "V2")]  # fmt: skip
    report = EscalationReport(
        person_id="S", as_of=date(2024, 6, 1), timeline=steps,
        paths=[EscalationPath(person_id="S", steps=steps[:3], gravity_rise=4)],
        separation_markers=[SeparationMarker(person_id="S", separation=steps[1], followed_by=steps[2], days_after=28)],
    )  # fmt: skip
    events = [
        TimelineEvent(date=date(2023, 4, 1), kind="ORDER", role="SUBJECT", uid="o", caption="DVPO", source="WMP"),
        TimelineEvent(date=date(2023, 9, 1), kind="OUTCOME", role="CONVICTION", uid="c", caption="ABH", source="WMP"),
        TimelineEvent(date=date(2023, 9, 2), kind="MOVE", role=None, uid="m", caption="moved", source="WMP"),
    ]
    view = build_timeline(report, events)
    assert [p.escalation for p in view.points] == [True, True, True, False]
    assert [p.separation for p in view.points] == [False, True, False, False]
    assert len(view.paths) == 1 and len(view.separations) == 1
    assert [m.kind for m in view.markers] == ["ORDER", "OUTCOME"]
    assert [v for v, _ in view.victims] == ["V1", "V2"]
    assert view.points[0].y > view.points[2].y  # graver is higher
    cut = build_timeline(report, events, since=date(2023, 12, 1))
    assert [p.uid for p in cut.points] == ["d"] and not cut.paths


def test_the_export_is_one_self_contained_file() -> None:
    view = build_view(star(3))
    empty = EscalationReport(person_id="S", as_of=date(2024, 1, 1), timeline=[], paths=[], separation_markers=[])
    html = render_export(view, build_timeline(empty, []), redacted=True)
    assert_offline(html, "export")
    assert "vis.Network" in html and "<script src" not in html and '<link rel="stylesheet"' not in html
    assert "left out of this copy" in html


def test_spr_viz_person_writes_an_audited_panel_pack(
    db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from factories import GraphFactory

    monkeypatch.setattr(spr.db, "_db", db)
    g = GraphFactory(db)
    a, v = g.person("A", first_name="Alan"), g.person("V", first_name="Vera")
    g.lives_at(v, "2022-01-01", postcode="ZZ9 9ZZ")
    g.incident(a, v, "2024-01-01", offence="ABH")
    out = tmp_path / "case.html"
    r = CliRunner().invoke(app, ["viz", "person", "A", "--out", str(out), "--depth", "5", "--since", "2020-01-01"])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "Alan Smith" in html and "Vera Smith" in html and "ZZ9 9ZZ" not in html
    assert_offline(html, "spr viz person")
    rows, _ = audit.query(db, subject="A")
    assert rows[0]["action"] == "EXPORT spr viz person" and rows[0]["purpose"] == "MAPPA_PANEL"
    r = CliRunner().invoke(app, ["viz", "person", "NOBODY", "--out", str(out)])
    assert r.exit_code == 1


def test_the_case_graph_reads_each_node_once_without_identity_review_and_details_only_what_is_drawn(
    db: Database,
) -> None:
    from factories import GraphFactory

    from queries.casegraph import case_graph, node_details
    from queries.models import CaseGraphQuery
    from viz.casegraph import drawn_node_ids

    g = GraphFactory(db)
    a, v = g.person("A", records=2, sources=["WMP", "LAN"]), g.person("V")
    g.lives_at(v, "2022-01-01", postcode="ZZ9 9ZZ")
    for k in range(30):
        g.incident(a, g.person(f"V{k}") if k else v, f"2023-01-{k % 28 + 1:02d}", dash_grade="HIGH")
    db.write(
        """
        MATCH (r1:PersonRecord {uid: $r1}), (r2:PersonRecord {uid: $r2}), (p:Person {person_id: 'A'})
        CREATE (ri:ReviewItem {review_id: 'R1', status: 'OPEN'})-[:CONCERNS]->(r1), (ri)-[:CONCERNS]->(r2)
        CREATE (:IdentityEvent {event_id: 'E1', kind: 'MERGED', at: datetime()})-[:AFFECTED]->(p)
        """,
        r1=a.rec(0),
        r2=a.rec(1),
    )
    graph = case_graph(db, CaseGraphQuery(person_id="A", depth=4))
    kinds = {n.kind for n in graph.nodes}
    assert {"Incident", "Address", "PersonRecord"} <= kinds and not kinds & {"ReviewItem", "IdentityEvent"}
    assert len({n.id for n in graph.nodes}) == len(graph.nodes)
    address = next(n for n in graph.nodes if n.kind == "Address")
    assert "postcode" not in address.properties and "line1" not in address.properties
    sensitive = case_graph(db, CaseGraphQuery(person_id="A", depth=4, include_sensitive=True))
    assert next(n for n in sensitive.nodes if n.kind == "Address").properties["postcode"] == "ZZ9 9ZZ"
    # Date-times read as text come out exactly as the driver's own values would.
    stored = {
        r["uid"]: r["at"].to_native().isoformat()
        for r in db.read("MATCH (i:Incident) RETURN i.uid AS uid, i.occurred_at AS at")
    }
    incidents = [n for n in graph.nodes if n.kind == "Incident"]
    assert all(n.properties["occurred_at"] == stored[n.properties["uid"]] for n in incidents)
    assert all(n.properties["reported_at"] and n.time for n in incidents)
    # Grouped: only the nodes drawn one by one carry every property; the rest only what names and dates them.
    light = case_graph(db, CaseGraphQuery(person_id="A", depth=4), details=False)
    drawn = set(drawn_node_ids(light, max_nodes=20))
    detailed = node_details(db, light, drawn, include_sensitive=False)
    assert 0 < len(drawn) < len(light.nodes)
    for n in detailed.nodes:
        if n.kind == "Incident":
            assert ("reported_at" in n.properties) == (n.id in drawn)
    view = build_view(detailed, max_nodes=20)
    assert view.groups and {n["id"] for n in view.nodes if n["kind"] != "Group"} == drawn
