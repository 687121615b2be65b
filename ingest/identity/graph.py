"""The graph side of identity resolution: PersonRecords in Neo4j -> Persons.

``resolve`` scores new records against everything already held (or, with ``full``, every pair again),
stores the scored pairs as MATCHES edges, and re-clusters only the people those pairs touch.
``recluster`` re-derives the affected Persons from the stored pairs and the analysts' decisions; a
decision (``decide``) therefore takes effect at once and on every later run. Facts hang off
PersonRecords, so a merge or a split only re-points RESOLVES_TO edges; every merge, split and move is
kept as an IdentityEvent.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j import ManagedTransaction

from ingest.identity import cypher as q
from ingest.identity.cluster import cluster_records
from ingest.identity.config import IdentitySettings, identity_settings
from ingest.identity.matching import TrainedModel, load_model, score, train
from ingest.identity.prepare import prepare
from spr.db import Database

PAGE = 20_000
CHUNK = 2_000
METHOD_MODEL, METHOD_ANALYST, METHOD_SINGLE = "splink", "analyst", "singleton"


@dataclass
class ResolveResult:
    records: int = 0
    scored_records: int = 0
    pairs_stored: int = 0
    linked: int = 0  # records whose RESOLVES_TO was written or changed
    persons_created: int = 0
    merges: int = 0
    splits: int = 0
    review_open: int = 0
    refused: int = 0
    model_version: str = ""
    affected_person_ids: list[str] = field(default_factory=list)
    retired_person_ids: list[str] = field(default_factory=list)


def person_id_for(uid: str, salt: int = 0) -> str:
    """A Person's id, from the smallest record uid of its cluster when it is first created."""
    basis = f"rec:{uid}" if salt == 0 else f"rec:{uid}#{salt}"
    return "P-" + hashlib.sha256(basis.encode()).hexdigest()[:20]


