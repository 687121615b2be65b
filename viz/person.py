"""Everything one person's views need, read through the queries: case graph, scores, escalation, timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from queries.casegraph import case_graph, node_details, timeline
from queries.escalation import escalation_report
from queries.models import CaseGraphQuery, RfgvQuery
from queries.rfgv import compute_rfgv
from spr.db import Database
from viz.casegraph import DEFAULT_MAX_NODES, CaseGraphView, build_view, drawn_node_ids
from viz.timeline import TimelineView, build_timeline

DEFAULT_DEPTH = 4  # person -> record -> incident -> victim's record -> victim


@dataclass
class PersonViews:
    graph: CaseGraphView
    timeline: TimelineView


def person_views(
    db: Database,
    person_id: str,
    *,
    depth: int = DEFAULT_DEPTH,
    since: date | None = None,
    until: date | None = None,
    include_sensitive: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    as_of: date | None = None,
) -> PersonViews:
    """The case graph and timeline of one person; ``include_sensitive`` only for roles allowed locations."""
    as_of = as_of or date.today()
    # Every property only of the nodes the view draws one by one: bounded by the grouping limit.
    graph = case_graph(
        db,
        CaseGraphQuery(person_id=person_id, depth=depth, since=since, until=until, include_sensitive=include_sensitive),
        details=False,
    )
    graph = node_details(db, graph, drawn_node_ids(graph, max_nodes), include_sensitive)
    people = sorted({str(n.properties["person_id"]) for n in graph.nodes if n.kind == "Person"})
    scores = (
        {s.person_id: s.score for s in compute_rfgv(db, RfgvQuery(as_of=as_of, person_ids=people))} if people else {}
    )
    view = build_view(
        graph, include_sensitive=include_sensitive, max_nodes=max_nodes, scores=scores, depth=depth, since=since,
        until=until,
    )  # fmt: skip
    return PersonViews(graph=view, timeline=person_timeline(db, person_id, since=since, until=until, as_of=as_of))


def person_timeline(
    db: Database, person_id: str, *, since: date | None = None, until: date | None = None, as_of: date | None = None
) -> TimelineView:
    """One person's incidents by gravity over time, with orders, outcomes, escalation and separation."""
    report = escalation_report(db, person_id, as_of or date.today())
    return build_timeline(report, timeline(db, person_id, since, until), since, until)
