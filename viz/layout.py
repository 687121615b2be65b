"""Server-side layout: a radial tree around the subject, computed in linear time.

A case graph is an ego network, so rings by distance from the subject read naturally (victims and
incidents near the centre, agencies and further people outside) and, unlike a force simulation in the
browser, a layout computed here costs the page nothing: a 1,000-node graph is drawn at once.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque

RING_GAP = 220.0
MIN_SPACING = 46.0  # canvas units between neighbours on a ring


def bfs_tree(root: str, adjacency: dict[str, list[str]]) -> tuple[dict[str, int], dict[str, str | None]]:
    """Distance from ``root`` and the BFS parent of every reachable node (neighbours in the given order)."""
    dist: dict[str, int] = {root: 0}
    parent: dict[str, str | None] = {root: None}
    queue = deque([root])
    while queue:
        n = queue.popleft()
        for m in adjacency.get(n, []):
            if m not in dist:
                dist[m] = dist[n] + 1
                parent[m] = n
                queue.append(m)
    return dist, parent


def radial_layout(root: str, nodes: list[str], adjacency: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """(x, y) for every node: rings by distance, each subtree in its own wedge sized by its leaf count.

    Nodes not reachable from ``root`` go on a ring outside the rest."""
    dist, parent = bfs_tree(root, adjacency)
    children: dict[str, list[str]] = defaultdict(list)
    for n in sorted(dist, key=lambda k: (dist[k], k)):
        p = parent[n]
        if p is not None:
            children[p].append(n)

    leaves: dict[str, int] = {}
    for n in sorted(dist, key=lambda k: -dist[k]):
        leaves[n] = max(1, sum(leaves[c] for c in children[n]))

    per_ring: dict[int, int] = defaultdict(int)
    for d in dist.values():
        per_ring[d] += 1
    radius: dict[int, float] = {0: 0.0}
    for d in range(1, max(per_ring, default=0) + 2):
        needed = per_ring.get(d, 0) * MIN_SPACING / (2 * math.pi)
        radius[d] = max(radius[d - 1] + RING_GAP, needed)

    pos: dict[str, tuple[float, float]] = {root: (0.0, 0.0)}
    stack = [(root, 0.0, 2 * math.pi)]
    while stack:
        n, start, span = stack.pop()
        kids = children[n]
        total = sum(leaves[c] for c in kids) or 1
        at = start
        for c in kids:
            share = span * leaves[c] / total
            angle = at + share / 2
            r = radius[dist[c]]
            pos[c] = (round(r * math.cos(angle), 1), round(r * math.sin(angle), 1))
            stack.append((c, at, share))
            at += share

    stray = [n for n in nodes if n not in pos]
    if stray:
        r = radius[max(per_ring, default=0) + 1] + RING_GAP
        r = max(r, len(stray) * MIN_SPACING / (2 * math.pi))
        for k, n in enumerate(stray):
            angle = 2 * math.pi * k / len(stray)
            pos[n] = (round(r * math.cos(angle), 1), round(r * math.sin(angle), 1))
    return pos
