"""Scored pairs -> clusters (one per person), with the guards against chains of weak links.

Plain connected components at a threshold let one wrong link join two people, and a chain of them
join many. Here pairs are joined strongest first (greedy, deterministic), and a join is refused
when the two sides already hold records that cannot be one person: two records of a source that holds
one record per person, different identifiers (PNC ids), or a pair an analyst said are different
people. Analyst "same person" decisions are applied first and always hold. Refused pairs are returned
so that an analyst can look at them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field


@dataclass
class _Set:
    members: list[str]
    one_per_source: dict[str, str] = field(default_factory=dict)
    identifiers: set[str] = field(default_factory=set)
    cannot: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Refusal:
    left: str
    right: str
    probability: float
    reason: str


class ClusterOf(Mapping[str, str]):
    """Record uid -> cluster key for every record: a record in no pair is its own cluster, so only the
    records that were joined are held (a national frame has millions of records in no pair)."""

    def __init__(self, universe: AbstractSet[str], joined: dict[str, str]) -> None:
        self._universe, self._joined = universe, joined

    def __getitem__(self, uid: str) -> str:
        key = self._joined.get(uid)
        if key is not None:
            return key
        if uid in self._universe:
            return uid
        raise KeyError(uid)

    def __iter__(self) -> Iterator[str]:
        return iter(self._universe)

    def __len__(self) -> int:
        return len(self._universe)

    def __contains__(self, uid: object) -> bool:
        return uid in self._universe

    def joined(self) -> dict[str, str]:
        """The records that share a cluster with another record."""
        return self._joined


@dataclass
class Clustering:
    cluster_of: Mapping[str, str]  # record uid -> cluster key (its smallest member uid)
    refused: list[Refusal]
    joined_by: dict[str, tuple[str, float, str]]  # record uid -> (partner uid, probability, how)

    def clusters(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for uid, key in self.cluster_of.items():
            out.setdefault(key, []).append(uid)
        for members in out.values():
            members.sort()
        return out

    def persons(self) -> int:
        """The number of clusters."""
        if isinstance(self.cluster_of, ClusterOf):
            joined = self.cluster_of.joined()
            return len(self.cluster_of) - len(joined) + len(set(joined.values()))
        return len(set(self.cluster_of.values()))


def cluster_records(
    uids: Iterable[str],
    pairs: Iterable[tuple[str, str, float]],
    threshold: float,
    *,
    source_of: Mapping[str, str] | Callable[[str], str | None] | None = None,
    one_per_person: Callable[[str], bool] | None = None,
    identifiers_of: Mapping[str, Iterable[str]] | None = None,
    same: Iterable[tuple[str, str]] = (),
    different: Iterable[tuple[str, str]] = (),
) -> Clustering:
    """Cluster ``uids`` with the scored ``pairs`` at or above ``threshold`` under the guards above.

    Only the records of pairs at the threshold and of analysts' decisions are looked at; every other
    record stays a cluster of its own, so the work follows the pairs, not the records."""
    universe: AbstractSet[str] = uids if isinstance(uids, AbstractSet) else set(uids)
    sets: dict[str, _Set] = {}
    parent: dict[str, str] = {}
    sources: Callable[[str], str | None] = (
        (lambda _u: None) if source_of is None else source_of.get if isinstance(source_of, Mapping) else source_of
    )
    identifiers_of = identifiers_of or {}
    cannot: dict[str, set[str]] = {}
    for a, b in different:
        if a in universe and b in universe:
            cannot.setdefault(a, set()).add(b)
            cannot.setdefault(b, set()).add(a)

    def node(uid: str) -> str:
        if uid not in parent:
            parent[uid] = uid
            s = _Set([uid])
            src = sources(uid)
            if src is not None and one_per_person is not None and one_per_person(src):
                s.one_per_source[src] = uid
            s.identifiers.update(i for i in identifiers_of.get(uid, ()) if i)
            s.cannot |= cannot.get(uid, set())
            sets[uid] = s
        return uid

    def find(x: str) -> str:
        root = node(x)
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def conflict(ra: str, rb: str) -> str | None:
        a, b = sets[ra], sets[rb]
        small, big = (a, b) if len(a.members) <= len(b.members) else (b, a)
        if any(m in big.cannot for m in small.members):
            return "an analyst decided these are different people"
        for src in small.one_per_source.keys() & big.one_per_source.keys():
            return f"both hold a record of {src}, which holds one record per person"
        if a.identifiers and b.identifiers and a.identifiers.isdisjoint(b.identifiers):
            return "different identifiers (PNC ids)"
        return None

    def union(ra: str, rb: str) -> None:
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        a, b = sets[keep], sets.pop(gone)
        a.members.extend(b.members)
        for src, uid in b.one_per_source.items():
            a.one_per_source.setdefault(src, uid)
        a.identifiers |= b.identifiers
        a.cannot |= b.cannot
        parent[gone] = keep

    joined_by: dict[str, tuple[str, float, str]] = {}
    for a, b in sorted(tuple(sorted(p)) for p in same):
        if a not in universe or b not in universe:
            continue
        ra, rb = find(a), find(b)
        if ra != rb and not any(m in sets[rb].cannot for m in sets[ra].members):
            union(ra, rb)
        joined_by.setdefault(a, (b, 1.0, "analyst"))
        joined_by.setdefault(b, (a, 1.0, "analyst"))
    refused: list[Refusal] = []
    strong = sorted(((p, a, b) for a, b, p in pairs if p >= threshold and a in universe and b in universe),
                    key=lambda t: (-t[0], t[1], t[2]))  # fmt: skip
    for p, a, b in strong:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        why = conflict(ra, rb)
        if why:
            refused.append(Refusal(min(a, b), max(a, b), p, why))
            continue
        union(ra, rb)
        joined_by.setdefault(a, (b, p, "model"))
        joined_by.setdefault(b, (a, p, "model"))
    key_of = {root: min(s.members) for root, s in sets.items() if len(s.members) > 1}
    joined = {uid: key_of[root] for uid in parent if (root := find(uid)) in key_of}
    return Clustering(ClusterOf(universe, joined), refused, joined_by)
