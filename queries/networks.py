"""Networks of people: co-suspects, family, shared victims and shared addresses; connected groups and
their central people. Neo4j Community has no Graph Data Science library, so the links are extracted
with Cypher and analysed with networkx."""

from __future__ import annotations

import networkx as nx

from queries._common import read
from queries.models import GraphEdge, Network, NetworkGroup
from spr.db import Database

FAMILY_KINDS = ["FAMILY"]


def find_networks(db: Database, person_ids: list[str] | None = None, min_size: int = 2, top: int = 3) -> Network:
    """Connected groups (largest first) with their most central members (betweenness, then degree)."""
    rows = read(db, "find_network_edges", person_ids=person_ids, family_kinds=FAMILY_KINDS)
    graph = nx.MultiGraph()
    edges = []
    for k, r in enumerate(rows):
        graph.add_edge(r["a"], r["b"], kind=r["kind"])
        edges.append(GraphEdge(id=f"e{k}", source=r["a"], target=r["b"], kind=r["kind"], caption=r["via"] or ""))
    simple = nx.Graph(graph)
    groups = []
    for comp in sorted(nx.connected_components(simple), key=lambda c: (-len(c), sorted(c))):
        if len(comp) < min_size:
            continue
        sub = simple.subgraph(comp)
        between = nx.betweenness_centrality(sub)
        degree = dict(sub.degree())
        ranked = sorted(comp, key=lambda n: (-between[n], -degree[n], n))
        kinds: dict[str, int] = {}
        for _, _, data in graph.subgraph(comp).edges(data=True):
            kinds[data["kind"]] = kinds.get(data["kind"], 0) + 1
        groups.append(
            NetworkGroup(
                members=sorted(comp),
                central=[(n, round(between[n], 4)) for n in ranked[:top]],
                edges=graph.subgraph(comp).number_of_edges(),
                kinds=kinds,
            )
        )
    return Network(groups=groups, edges=edges)
