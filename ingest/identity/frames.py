"""Resolution without the graph: records in, clusters out. Used by ``spr resolve --evaluate`` on the
generator's output and by the benchmarks; the graph side (graph.py) calls the same steps."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingest.identity.cluster import Clustering, cluster_records
from ingest.identity.config import IdentitySettings, identity_settings
from ingest.identity.evaluate import Metrics, blocking_recall, pairwise_metrics, read_truth
from ingest.identity.matching import TrainedModel, blocked_pairs, load_model, score, train
from ingest.identity.prepare import prepare, read_person_table


@dataclass
class FrameResolution:
    table: pa.Table
    pairs: list[tuple[str, str, float, float]]  # (left, right, probability, match_weight), left < right
    clustering: Clustering
    model: TrainedModel
    seconds: dict[str, float] = field(default_factory=dict)


def cluster_frame(
    table: pa.Table,
    pairs: Iterable[tuple[str, str, float, float]],
    cfg: IdentitySettings,
    *,
    same: Iterable[tuple[str, str]] = (),
    different: Iterable[tuple[str, str]] = (),
) -> Clustering:
    """Cluster the frame's records; the sources and identifiers the cluster checks read are looked up only
    for the records of pairs at link strength and of decisions."""
    pairs = list(pairs)
    same, different = list(same), list(different)
    involved = {u for a, b, p, _ in pairs if p >= cfg.thresholds.link for u in (a, b)}
    involved |= {u for pair in (*same, *different) for u in pair}
    names = ["unique_id", "source_system", *(n for n in cfg.conflicting_identifiers if n in table.column_names)]
    mask = pc.is_in(table.column("unique_id"), value_set=pa.array(sorted(involved), pa.string()))
    sub = table.filter(mask).select(names).to_pylist()
    idents = {
        r["unique_id"]: [f"{n}:{r[n]}" for n in cfg.conflicting_identifiers if r.get(n)]
        for r in sub
        if any(r.get(n) for n in cfg.conflicting_identifiers)
    }
    return cluster_records(
        set(table.column("unique_id").to_pylist()),
        ((a, b, p) for a, b, p, _ in pairs),
        cfg.thresholds.link,
        source_of={r["unique_id"]: r["source_system"] for r in sub},
        one_per_person=cfg.one_per_person,
        identifiers_of=idents,
        same=same,
        different=different,
    )


def resolve_frame(
    table: pa.Table,
    model: TrainedModel,
    *,
    cfg: IdentitySettings | None = None,
    threads: int | None = None,
    same: Iterable[tuple[str, str]] = (),
    different: Iterable[tuple[str, str]] = (),
) -> FrameResolution:
    """Score every candidate pair of ``table`` and cluster them."""
    cfg = cfg or identity_settings()
    t0 = time.perf_counter()
    scored = score(table, model, min_probability=cfg.thresholds.review, threads=threads, cfg=cfg)
    pairs = scored.pairs()
    scored.close()  # free DuckDB's tables before clustering
    t1 = time.perf_counter()
    clustering = cluster_frame(table, pairs, cfg, same=same, different=different)
    t2 = time.perf_counter()
    return FrameResolution(table, pairs, clustering, model, {"score": t1 - t0, "cluster": t2 - t1})


@dataclass
class Evaluation:
    metrics: Metrics
    model_version: str
    review_pairs: int
    refused: int
    seconds: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {"model_version": self.model_version, "review_pairs": self.review_pairs, "refused": self.refused,
                "seconds": self.seconds, **self.metrics.as_dict()}  # fmt: skip


def evaluate_records(
    records: Sequence[Mapping[str, Any]],
    truth: Mapping[str, str],
    *,
    model: TrainedModel | None = None,
    train_model: bool = False,
    threads: int | None = None,
    cfg: IdentitySettings | None = None,
) -> Evaluation:
    """Resolve ``records`` and compare with ``truth``; trains on them first (without labels) when asked."""
    t0 = time.perf_counter()
    table = prepare(records)
    return evaluate_table(table, truth, model=model, train_model=train_model, threads=threads, cfg=cfg,
                          seconds={"prepare": time.perf_counter() - t0})  # fmt: skip


def evaluate_table(
    table: pa.Table,
    truth: Mapping[str, str],
    *,
    model: TrainedModel | None = None,
    train_model: bool = False,
    threads: int | None = None,
    cfg: IdentitySettings | None = None,
    seconds: dict[str, float] | None = None,
) -> Evaluation:
    """Resolve a prepared frame and compare with ``truth``; trains on it first (without labels) when asked."""
    cfg = cfg or identity_settings()
    t1 = time.perf_counter()
    if train_model or model is None:
        model = train(table, cfg=cfg)
    t2 = time.perf_counter()
    res = resolve_frame(table, model, cfg=cfg, threads=threads)
    t3 = time.perf_counter()
    m = pairwise_metrics(res.clustering.cluster_of, truth)
    cand = blocked_pairs(table).select("unique_id_l, unique_id_r").fetchall()
    known = {u: truth[u] for u in res.clustering.cluster_of if u in truth}
    direct, reach = blocking_recall(((str(a), str(b)) for a, b in cand), known)
    m = Metrics(**{**m.as_dict(), "blocking_recall": direct, "blocking_reach": reach})
    cof = res.clustering.cluster_of
    review = sum(1 for a, b, p, _w in res.pairs if p < cfg.thresholds.link and cof[a] != cof[b])
    return Evaluation(m, model.version, review, len(res.clustering.refused),
                      {**(seconds or {}), "train": t2 - t1, "resolve": t3 - t2, **res.seconds})  # fmt: skip


def evaluate_directory(directory: Path, *, model_path: Path | None = None, train_model: bool = False,
                       threads: int | None = None) -> Evaluation:  # fmt: skip
    """``spr resolve --evaluate``: the generator's person.ndjson against its truth/person_truth.csv."""
    seconds: dict[str, float] = {}
    table = read_person_table(directory, threads=threads, seconds=seconds)
    truth = read_truth(directory / "truth" / "person_truth.csv")
    model = None if train_model else load_model(model_path)
    return evaluate_table(table, truth, model=model, train_model=train_model, threads=threads, seconds=seconds)
