"""A person's case graph as a drawable view, built once from the neutral CaseGraph (queries/).

The steps, each a plain function of the one before:

1. leave out bookkeeping kinds (identity review items, decisions and events);
2. fold each PersonRecord into the Person it resolves to, so that a victim is one node, not one per source
   (``show_records`` keeps them);
3. above ``max_nodes``, keep the nodes nearest the subject and group the rest by the node they hang from
   (an incident, a victim, an agency) and their kind: "37 incidents", one node, with the count;
4. lay the graph out on the server (viz.layout) so the browser draws it without simulating it; only small
   graphs get a short, bounded settling run;
5. style nodes and edges (viz.style) through pyvis's Network, which holds the vis-network data.

Captions and tooltips stay plain text here; the page builds tooltips as text nodes, never as HTML.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pyvis.network import Network

from graph_schema.model import vocabulary
from queries.models import CaseGraph, GraphEdge, GraphNode
from viz.layout import bfs_tree, radial_layout
from viz.style import EDGE_STYLES, NODE_STYLES, SUBJECT_COLOUR, edge_style, node_style

# Flags' evidence is listed on the profile; drawn, it would tie every flag to every incident.
HIDDEN_EDGES = frozenset({"EVIDENCED_BY"})
HIDDEN_KINDS = frozenset(
    {"ReviewItem", "ResolutionDecision", "IdentityEvent", "User", "AuditEntry", "AuditHead", "IngestBatch"}
    | {"SchemaVersion", "PriorityScore", "Alert"}
)
DEFAULT_MAX_NODES = 1200  # drawn as they are; above this, grouped
PHYSICS_MAX_NODES = 150  # small graphs may settle under a bounded simulation; larger ones are drawn still
STABILISATION_ITERATIONS = 120
_KIND_ORDER = {k: i for i, k in enumerate(NODE_STYLES)}
# Properties not worth a line in a tooltip (internal keys and bookkeeping).
_QUIET = frozenset({"uid", "record_version", "lock_token", "password_hash"})


def sensitive_properties() -> frozenset[str]:
    """Every property name the schema marks sensitive on any kind (victims' addresses and locations).

    Applied to every node: a postcode is a location whichever kind carries it."""
    names: set[str] = set()
    for node in vocabulary().model.nodes.values():
        names |= set(node.sensitive)
    return frozenset(names)


@dataclass(frozen=True)
class GroupNote:
    anchor: str
    kind: str
    count: int


@dataclass
class CaseGraphView:
    """What a page needs to draw one case graph, and to say what it left out."""

    person_id: str
    subject_caption: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    options: dict[str, Any]
    legend: list[dict[str, str]]
    edge_legend: list[dict[str, Any]]
    total_nodes: int
    total_edges: int
    groups: list[GroupNote] = field(default_factory=list)
    depth: int | None = None
    since: date | None = None
    until: date | None = None

    @property
    def physics(self) -> bool:
        return bool(self.options["physics"]["enabled"])

    @property
    def grouped_items(self) -> int:
        return sum(g.count for g in self.groups)

    def data(self) -> dict[str, Any]:
        """The JSON the page's script reads (vis-network nodes, edges and options)."""
        return {"person_id": self.person_id, "nodes": self.nodes, "edges": self.edges, "options": self.options}


# -- 1 and 2: what is shown ----------------------------------------------------------------------
def _visible(graph: CaseGraph) -> tuple[dict[str, GraphNode], list[GraphEdge]]:
    nodes = {n.id: n for n in graph.nodes if n.kind not in HIDDEN_KINDS}
    edges = [e for e in graph.edges if e.source in nodes and e.target in nodes and e.kind not in HIDDEN_EDGES]
    return nodes, edges


def _fold_records(
    nodes: dict[str, GraphNode], edges: list[GraphEdge]
) -> tuple[dict[str, GraphNode], list[GraphEdge], dict[str, list[GraphNode]]]:
    owner: dict[str, str] = {}
    for e in edges:
        if e.kind == "RESOLVES_TO" and nodes[e.source].kind == "PersonRecord" and nodes[e.target].kind == "Person":
            owner.setdefault(e.source, e.target)
    records: dict[str, list[GraphNode]] = defaultdict(list)
    for rec, person in owner.items():
        records[person].append(nodes[rec])
    kept = {k: v for k, v in nodes.items() if k not in owner}
    seen: set[tuple[str, str, str]] = set()
    out = []
    for e in edges:
        s, t = owner.get(e.source, e.source), owner.get(e.target, e.target)
        if s == t or (s, t, e.kind) in seen:
            continue
        seen.add((s, t, e.kind))
        out.append(e.model_copy(update={"source": s, "target": t}))
    return kept, out, records


# -- 3: grouping ---------------------------------------------------------------------------------
def _adjacency(nodes: dict[str, GraphNode], edges: list[GraphEdge]) -> dict[str, list[str]]:
    adj: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        adj[e.source].append(e.target)
        adj[e.target].append(e.source)
    # Graver and more connected neighbours first, so they keep their place when the graph is cut.
    for k, vs in adj.items():
        adj[k] = sorted(set(vs), key=lambda v: (-nodes[v].weight, _KIND_ORDER.get(nodes[v].kind, 99), v))
    return adj


def _group(
    root: str, nodes: dict[str, GraphNode], edges: list[GraphEdge], max_nodes: int
) -> tuple[dict[str, GraphNode], list[GraphEdge], list[GroupNote]]:
    if len(nodes) <= max_nodes:
        return nodes, edges, []
    adj = _adjacency(nodes, edges)
    dist, parent = bfs_tree(root, adj)
    order = sorted(nodes, key=lambda n: (dist.get(n, 10**6), -nodes[n].weight, _KIND_ORDER.get(nodes[n].kind, 99), n))
    budget = max(1, int(max_nodes * 0.8))
    keep = set(order[:budget])
    anchor: dict[str, str] = {}
    for n in order[budget:]:
        a: str | None = parent.get(n)
        while a is not None and a not in keep:
            a = parent.get(a)
        anchor[n] = a or root
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for n, a in anchor.items():
        members[(a, nodes[n].kind)].append(n)
    out_nodes = {k: v for k, v in nodes.items() if k in keep}
    out_edges = [e for e in edges if e.source in keep and e.target in keep]
    notes = []
    for (a, kind), ms in sorted(members.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        gid = f"group:{a}:{kind}"
        label = node_style(kind).label.split(" (")[0].lower()
        times = sorted(t for t in (nodes[m].time for m in ms) if t)
        props: dict[str, Any] = {"count": len(ms), "kind": kind, "hangs_from": nodes[a].caption}
        if times:
            props["from"], props["to"] = times[0].isoformat(), times[-1].isoformat()
        props["examples"] = "; ".join(sorted(nodes[m].caption for m in ms)[:10])
        out_nodes[gid] = GraphNode(
            id=gid, kind="Group", caption=f"{len(ms)} × {label}", weight=float(len(ms)), properties=props
        )
        out_edges.append(GraphEdge(id=f"e:{gid}", source=a, target=gid, kind="GROUPED", caption=""))
        notes.append(GroupNote(anchor=nodes[a].caption, kind=kind, count=len(ms)))
    return out_nodes, out_edges, notes


@dataclass
class _Selection:
    subject: str | None
    nodes: dict[str, GraphNode]
    edges: list[GraphEdge]
    records: dict[str, list[GraphNode]]
    notes: list[GroupNote]
    total_nodes: int
    total_edges: int


def _select(graph: CaseGraph, max_nodes: int, show_records: bool) -> _Selection:
    """Steps 1 to 3: what is drawn, folded and grouped. Reads only kinds, captions, times and weights."""
    nodes, edges = _visible(graph)
    subject = next((n.id for n in nodes.values() if n.properties.get("person_id") == graph.person_id), None)
    records: dict[str, list[GraphNode]] = {}
    if not show_records:
        nodes, edges, records = _fold_records(nodes, edges)
    total_nodes, total_edges = len(nodes), len(edges)
    notes: list[GroupNote] = []
    if subject is not None:
        nodes, edges, notes = _group(subject, nodes, edges, max_nodes)
    return _Selection(subject, nodes, edges, records, notes, total_nodes, total_edges)


def drawn_node_ids(graph: CaseGraph, max_nodes: int = DEFAULT_MAX_NODES, show_records: bool = False) -> list[str]:
    """The nodes of ``graph`` a view draws one by one (not folded, not grouped): at most about ``max_nodes``.

    Only these need every property (for their tooltips and details panel); the choice reads only what
    names, dates and weighs a node, so a case graph read without details chooses the same."""
    ids = {n.id for n in graph.nodes}
    return [n for n in _select(graph, max_nodes, show_records).nodes if n in ids]


# -- 5: style ------------------------------------------------------------------------------------
def _tip(node: GraphNode, records: list[GraphNode], hidden: frozenset[str]) -> list[list[str]]:
    lines = [[node_style(node.kind).label.split(" (")[0], node.caption]]
    if node.time:
        lines.append(["date", node.time.isoformat()])
    for k, v in sorted(node.properties.items()):
        if k in _QUIET or k in hidden or v is None or v == [] or v == "":
            continue
        lines.append([k.replace("_", " "), ", ".join(map(str, v)) if isinstance(v, list) else str(v)])
    for r in sorted(records, key=lambda r: r.caption):
        lines.append(["recorded as", r.caption])
    return lines


def _size(node: GraphNode, subject: str, scores: dict[str, float], top_score: float) -> float:
    if node.id == subject:
        return 34.0
    if node.kind == "Incident":
        return 8.0 + 2.4 * min(node.weight, 10.0)  # gravity 1-10
    if node.kind == "Person":
        s = scores.get(str(node.properties.get("person_id")), 0.0)
        return 14.0 + 20.0 * (s / top_score if top_score else 0.0)
    if node.kind == "Group":
        return min(40.0, 12.0 + 4.0 * math.sqrt(node.weight))
    return 12.0


def _edge_width(edge: GraphEdge, nodes: dict[str, GraphNode]) -> float:
    ends = [nodes[edge.source], nodes[edge.target]]
    gravity = max((n.weight for n in ends if n.kind == "Incident"), default=0.0)
    return round(1.0 + gravity / 2.5, 2) if gravity else 1.0


def _options(physics: bool, large: bool) -> dict[str, Any]:
    return {
        "autoResize": True,
        "layout": {"improvedLayout": False},  # positions come from the server
        "physics": {
            "enabled": physics,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "springLength": 180, "avoidOverlap": 0.5},
            "stabilization": {"enabled": True, "iterations": STABILISATION_ITERATIONS, "fit": True},
        },
        "interaction": {
            "hover": True,
            "tooltipDelay": 120,
            "keyboard": {"enabled": True, "bindToWindow": False},
            "navigationButtons": False,
            "hideEdgesOnDrag": large,
        },
        "nodes": {"font": {"size": 13, "face": "system-ui, sans-serif"}, "borderWidth": 1},
        "edges": {
            "smooth": False if large else {"type": "continuous"},
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "font": {"size": 10, "strokeWidth": 3, "align": "middle", "color": "#333333"},
        },
    }


def build_view(
    graph: CaseGraph,
    *,
    include_sensitive: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    show_records: bool = False,
    scores: dict[str, float] | None = None,
    depth: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> CaseGraphView:
    """The drawable view of a case graph. ``scores`` (person_id -> RFGV score) sizes people."""
    scores = scores or {}
    hidden = frozenset() if include_sensitive else sensitive_properties()
    shown = _select(graph, max_nodes, show_records)
    subject, nodes, edges, records, notes = shown.subject, shown.nodes, shown.edges, shown.records, shown.notes
    total_nodes, total_edges = shown.total_nodes, shown.total_edges
    ids = sorted(nodes, key=lambda n: (_KIND_ORDER.get(nodes[n].kind, 99), n))
    pos = radial_layout(subject, ids, _adjacency(nodes, edges)) if subject else {}
    large = len(nodes) > PHYSICS_MAX_NODES
    top_score = max(scores.values(), default=0.0)

    net = Network(directed=True, cdn_resources="in_line")
    for nid in ids:
        n = nodes[nid]
        style = node_style(n.kind)
        x, y = pos.get(nid, (0.0, 0.0))
        is_subject = nid == subject
        net.add_node(
            nid,
            label=n.caption if len(n.caption) <= 40 else n.caption[:39] + "…",
            shape=style.shape,
            color={"background": style.colour, "border": SUBJECT_COLOUR if is_subject else "#333333"},
            size=_size(n, subject or "", scores, top_score),
            x=x,
            y=y,
            borderWidth=4 if is_subject else 1,
            kind=n.kind,
            tip=_tip(n, records.get(nid, []), hidden),
            person_id=n.properties.get("person_id") if n.kind == "Person" else None,
            subject=is_subject,
        )
    for e in edges:
        es = edge_style(e.kind)
        caption = e.caption.replace("_", " ").lower() if e.caption and e.kind != "RESOLVES_TO" else ""
        label = caption or es.label
        tip = [["relationship", e.kind.replace("_", " ").lower()]]
        if e.caption:
            tip.append(["detail", e.caption])
        if e.time:
            tip.append(["date", e.time.isoformat()])
        net.add_edge(
            e.source,
            e.target,
            id=e.id,
            label=label if es.labelled and not large else "",
            width=_edge_width(e, nodes),
            color={"color": es.colour},
            dashes=es.dashes,
            kind=e.kind,
            tip=tip,
        )

    shown_kinds = {nodes[n].kind for n in ids}
    legend = [
        {"kind": k, "label": s.label, "colour": s.colour, "shape": s.shape}
        for k, s in NODE_STYLES.items()
        if k in shown_kinds
    ]
    edge_kinds = {e.kind for e in edges}
    edge_legend: list[dict[str, Any]] = []
    for k, s in EDGE_STYLES.items():
        item = {"kind": k, "label": s.label, "colour": s.colour, "dashes": s.dashes}
        if k in edge_kinds and not any(i["label"] == s.label for i in edge_legend):
            edge_legend.append(item)
    subject_caption = nodes[subject].caption if subject else graph.person_id
    return CaseGraphView(
        person_id=graph.person_id,
        subject_caption=subject_caption,
        nodes=net.nodes,
        edges=net.edges,
        options=_options(physics=not large, large=large),
        legend=legend,
        edge_legend=edge_legend,
        total_nodes=total_nodes,
        total_edges=total_edges,
        groups=notes,
        depth=depth,
        since=since,
        until=until,
    )
