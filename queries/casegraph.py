"""A person's case graph and timeline as neutral nodes and edges (id, kind, caption, time, weight),
from which any view (pyvis page, table, export) renders.

The graph is grown one step at a time from the Person, to ``depth`` steps. Agencies are shown but not
followed (every incident of a force meets there); bookkeeping nodes are never shown. Nodes dated outside
``since``..``until`` are left out together with what lies beyond them. Properties the schema marks
sensitive (victims' addresses) are removed unless ``include_sensitive``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from graph_schema.model import vocabulary
from queries._common import read
from queries.models import CaseGraph, CaseGraphQuery, GraphEdge, GraphNode, TimelineEvent
from spr.db import Database

SKIP_LABELS = ["SchemaVersion", "IngestBatch", "PriorityScore", "Alert"]
HUB_LABELS = ["Agency", "Flag", "Nomination"]
_TIME_PROPS = ("occurred_at", "date", "start_date", "from_date", "departure_date", "notified_at", "assessed_at")


def _time(props: dict[str, Any]) -> date | None:
    for key in _TIME_PROPS:
        value = props.get(key)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
    return None


def _caption(kind: str, props: dict[str, Any]) -> str:
    if kind == "Person":
        return str(props.get("display_name") or props.get("person_id"))
    if kind == "PersonRecord":
        names = " ".join(str(props[k]) for k in ("first_name", "last_name") if props.get(k))
        return f"{names} ({props.get('source_system', '?')})"
    if kind == "Incident":
        return f"{props.get('offence_code', 'incident')}" + (
            f" DASH {props['dash_grade']}" if props.get("dash_grade") else ""
        )
    if kind == "Outcome":
        return f"{props.get('kind', 'outcome')} {props.get('offence_code') or ''}".strip()
    if kind == "Order":
        return str(props.get("order_type", "order"))
    if kind == "Agency":
        return str(props.get("name") or props.get("code"))
    if kind == "Flag":
        return str(props.get("definition", "flag"))
    if kind == "Address":
        return str(props.get("postcode") or props.get("town") or "address")
    return str(props.get("kind") or props.get("duty") or props.get("uid") or kind)


def _weight(kind: str, props: dict[str, Any]) -> float:
    if kind == "Incident":
        return float(props.get("gravity") or 1)
    if kind == "Outcome" and props.get("kind") == "CONVICTION":
        return 3.0
    return 1.0


def _redact(kind: str, props: dict[str, Any], include_sensitive: bool) -> dict[str, Any]:
    node = vocabulary().model.nodes.get(kind)
    hidden = set(node.sensitive) if node and not include_sensitive else set()
    hidden |= set(vocabulary().model.provenance) - {"source_system"}
    return {k: v for k, v in props.items() if k not in hidden}


def _node(id_: str, labels: list[str], props: dict[str, Any], include_sensitive: bool) -> GraphNode:
    kind = labels[0] if labels else "Node"
    shown = _redact(kind, props, include_sensitive)
    return GraphNode(
        id=id_, kind=kind, caption=_caption(kind, shown), time=_time(props), weight=_weight(kind, props),
        properties={k: (v.isoformat() if isinstance(v, date) else v) for k, v in shown.items()},
    )  # fmt: skip


def case_graph(db: Database, q: CaseGraphQuery) -> CaseGraph:
    """The neighbourhood of one person to ``depth`` steps, filtered by time."""
    start = read(db, "find_person_node", person_id=q.person_id)
    if not start:
        return CaseGraph(person_id=q.person_id, nodes=[], edges=[])
    nodes: dict[str, GraphNode] = {
        start[0]["id"]: _node(start[0]["id"], start[0]["labels"], start[0]["props"], q.include_sensitive)
    }
    edges: dict[str, GraphEdge] = {}
    frontier = [start[0]["id"]]
    for _ in range(q.depth):
        if not frontier:
            break
        rows = read(db, "expand_neighbourhood", ids=frontier, skip_labels=SKIP_LABELS, hub_labels=HUB_LABELS)
        nxt = []
        for r in rows:
            if r["id"] not in nodes:
                n = _node(r["id"], r["labels"], r["props"], q.include_sensitive)
                if n.time and ((q.since and n.time < q.since) or (q.until and n.time > q.until)):
                    continue
                nodes[r["id"]] = n
                nxt.append(r["id"])
            if r["rel_id"] not in edges:
                rp = r["rel_props"]
                edges[r["rel_id"]] = GraphEdge(
                    id=r["rel_id"], source=r["src"], target=r["dst"], kind=r["rel_type"],
                    caption=str(rp.get("kind") or rp.get("role") or ""), time=_time(rp),
                    weight=float(rp.get("probability") or 1.0),
                )  # fmt: skip
        frontier = nxt
    kept = [e for e in edges.values() if e.source in nodes and e.target in nodes]
    return CaseGraph(person_id=q.person_id, nodes=list(nodes.values()), edges=sorted(kept, key=lambda e: e.id))


def timeline(db: Database, person_id: str, since: date | None = None, until: date | None = None) -> list[TimelineEvent]:
    """Everything dated about one person across sources, oldest first (undated events last)."""
    rows = read(db, "find_person_timeline", person_id=person_id, since=since, until=until)
    events = [TimelineEvent(**r) for r in rows]
    return sorted(events, key=lambda e: (e.date is None, e.date or date.min, e.kind, e.uid))
