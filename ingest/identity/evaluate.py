"""How good a clustering is against known truth: pairwise precision, recall and F1; cluster metrics;
and how many true pairs the blocking rules let through (recall after blocking)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Metrics:
    records: int
    true_persons: int
    predicted_persons: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    exact_clusters: float  # share of true persons whose records form exactly one predicted cluster
    bcubed_precision: float
    bcubed_recall: float
    blocking_recall: float | None = None  # true pairs that are candidate pairs
    blocking_reach: float | None = None  # true pairs connected through candidate pairs of the same person

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pairwise_metrics(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Metrics:
    """Compare a predicted clustering (record -> cluster) with the truth (record -> person), over the
    records both know."""
    uids = [u for u in predicted if u in truth]
    pred = Counter(predicted[u] for u in uids)
    true = Counter(truth[u] for u in uids)
    both = Counter((predicted[u], truth[u]) for u in uids)
    tp, pp, tt = _pairs(both.values()), _pairs(pred.values()), _pairs(true.values())
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    # a true person is exact when all its records share one predicted cluster holding nothing else
    exact = sum(1 for (pc, tc), n in both.items() if n == true[tc] == pred[pc])
    n = len(uids) or 1
    bp = sum(c * c / pred[pc] for (pc, _), c in both.items()) / n
    br = sum(c * c / true[tc] for (_, tc), c in both.items()) / n
    return Metrics(
        records=len(uids), true_persons=len(true), predicted_persons=len(pred), true_pairs=tt,
        predicted_pairs=pp, correct_pairs=tp, precision=precision, recall=recall, f1=f1,
        exact_clusters=exact / (len(true) or 1), bcubed_precision=bp, bcubed_recall=br,
    )  # fmt: skip


def blocking_recall(candidates: Iterable[tuple[str, str]], truth: Mapping[str, str]) -> tuple[float, float]:
    """(share of true pairs that are candidate pairs, share of true pairs whose records are connected
    through candidate pairs between records of the same person): the second is what clustering can
    at best recover, since a person's records join through any chain of their own pairs."""
    members: dict[str, list[str]] = {}
    for uid, pid in truth.items():
        members.setdefault(pid, []).append(uid)
    total = _pairs(len(m) for m in members.values())
    if not total:
        return 1.0, 1.0
    parent = {u: u for u in truth}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    direct = 0
    for a, b in candidates:
        pa, pb = truth.get(a), truth.get(b)
        if pa is None or pa != pb:
            continue
        direct += 1
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    reach = _pairs(Counter(find(u) for u in truth).values())
    return direct / total, reach / total


def read_truth(path: Path) -> dict[str, str]:
    """truth/person_truth.csv (record_uid, person_id) as written by the generator."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["record_uid"]: row["person_id"] for row in csv.DictReader(fh)}