def pair_key(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def review_id_for(a: str, b: str) -> str:
    return "R-" + hashlib.sha256(pair_key(a, b).encode()).hexdigest()[:20]


def _chunks(items: Sequence[Any], n: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


# --------------------------------------------------------------------------------------------------
# Reading the records
# --------------------------------------------------------------------------------------------------


def read_records(db: Database) -> list[dict[str, Any]]:
    """Every PersonRecord with the fields the model reads, page by page in uid order."""
    out: list[dict[str, Any]] = []
    after = ""
    while True:
        rows = db.read(q.READ_RECORDS, after=after, limit=PAGE, suspect=q.SUSPECT_IN, victim=q.VICTIM_IN)
        if not rows:
            return out
        for r in rows:
            dob: Any = r.get("dob")
            r["dob"] = dob.to_native() if dob is not None and hasattr(dob, "to_native") else dob
        out.extend(rows)
        after = rows[-1]["uid"]


def train_from_graph(
    db: Database, directory: Path | None = None, *, activate: bool = True
) -> tuple[TrainedModel, Path]:
    """``spr resolve --train``: estimate a new model on the graph's PersonRecords and save it as data."""
    model = train(prepare(read_records(db)))
    return model, model.save(directory, activate=activate)


# --------------------------------------------------------------------------------------------------
# Resolving
# --------------------------------------------------------------------------------------------------


def resolve(
    db: Database,
    record_uids: Sequence[str] | None = None,
    *,
    full: bool = False,
    model: TrainedModel | None = None,
    model_path: Path | None = None,
    cfg: IdentitySettings | None = None,
    at: datetime | None = None,
    threads: int | None = None,
) -> ResolveResult:
    """Resolve PersonRecords to Persons.

    Incremental by default: the given records (or, with none given, every record not yet resolved)
    are scored against all records and the Persons they touch are re-derived. ``full`` scores every
    pair again (after retraining) and re-derives every Person; Person ids are kept where the people
    are the same.
    """
    cfg = cfg or identity_settings()
    model = model or load_model(model_path)
    at = at or datetime.now(UTC)
    records = read_records(db)
    result = ResolveResult(records=len(records), model_version=model.version)
    if not records:
        return result
    known = {r["uid"] for r in records}
    if full:
        new: set[str] | None = None
    elif record_uids is None:
        new = {r["uid"] for r in records if r.get("person_id") is None}
    else:
        new = set(record_uids) & known
    if new is not None and not new:
        return result
    table = prepare(records)
    scored = score(table, model, new_ids=new, min_probability=cfg.thresholds.review, threads=threads)
    explained = scored.explained(cfg.thresholds.review)
    result.scored_records = len(known) if new is None else len(new)
    rows = [{"left": p["left"], "right": p["right"], "probability": p["probability"],
             "match_weight": p["match_weight"], "band": cfg.band(p["probability"]),
             "explanation": json.dumps(p["explanation"], separators=(",", ":"), default=str)}
            for p in explained]  # fmt: skip
    if new is None:
        db.run_auto(q.DELETE_MATCHES_ALL)
    else:
        keys = [pair_key(r["left"], r["right"]) for r in rows]
        for chunk in _chunks(sorted(new)):
            db.write(q.DELETE_STALE_MATCHES, uids=list(chunk), keys=keys)
    for chunk in _chunks(rows):
        db.write(q.WRITE_MATCHES, rows=list(chunk), model_version=model.version, at=at)
    result.pairs_stored = len(rows)
    affected = set(known) if new is None else set(new)
    sub = recluster(db, affected, cfg=cfg, at=at, model_version=model.version)
    for name in ("linked", "persons_created", "merges", "splits", "review_open", "refused"):
        setattr(result, name, getattr(sub, name))
    result.affected_person_ids = sub.affected_person_ids
    result.retired_person_ids = sub.retired_person_ids
    return result


def _expand(db: Database, uids: set[str], review: float) -> set[str]:
    """The records whose Person can change when ``uids`` change: their stored neighbours and every
    member of the Persons of both, to a fixed point."""
    todo, seen = set(uids), set(uids)
    while todo:
        batch = sorted(todo)
        todo = set()
        for chunk in _chunks(batch):
            for r in db.read(q.READ_NEIGHBOURS, uids=list(chunk), min=review):
                if r["uid"] not in seen:
                    seen.add(r["uid"])
                    todo.add(r["uid"])
            for r in db.read(q.READ_PERSON_MEMBERS, uids=list(chunk)):
                if r["uid"] not in seen:
                    seen.add(r["uid"])
                    todo.add(r["uid"])
    return seen


def recluster(
    db: Database,
    uids: Iterable[str],
    *,
    cfg: IdentitySettings | None = None,
    at: datetime | None = None,
    model_version: str | None = None,
    decided_by: str | None = None,
) -> ResolveResult:
    """Re-derive the Persons of ``uids`` (and of everything connected to them) from the stored pairs and
    the analysts' decisions, and write the differences."""
    cfg = cfg or identity_settings()
    at = at or datetime.now(UTC)
    scope = sorted(_expand(db, set(uids), cfg.thresholds.review))
    result = ResolveResult(records=len(scope))
    if not scope:
        return result
    current: dict[str, dict[str, Any]] = {}
    edges: list[tuple[str, str, float, float]] = []
    versions: Counter[str] = Counter()
    decisions: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(scope):
        for r in db.read(q.READ_CURRENT, uids=list(chunk)):
            current[r["uid"]] = r
        for d in db.read(q.READ_DECISIONS, uids=list(chunk)):
            decisions[pair_key(d["left"], d["right"])] = d
    for chunk in _chunks(scope):
        for e in db.read(q.READ_EDGES_AMONG, uids=list(chunk)):
            edges.append((e["left"], e["right"], float(e["probability"]), float(e["match_weight"] or 0.0)))
            versions[e["model_version"]] += 1
    version = model_version or (versions.most_common(1)[0][0] if versions else "")
    result.model_version = version
    same = [(d["left"], d["right"]) for d in decisions.values() if d["decision"] == "SAME"]
    different = [(d["left"], d["right"]) for d in decisions.values() if d["decision"] == "DIFFERENT"]
    idents = {u: [f"pnc_id:{r['pnc_id']}"] for u, r in current.items() if r.get("pnc_id")}
    clustering = cluster_records(
        scope, ((a, b, p) for a, b, p, _ in edges), cfg.thresholds.link,
        source_of={u: r["source_system"] for u, r in current.items()}, one_per_person=cfg.one_per_person,
        identifiers_of=idents, same=same, different=different,
    )  # fmt: skip
    result.refused = len(clustering.refused)
    clusters = clustering.clusters()
    ids = _assign_ids(db, clusters, {u: r.get("person_id") for u, r in current.items()})
    analyst_of = {pair_key(d["left"], d["right"]): d["decided_by"] for d in decisions.values()}
    link_rows: list[dict[str, Any]] = []
    for key, members in clusters.items():
        pid = ids[key]
        for uid in members:
            cur = current[uid]
            partner = clustering.joined_by.get(uid)
            if partner is None or len(members) == 1:
                prob, method, by = 1.0, METHOD_SINGLE, f"model:{version}"
            elif partner[2] == "analyst":
                prob, method = 1.0, METHOD_ANALYST
                by = analyst_of.get(pair_key(uid, partner[0]), "analyst")
            else:
                prob, method, by = partner[1], METHOD_MODEL, f"model:{version}"
            if decided_by and method != METHOD_ANALYST:
                by = decided_by
            old_prob = cur.get("probability")
            same_prob = old_prob is not None and abs(float(old_prob) - prob) < 1e-9
            unchanged = cur.get("person_id") == pid and cur.get("method") == method and same_prob
            if not unchanged:
                link_rows.append({"uid": uid, "person_id": pid, "probability": prob, "method": method,
                                  "decided_by": by, "model_version": version, "decided_at": at})  # fmt: skip
    events, retire, affected = _events(clusters, ids, current, version)
    result.merges = sum(1 for e in events if e["kind"] == "MERGE")
    result.splits = sum(1 for e in events if e["kind"] == "SPLIT")
    old_ids: set[str] = {str(r["person_id"]) for r in current.values() if r.get("person_id")}
    result.persons_created = len(set(ids.values()) - old_ids)
    result.linked = len(link_rows)
    review_rows = _review_rows(edges, clustering, decisions, cfg, version)
    result.review_open = len(review_rows)
    keep_ids = [r["review_id"] for r in review_rows]

    def work(tx: ManagedTransaction, rows: Sequence[dict[str, Any]]) -> None:
        tx.run(q.LINK, rows=list(rows), at=at).consume()

    for chunk in _chunks(link_rows):
        db.execute_write(lambda tx, c=chunk: work(tx, c))  # type: ignore[misc]
    touched = sorted(set(ids.values()) | {str(p) for p in old_ids})
    for chunk in _chunks(touched):
        db.write(q.REFRESH_PERSONS, ids=list(chunk))
    if retire:
        db.write(q.RETIRE_PERSON, rows=retire)
    for chunk in _chunks(sorted(old_ids - set(ids.values()))):
        db.write(q.DELETE_EMPTY_PERSONS, ids=list(chunk))
    if events:
        db.write(q.WRITE_EVENTS, rows=events, at=at)
    for chunk in _chunks(review_rows):
        db.write(q.UPSERT_REVIEW, rows=list(chunk), at=at)
    for chunk in _chunks(scope):
        db.write(q.CLOSE_REVIEWS, uids=list(chunk), keep=keep_ids, status="CLOSED", at=at)
    changed = {r["person_id"] for r in link_rows} | {r["gone"] for r in retire} | affected
    result.affected_person_ids = sorted(changed)
    result.retired_person_ids = sorted(r["gone"] for r in retire)
    return result


def _assign_ids(db: Database, clusters: dict[str, list[str]], current: dict[str, str | None]) -> dict[str, str]:
    """Keep a Person's id for the cluster holding most of its records (ties: the lower id); other
    clusters get a new id from their smallest record uid."""
    votes: list[tuple[int, str, str]] = []
    for key, members in clusters.items():
        counts = Counter(current[u] for u in members if current.get(u))
        votes.extend((-n, str(pid), key) for pid, n in counts.items())
    ids: dict[str, str] = {}
    used: set[str] = set()
    for _, pid, key in sorted(votes):
        if key not in ids and pid not in used:
            ids[key] = pid
            used.add(pid)
    taken = set(used) | {p for p in current.values() if p}
    fresh = [k for k in sorted(clusters) if k not in ids]
    candidates = {k: person_id_for(k) for k in fresh}
    existing = {r["person_id"] for r in db.read(q.EXISTING_PERSON_IDS, ids=sorted(candidates.values()))}
    for key in fresh:
        salt, pid = 0, candidates[key]
        while pid in taken or pid in existing:
            salt += 1
            pid = person_id_for(key, salt)
        ids[key] = pid
        taken.add(pid)
    return ids


def _events(
    clusters: dict[str, list[str]], ids: dict[str, str], current: dict[str, dict[str, Any]], version: str
) -> tuple[list[dict[str, Any]], list[dict[str, str]], set[str]]:
    """MERGE and SPLIT events, Persons to retire (merged away) and the Person ids affected."""
    went: dict[str, dict[str, list[str]]] = {}  # old person id -> new person id -> records
    for key, members in clusters.items():
        for uid in members:
            old = current[uid].get("person_id")
            if old:
                went.setdefault(old, {}).setdefault(ids[key], []).append(uid)
    kept = set(ids.values())
    events: list[dict[str, Any]] = []
    retire: list[dict[str, str]] = []
    affected: set[str] = set()
    merged_into: dict[str, list[str]] = {}
    for old, dest in sorted(went.items()):
        if old not in kept:  # all its records went elsewhere: merged into the Person holding most
            keep = sorted(dest, key=lambda p: (-len(dest[p]), p))[0]
            merged_into.setdefault(keep, []).append(old)
            retire.append({"gone": old, "keep": keep})
            affected |= {old, keep}
        elif len(dest) > 1:
            others = sorted(p for p in dest if p != old)
            moved = sorted(u for p in others for u in dest[p])
            events.append(_event("SPLIT", old, others, moved, version, "records moved to other Persons"))
            affected |= {old, *others}
    for keep, gone in sorted(merged_into.items()):
        moved = sorted(u for g in gone for u in went[g].get(keep, []))
        events.append(_event("MERGE", keep, sorted(gone), moved, version, "Persons found to be one person"))
    return events, retire, affected


def _event(kind: str, pid: str, others: list[str], uids: list[str], version: str, reason: str) -> dict[str, Any]:
    basis = f"{kind}|{pid}|{'|'.join(others)}|{'|'.join(uids)}|{datetime.now(UTC).isoformat()}"
    return {"event_id": "E-" + hashlib.sha256(basis.encode()).hexdigest()[:20], "kind": kind, "person_id": pid,
            "other_person_ids": others, "record_uids": uids, "decided_by": f"model:{version}",
            "model_version": version, "reason": reason}  # fmt: skip


def _review_rows(
    edges: list[tuple[str, str, float, float]],
    clustering: Any,
    decisions: dict[str, dict[str, Any]],
    cfg: IdentitySettings,
    version: str,
) -> list[dict[str, Any]]:
    """Open review items: review-band pairs left in different Persons, and strong pairs a cluster check
    held back; never a pair an analyst has decided."""
    cof = clustering.cluster_of
    refused = {pair_key(r.left, r.right): r.reason for r in clustering.refused}
    out = []
    for a, b, p, w in edges:
        key = pair_key(a, b)
        if key in decisions or cof.get(a) == cof.get(b):
            continue
        if p >= cfg.thresholds.link:
            reason = f"held back: {refused.get(key, 'a cluster check')}"
        elif p >= cfg.thresholds.review:
            reason = "between the review and link thresholds"
        else:
            continue
        out.append({"review_id": review_id_for(a, b), "left": min(a, b), "right": max(a, b), "probability": p,
                    "match_weight": w, "model_version": version, "reason": reason})  # fmt: skip
    return out


def unresolved(db: Database) -> list[str]:
    return [r["uid"] for r in db.read(q.UNRESOLVED)]
