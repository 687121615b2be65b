"""A person's case graph and timeline as neutral nodes and edges (id, kind, caption, time, weight),
from which any view (pyvis page, table, export) renders.

The graph is grown one step at a time from the Person, to ``depth`` steps. Agencies are shown but not
followed (every incident of a force meets there); bookkeeping and identity-review nodes never leave the
database. Nodes dated outside ``since``..``until`` are left out together with what lies beyond them.
Properties the schema marks sensitive (victims' addresses) are left out by the database unless
``include_sensitive``, and so is provenance other than the source.

Each node's properties are read once, however many relationships reach it: a neighbourhood of a thousand
nodes is a few thousand short rows, most of the time spent in the driver decoding them (see
docs/visualisation.md, "The 3-second target, measured").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from typing import Any

from graph_schema.model import vocabulary
from queries._common import native, read
from queries.catalog import load
from queries.models import CaseGraph, CaseGraphQuery, GraphEdge, GraphNode, TimelineEvent
from spr.db import Database

_M = vocabulary().model
# Never returned: bookkeeping, and identity review (review items, analysts' decisions, identity history).
SKIP_LABELS = [
    _M.label(x)
    for x in ("SchemaVersion", "IngestBatch", "PriorityScore", "Alert", "ReviewItem", "ResolutionDecision",
              "IdentityEvent", "User", "AuditEntry", "AuditHead")
]  # fmt: skip
HUB_LABELS = [_M.label(x) for x in ("Agency", "Flag", "Nomination")]
_TIME_PROPS = ("occurred_at", "date", "start_date", "from_date", "departure_date", "notified_at", "assessed_at")
# What names, dates and weighs a node (_caption, _time, _weight): all the expansion returns of one.
SUMMARY_KEYS = (
    "person_id", "display_name", "first_name", "last_name", "source_system", "offence_code", "dash_grade", "kind",
    "order_type", "name", "code", "definition", "postcode", "town", "duty", "uid", "gravity", *_TIME_PROPS,
)  # fmt: skip


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


@cache
def hidden_properties(include_sensitive: bool) -> tuple[dict[str, list[str]], list[str]]:
    """The property keys a case graph never carries, by label (and for any other label): provenance but
    the source, and, unless ``include_sensitive``, what the schema marks sensitive on that label (victims'
    addresses and locations). The database leaves them out; they never reach this process. Shared: not
    to be changed by callers."""
    base = set(_M.provenance) - {"source_system"}
    by_label = {k: sorted(base | (set() if include_sensitive else set(n.sensitive))) for k, n in _M.nodes.items()}
    return by_label, sorted(base)


def _redact(kind: str, props: dict[str, Any], include_sensitive: bool) -> dict[str, Any]:
    by_label, default = hidden_properties(include_sensitive)
    hidden = set(by_label.get(kind, default))
    return {k: v for k, v in props.items() if k not in hidden}


def _iso(props: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in props.items()}


def _stamp(text: str) -> datetime:
    """A date-time sent as Neo4j's ISO 8601 text: "2024-01-05T12:00:00Z", "...+01:00[Europe/London]"."""
    return datetime.fromisoformat(text.split("[", 1)[0])


def _props(keys: list[str], vals: list[Any], stamps: list[int]) -> dict[str, Any]:
    props = {k: native(v) for k, v in zip(keys, vals, strict=True)}
    for i in stamps:
        props[keys[i]] = _stamp(vals[i])
    return props


def _node(id_: str, kind: str, shown: dict[str, Any], props: dict[str, Any] | None = None) -> GraphNode:
    """A node from the properties it shows (``props``, when given, are the unredacted ones)."""
    props = shown if props is None else props
    return GraphNode(
        id=id_, kind=kind, caption=_caption(kind, shown), time=_time(props), weight=_weight(kind, props),
        properties=_iso(shown),
    )  # fmt: skip


def _edge(rel: list[Any], near: str, far: str) -> GraphEdge:
    rel_id, rel_type, _, from_near, caption, on, probability = rel
    return GraphEdge(
        id=rel_id, source=near if from_near else far, target=far if from_near else near, kind=rel_type,
        caption=str(caption or ""), time=native(on), weight=float(probability or 1.0),
    )  # fmt: skip


def _rows(db: Database, name: str, **params: Any) -> list[list[Any]]:
    """The list a catalog query returns as its one row (``nodes``), as the driver decoded it: one record for
    the whole list costs the driver far less than one per item, and nothing is converted item by item."""
    items: list[list[Any]] = db.read_value(load(name), **params)
    return items


def case_graph(db: Database, q: CaseGraphQuery, *, details: bool = True) -> CaseGraph:
    """The neighbourhood of one person to ``depth`` steps, filtered by time.

    Each step returns every node at the far end once, with only what names and dates it, and its
    relationships as short tuples; a node already seen comes back as its relationships alone. Then one
    query reads the other properties of every node (``details``). A view that draws only some of a large
    graph asks for ``details=False`` and then ``node_details`` for the nodes it draws.

    Every step reads in one read transaction (one BEGIN and COMMIT for the lot)."""
    with db.one_read():
        return _case_graph(db, q, details)


def _case_graph(db: Database, q: CaseGraphQuery, details: bool) -> CaseGraph:
    start = read(db, "find_person_node", person_id=q.person_id)
    if not start:
        return CaseGraph(person_id=q.person_id, nodes=[], edges=[])
    by_label, default = hidden_properties(q.include_sensitive)
    first = start[0]
    kind = first["labels"][0] if first["labels"] else "Node"
    nodes = {first["id"]: _node(first["id"], kind, _redact(kind, first["props"], q.include_sensitive), first["props"])}
    left_out: set[str] = set()  # outside the time window, with what lies beyond them
    edges: dict[str, GraphEdge] = {}
    frontier = [first["id"]]
    for _ in range(q.depth):
        if not frontier:
            break
        rows = _rows(
            db, "expand_neighbourhood", ids=frontier, known_ids=[*nodes, *left_out], skip_labels=SKIP_LABELS,
            hub_labels=HUB_LABELS, summary_keys=list(SUMMARY_KEYS), hidden=by_label, hidden_default=default,
        )  # fmt: skip
        nxt = []
        for far, far_kind, keys, vals, stamps, rels in rows:
            if far not in nodes:
                if far in left_out or keys is None:
                    continue
                n = _node(far, far_kind or "Node", _props(keys, vals, stamps))
                if n.time and ((q.since and n.time < q.since) or (q.until and n.time > q.until)):
                    left_out.add(far)
                    continue
                nodes[far] = n
                nxt.append(far)
            for rel in rels:
                if rel[0] not in edges:
                    edges[rel[0]] = _edge(rel, frontier[rel[2]], far)
        frontier = nxt
    kept = [e for e in edges.values() if e.source in nodes and e.target in nodes]
    graph = CaseGraph(person_id=q.person_id, nodes=list(nodes.values()), edges=sorted(kept, key=lambda e: e.id))
    return node_details(db, graph, list(nodes)[1:], q.include_sensitive) if details else graph


def node_details(db: Database, graph: CaseGraph, ids: Iterable[str], include_sensitive: bool) -> CaseGraph:
    """``graph`` with every property of the nodes ``ids`` (less provenance, and less victims' locations
    unless ``include_sensitive``); the other nodes keep what names and dates them."""
    present = {n.id for n in graph.nodes}
    wanted = [i for i in dict.fromkeys(ids) if i in present]
    if not wanted:
        return graph
    by_label, default = hidden_properties(include_sensitive)
    rows = _rows(
        db, "find_node_properties", ids=wanted, hidden=by_label, hidden_default=default, known_keys=list(SUMMARY_KEYS)
    )
    more = {id_: _iso(_props(keys, vals, stamps)) for id_, keys, vals, stamps in rows}
    nodes = [
        n.model_copy(update={"properties": {**n.properties, **more[n.id]}}) if n.id in more else n for n in graph.nodes
    ]
    return graph.model_copy(update={"nodes": nodes})


def timeline(db: Database, person_id: str, since: date | None = None, until: date | None = None) -> list[TimelineEvent]:
    """Everything dated about one person across sources, oldest first (undated events last)."""
    rows = read(db, "find_person_timeline", person_id=person_id, since=since, until=until)
    events = [TimelineEvent(**r) for r in rows]
    return sorted(events, key=lambda e: (e.date is None, e.date or date.min, e.kind, e.uid))
