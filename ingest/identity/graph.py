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
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

import pyarrow as pa
from neo4j import ManagedTransaction

from ingest.identity import cypher as q
from ingest.identity.cluster import cluster_records
from ingest.identity.config import IdentitySettings, identity_settings
from ingest.identity.keys import key_rows, key_version, lookups, merge_tables, uncovered_rules
from ingest.identity.matching import TrainedModel, load_model, score, train
from ingest.identity.prepare import RAW_SCHEMA, SCHEMA, prepare_fast, raw_row
from spr.db import Database

READ_BATCH = 20_000  # records prepared into one Arrow batch while reading
CHUNK = 5_000  # rows per write transaction (UNWIND)
METHOD_MODEL, METHOD_ANALYST, METHOD_SINGLE = "splink", "analyst", "singleton"
METHOD_EXACT = "exact"  # ingest.identity_exact: linked on PNC id only, never scored by the model

log = logging.getLogger(__name__)


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
    read_records: int = 0  # PersonRecords read into the frame (all of them, or those sharing a key)
    keys_written: int = 0  # records whose blocking keys were stored
    keys_backfilled: int = 0  # of those, records held before and found without keys (or changed since)
    affected_person_ids: list[str] = field(default_factory=list)  # Persons whose records changed
    retired_person_ids: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # wall time of each step


@dataclass(frozen=True)
class Current:
    """What the graph holds about one record before a run: what the cluster checks read, and its link."""

    source_system: str
    pnc_id: str | None
    person_id: str | None = None
    method: str | None = None
    probability: float | None = None

    @property
    def by_model(self) -> bool:
        """Resolved by the model or an analyst (not only by the exact-identifier stage, or not at all)."""
        return self.person_id is not None and self.method != METHOD_EXACT


@dataclass
class GraphFrame:
    table: pa.Table  # the model's frame (prepare.SCHEMA), one row per PersonRecord
    current: dict[str, Current]
    key_versions: dict[str, str | None] = field(default_factory=dict)  # the derivation of each record's keys


class _Clock:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds, self.t = seconds, time.perf_counter()

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = round(self.seconds.get(step, 0.0) + now - self.t, 3)
        log.info("identity resolution: %s took %.1f s", step, now - self.t)
        self.t = now


def person_id_for(uid: str, salt: int = 0) -> str:
    """A Person's id, from the smallest record uid of its cluster when it is first created."""
    basis = f"rec:{uid}" if salt == 0 else f"rec:{uid}#{salt}"
    return "P-" + hashlib.sha256(basis.encode()).hexdigest()[:20]


def pair_key(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def review_id_for(a: str, b: str) -> str:
    return "R-" + hashlib.sha256(pair_key(a, b).encode()).hexdigest()[:20]


def _chunks(items: Sequence[Any], n: int = CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield list(items[i : i + n])


def _pnc(value: Any) -> str | None:
    return str(value or "").strip().upper() or None


# --------------------------------------------------------------------------------------------------
# Reading the records
# --------------------------------------------------------------------------------------------------


def read_frame(db: Database, *, threads: int | None = None, uids: Sequence[str] | None = None) -> GraphFrame:
    """Every PersonRecord (or, with ``uids``, those of them the graph holds) as the model's frame, and its
    current link, in one streamed read: records are collected into Arrow a batch at a time as they arrive
    and prepared together in DuckDB."""
    reads: list[tuple[LiteralString, dict[str, Any]]]
    if uids is None:
        reads = [(q.READ_RECORDS, {})]
    else:
        reads = [(q.READ_RECORDS_OF, {"uids": chunk}) for chunk in _chunks(sorted(set(uids)))]

    def work(tx: ManagedTransaction) -> tuple[list[pa.RecordBatch], dict[str, Current], dict[str, str | None]]:
        current: dict[str, Current] = {}
        versions: dict[str, str | None] = {}
        batches: list[pa.RecordBatch] = []
        rows: list[dict[str, Any]] = []
        for query, params in reads:
            res = tx.run(query, suspect=q.SUSPECT_IN, victim=q.VICTIM_IN, **params)
            keys = res.keys()
            for rec in res:
                r = dict(zip(keys, rec.values(), strict=True))  # Record.data() costs twice the whole read
                row = _raw(r, current, versions)
                rows.append(row)
                if len(rows) >= READ_BATCH:
                    batches.append(pa.RecordBatch.from_pylist(rows, schema=RAW_SCHEMA))
                    rows = []
        if rows:
            batches.append(pa.RecordBatch.from_pylist(rows, schema=RAW_SCHEMA))
        return batches, current, versions

    batches, current, versions = db.execute_read(work)
    raw = pa.Table.from_batches(batches, schema=RAW_SCHEMA)
    return GraphFrame(prepare_fast(raw, threads=threads), current, versions)


def _raw(r: dict[str, Any], current: dict[str, Current], versions: dict[str, str | None]) -> dict[str, Any]:
    """One row of READ_RECORDS as a raw frame row; its link goes to ``current``, its keys' version to
    ``versions``."""
    address = r.pop("address")
    a_postcode, a_line1, a_town = address[0] if address else (None, None, None)
    own = r["postcode"]
    r["postcode"] = own if own is not None else a_postcode
    r["address_line1"] = a_line1 if own is None or own == a_postcode else None
    r["town"] = a_town
    dob = r.get("dob")
    r["dob"] = dob.to_native() if dob is not None and hasattr(dob, "to_native") else dob
    links = sorted(r.pop("links"), key=lambda x: str(x.get("person_id")))
    link = links[0] if links else {}
    row = raw_row(r)
    prob = link.get("probability")
    current[row["uid"]] = Current(
        r.get("source_system") or row["uid"].split("/", 1)[0], _pnc(r.get("pnc_id")),
        link.get("person_id"), link.get("method"), None if prob is None else float(prob),
    )  # fmt: skip
    versions[row["uid"]] = r.pop("block_version", None)
    return row


def train_from_graph(
    db: Database, directory: Path | None = None, *, activate: bool = True
) -> tuple[TrainedModel, Path]:
    """``spr resolve --train``: estimate a new model on the graph's PersonRecords and save it as data."""
    model = train(read_frame(db).table)
    return model, model.save(directory, activate=activate)


# --------------------------------------------------------------------------------------------------
# Resolving
# --------------------------------------------------------------------------------------------------

Edge = tuple[str, str, float, float]  # left uid < right uid, probability, match weight


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
    keyed: bool = True,
) -> ResolveResult:
    """Resolve PersonRecords to Persons.

    Incremental by default: the given records (or, with none given, every record the model has not
    resolved: no Person yet, or linked by the exact-identifier stage only) are scored against all
    records and the Persons they touch are re-derived. Only the records that share a blocking key with
    them are read (``keyed``; False reads every record, as before the keys were stored: the same pairs).
    ``full`` scores every pair again (after retraining) and re-derives every Person; Person ids are kept
    where the people are the same.
    """
    cfg = cfg or identity_settings()
    model = model or load_model(model_path)
    at = at or datetime.now(UTC)
    result = ResolveResult(model_version=model.version)
    clock = _Clock(result.seconds)
    frame, new, result.records = _frame(db, record_uids, full=full, keyed=keyed, cfg=cfg, threads=threads,
                                        result=result, clock=clock)  # fmt: skip
    known = frame.current
    result.read_records = len(known)
    if not new:
        return result
    everything = len(new) == result.records
    scored = score(frame.table, model, new_ids=None if everything else new, min_probability=cfg.thresholds.review,
                   threads=threads, cfg=cfg)  # fmt: skip
    clock("score")
    result.scored_records = len(new)
    edges: list[Edge] = []
    keep: dict[str, list[str]] = {u: [] for u in new}
    for batch in scored.explained_batches(cfg.thresholds.review):
        rows = []
        for p in batch:
            a, b = p["left"], p["right"]
            edges.append((a, b, p["probability"], p["match_weight"]))
            for x, y in ((a, b), (b, a)):
                if x in keep:
                    keep[x].append(y)
            rows.append({"left": a, "right": b, "probability": p["probability"], "match_weight": p["match_weight"],
                         "band": cfg.band(p["probability"]),
                         "explanation": json.dumps(p["explanation"], separators=(",", ":"), default=str)})  # fmt: skip
        for chunk in _chunks(rows):
            db.write(q.WRITE_MATCHES, rows=chunk, model_version=model.version, at=at)
    scored.close()
    result.pairs_stored = len(edges)
    if everything:  # one read of the stored pairs beats a look-up per record
        fresh = {(a, b) for a, b, _, _ in edges}
        stale = [{"left": r["left"], "right": r["right"]} for r in db.read(q.ALL_MATCHES)
                 if (r["left"], r["right"]) not in fresh]  # fmt: skip
        for chunk in _chunks(stale):
            db.write(q.DELETE_MATCHES, rows=chunk)
    else:
        for chunk in _chunks(sorted(new)):
            db.write(q.DELETE_STALE_MATCHES, rows=[{"uid": u, "keep": keep[u]} for u in chunk])
    clock("write pairs")
    # The Persons of records that came in changed (not a re-run of every pair) take their names, date of birth
    # and sex from them again, whether or not their links change.
    changed = set() if full else new
    if everything:  # every record was scored: the pairs just written are all the graph holds
        sub = _recluster(db, sorted(known), known, edges, cfg=cfg, at=at, version=model.version, clock=clock,
                         refresh=changed)  # fmt: skip
    else:
        sub = recluster(db, new, cfg=cfg, at=at, model_version=model.version, current=known, clock=clock,
                        refresh=changed)  # fmt: skip
    for name in ("linked", "persons_created", "merges", "splits", "review_open", "refused"):
        setattr(result, name, getattr(sub, name))
    result.affected_person_ids = sub.affected_person_ids
    result.retired_person_ids = sub.retired_person_ids
    return result


def _frame(
    db: Database,
    record_uids: Sequence[str] | None,
    *,
    full: bool,
    keyed: bool,
    cfg: IdentitySettings,
    threads: int | None,
    result: ResolveResult,
    clock: _Clock,
) -> tuple[GraphFrame, set[str], int]:
    """The frame to score, the records to score as new, and how many records the register holds.

    Incremental and keyed: the new records, and the records sharing a blocking key (or an incident in the
    same part) with them, found by index seeks: every pair the full frame would score with a new record
    is in this frame. Records whose keys are missing or were derived otherwise (stored before keys
    existed, loaded in bulk, changed since) get them first; when that is most of the register, the whole
    register is read instead, and every record's keys are written from that read."""
    version = key_version()
    uncovered = uncovered_rules(cfg)
    if uncovered and keyed and not full:
        log.warning("identity resolution: no stored key for the blocking rule(s) %s: reading every record",
                    ", ".join(uncovered))  # fmt: skip
    if full or not keyed or uncovered:
        return _whole(db, record_uids, full=full, version=version, threads=threads, result=result, clock=clock)
    total = int(db.read(q.COUNT_RECORDS)[0]["n"])
    wanted = unresolved(db) if record_uids is None else sorted(set(record_uids))
    if not wanted:
        clock("read")
        return GraphFrame(SCHEMA.empty_table(), {}), set(), total
    if len(wanted) * 2 >= total:  # most of the register is new: one scan beats a seek per record
        return _whole(db, record_uids, full=False, version=version, threads=threads, result=result, clock=clock)
    fresh = read_frame(db, threads=threads, uids=wanted)
    new = set(fresh.current)
    result.keys_written += _store_keys(db, fresh.table, version)
    clock("read")
    unkeyed = total - int(db.read(q.COUNT_KEYED, version=version)[0]["n"])
    if unkeyed:
        lacking = sorted({r["uid"] for r in db.read(q.UNKEYED, version=version)} - new)
        if len(lacking) * 2 >= total:
            log.warning("identity resolution: %d of %d records have no blocking keys yet: reading every record "
                        "once and storing their keys", len(lacking), total)  # fmt: skip
            return _whole(db, record_uids, full=False, version=version, threads=threads, result=result, clock=clock)
        log.warning("identity resolution: computing the blocking keys of %d record(s) stored without them "
                    "(or changed since)", len(lacking))  # fmt: skip
        for i, chunk in enumerate(_chunks(lacking, READ_BATCH)):
            result.keys_written += _store_keys(db, read_frame(db, threads=threads, uids=chunk).table, version)
            log.warning("identity resolution: blocking keys stored for %d of %d record(s)",
                        min((i + 1) * READ_BATCH, len(lacking)), len(lacking))  # fmt: skip
        result.keys_backfilled = len(lacking)
        clock("backfill keys")
    values, events = lookups(fresh.table)
    parts = {"S": q.SUSPECT_IN, "V": q.VICTIM_IN, "W": q.WITNESS_IN}
    incidents = [{**e, "type": parts[e["part"]]} for e in events if e["part"] in parts]
    found: set[str] = set()
    for i in range(0, max([len(v) for v in values.values()] + [len(incidents), 1]), CHUNK):
        some = {prop: vals[i : i + CHUNK] for prop, vals in values.items() if vals[i : i + CHUNK]}
        found |= {r["uid"] for r in db.read(q.FIND_CANDIDATES, values=some, events=incidents[i : i + CHUNK])}
    clock("find candidates")
    held = read_frame(db, threads=threads, uids=sorted(found - new))
    clock("read")
    frame = GraphFrame(merge_tables((fresh.table, held.table), SCHEMA), {**held.current, **fresh.current})
    log.info("identity resolution: %d new record(s), %d of %d records read", len(new), len(frame.current), total)
    return frame, new, total


def _whole(
    db: Database,
    record_uids: Sequence[str] | None,
    *,
    full: bool,
    version: str,
    threads: int | None,
    result: ResolveResult,
    clock: _Clock,
) -> tuple[GraphFrame, set[str], int]:
    """Every record read; the keys of those whose keys are missing or stale are written from that read."""
    frame = read_frame(db, threads=threads)
    clock("read")
    known = frame.current
    if full:
        new = set(known)
    elif record_uids is None:
        new = {u for u, c in known.items() if not c.by_model}
    else:
        new = set(record_uids) & known.keys()
    stale = {u for u, v in frame.key_versions.items() if v != version}
    if stale:
        result.keys_written += _store_keys(db, frame.table, version, stale)
        clock("store keys")
    return frame, new, len(known)


def _store_keys(db: Database, table: pa.Table, version: str, only: set[str] | None = None) -> int:
    rows = key_rows(table, only)
    for chunk in _chunks(rows):
        db.write(q.WRITE_KEYS, rows=chunk, version=version)
    return len(rows)


def _expand(db: Database, uids: set[str], review: float) -> set[str]:
    """The records whose Person can change when ``uids`` change: their stored neighbours and every
    member of the Persons of both, to a fixed point."""
    todo, seen = set(uids), set(uids)
    while todo:
        batch = sorted(todo)
        todo = set()
        for chunk in _chunks(batch):
            for query, params in ((q.READ_NEIGHBOURS, {"min": review}), (q.READ_PERSON_MEMBERS, {})):
                for r in db.read(query, uids=chunk, **params):
                    if r["uid"] not in seen:
                        seen.add(r["uid"])
                        todo.add(r["uid"])
    return seen


def _read_current(db: Database, scope: Sequence[str]) -> dict[str, Current]:
    out: dict[str, Current] = {}
    for chunk in _chunks(scope):
        for r in db.read(q.READ_CURRENT, uids=chunk):
            prob = r.get("probability")
            source = r["source_system"] or r["uid"].split("/", 1)[0]
            out[r["uid"]] = Current(source, _pnc(r.get("pnc_id")), r.get("person_id"), r.get("method"),
                                    None if prob is None else float(prob))  # fmt: skip
    return out


def _read_edges(db: Database, scope: Sequence[str]) -> tuple[list[Edge], Counter[str]]:
    """The stored pairs with both records in ``scope``."""
    inside = set(scope)
    edges: list[Edge] = []
    versions: Counter[str] = Counter()
    for chunk in _chunks(scope):
        for e in db.read(q.READ_EDGES_FROM, uids=chunk):
            if e["right"] in inside:
                edges.append((e["left"], e["right"], float(e["probability"]), float(e["match_weight"] or 0.0)))
                versions[e["model_version"]] += 1
    return edges, versions


def _read_decisions(db: Database, scope: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The latest decision on each pair with a record in ``scope``, by pair key."""
    if len(scope) > CHUNK:
        inside = set(scope)
        rows = [d for d in db.read(q.READ_ALL_DECISIONS) if d["left"] in inside or d["right"] in inside]
    else:
        rows = db.read(q.READ_DECISIONS, uids=list(scope))
    return {pair_key(d["left"], d["right"]): d for d in rows}


def recluster(
    db: Database,
    uids: Iterable[str],
    *,
    cfg: IdentitySettings | None = None,
    at: datetime | None = None,
    model_version: str | None = None,
    decided_by: str | None = None,
    current: Mapping[str, Current] | None = None,
    clock: _Clock | None = None,
    refresh: Iterable[str] = (),
) -> ResolveResult:
    """Re-derive the Persons of ``uids`` (and of everything connected to them) from the stored pairs and
    the analysts' decisions, and write the differences. ``current``, what the caller has just read of the
    records (``read_frame``), saves reading their links again; the rest of the scope is read here. The
    Persons of the records in ``refresh`` take their names, date of birth and sex from their records again."""
    cfg = cfg or identity_settings()
    at = at or datetime.now(UTC)
    clock = clock or _Clock({})
    scope = sorted(_expand(db, set(uids), cfg.thresholds.review))
    if not scope:
        return ResolveResult()
    held = {u: current[u] for u in scope if u in current} if current is not None else {}
    held |= _read_current(db, [u for u in scope if u not in held])  # beyond the records the caller read
    edges, versions = _read_edges(db, scope)
    clock("read neighbourhood")
    version = model_version or (versions.most_common(1)[0][0] if versions else "")
    return _recluster(db, scope, held, edges, cfg=cfg, at=at, version=version, decided_by=decided_by, clock=clock,
                      refresh=refresh)  # fmt: skip


@dataclass
class Plan:
    """What a clustering changes: the Persons' ids, the links to write, the identity events, the Persons
    merged away, and the open review items. ``_recluster`` writes it online; ``ingest.identity.offline``
    writes a first resolution as import files."""

    result: ResolveResult
    ids: dict[str, str]  # cluster key -> Person id
    link_rows: list[dict[str, Any]]
    events: list[dict[str, Any]]
    retire: list[dict[str, str]]
    moved: set[str]  # Persons that gained or lost records
    affected: set[str]
    clusters: dict[str, list[str]]  # cluster key -> its record uids
    old_ids: set[str]
    review_rows: list[dict[str, Any]]


def plan(
    scope: Sequence[str],
    current: Mapping[str, Current],
    edges: Sequence[Edge],
    decisions: dict[str, dict[str, Any]],
    *,
    cfg: IdentitySettings,
    version: str,
    existing: Callable[[Sequence[str]], set[str]],
    decided_by: str | None = None,
) -> Plan:
    """Cluster ``scope`` from ``edges`` and the decisions, and say what changes against ``current``.
    ``existing``: which of some new Person ids the register already holds."""
    result = ResolveResult(records=len(scope), model_version=version)
    same = [(d["left"], d["right"]) for d in decisions.values() if d["decision"] == "SAME"]
    different = [(d["left"], d["right"]) for d in decisions.values() if d["decision"] == "DIFFERENT"]
    idents = {u: [f"pnc_id:{c.pnc_id}"] for u, c in current.items() if c.pnc_id}
    clustering = cluster_records(
        scope, ((a, b, p) for a, b, p, _ in edges), cfg.thresholds.link,
        source_of={u: c.source_system for u, c in current.items()}, one_per_person=cfg.one_per_person,
        identifiers_of=idents, same=same, different=different,
    )  # fmt: skip
    result.refused = len(clustering.refused)
    clusters = clustering.clusters()
    ids = _assign_ids(existing, clusters, {u: c.person_id for u, c in current.items()})
    analyst_of = {pair_key(d["left"], d["right"]): d["decided_by"] for d in decisions.values()}
    link_rows: list[dict[str, Any]] = []
    moved: set[str] = set()
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
            same_prob = cur.probability is not None and abs(cur.probability - prob) < 1e-9
            if cur.person_id != pid:
                moved.add(pid)
                if cur.person_id:
                    moved.add(cur.person_id)
            if not (cur.person_id == pid and cur.method == method and same_prob):
                # decided_at is the run's $at: one datetime parameter, not one per row to encode
                link_rows.append({"uid": uid, "person_id": pid, "probability": prob, "method": method,
                                  "decided_by": by, "model_version": version})  # fmt: skip
    events, retire, affected = _events(clusters, ids, current, version)
    result.merges = sum(1 for e in events if e["kind"] == "MERGE")
    result.splits = sum(1 for e in events if e["kind"] == "SPLIT")
    old_ids = {c.person_id for c in current.values() if c.person_id}
    result.persons_created = len(set(ids.values()) - old_ids)
    result.linked = len(link_rows)
    review_rows = _review_rows(edges, clustering, decisions, cfg, version)
    result.review_open = len(review_rows)
    return Plan(result, ids, link_rows, events, retire, moved, affected, clusters, old_ids, review_rows)


def _recluster(
    db: Database,
    scope: Sequence[str],
    current: Mapping[str, Current],
    edges: Sequence[Edge],
    *,
    cfg: IdentitySettings,
    at: datetime,
    version: str,
    decided_by: str | None = None,
    clock: _Clock,
    refresh: Iterable[str] = (),
) -> ResolveResult:
    """Cluster ``scope`` from ``edges`` and the decisions, and write what changed."""
    decisions = _read_decisions(db, scope)

    def existing(ids: Sequence[str]) -> set[str]:
        return {r["person_id"] for r in db.read(q.EXISTING_PERSON_IDS, ids=list(ids))}

    pl = plan(scope, current, edges, decisions, cfg=cfg, version=version, existing=existing, decided_by=decided_by)
    clock("cluster")
    result, link_rows, events, retire, review_rows = pl.result, pl.link_rows, pl.events, pl.retire, pl.review_rows
    ids, old_ids = pl.ids, pl.old_ids

    def work(tx: ManagedTransaction, query: LiteralString, rows: list[dict[str, Any]]) -> None:
        tx.run(query, rows=rows, at=at).consume()

    stays = [r for r in link_rows if current[r["uid"]].person_id == r["person_id"]]
    moves = [r for r in link_rows if current[r["uid"]].person_id != r["person_id"]]
    for query, rows in ((q.RESTAMP, stays), (q.LINK, moves)):
        for chunk in _chunks(rows):
            db.execute_write(lambda tx, qq=query, c=chunk: work(tx, qq, c))  # type: ignore[misc]
    touched = {r["person_id"] for r in link_rows}
    touched |= {p for p in (current[r["uid"]].person_id for r in link_rows) if p}
    wanted = set(refresh)
    if wanted:
        touched |= {pl.ids[key] for key, members in pl.clusters.items() if not wanted.isdisjoint(members)}
    for chunk in _chunks(sorted(touched)):
        db.write(q.REFRESH_PERSONS, ids=chunk)
    for chunk in _chunks(retire):
        db.write(q.RETIRE_PERSON, rows=chunk)
    for chunk in _chunks(sorted(old_ids - set(ids.values()))):
        db.write(q.DELETE_EMPTY_PERSONS, ids=chunk)
    for chunk in _chunks(events):
        db.write(q.WRITE_EVENTS, rows=chunk, at=at)
    clock("write links")
    for chunk in _chunks(review_rows):
        db.write(q.UPSERT_REVIEW, rows=chunk, at=at)
    keep_ids = {r["review_id"] for r in review_rows}
    stale: set[str] = set()
    for chunk in _chunks(scope):
        stale |= {r["review_id"] for r in db.read(q.READ_OPEN_REVIEWS, uids=chunk)} - keep_ids
    for chunk in _chunks(sorted(stale)):
        db.write(q.CLOSE_REVIEWS, ids=chunk, status="CLOSED", at=at)
    clock("write reviews")
    result.affected_person_ids = sorted(pl.moved | {r["gone"] for r in retire} | pl.affected)
    result.retired_person_ids = sorted(r["gone"] for r in retire)
    return result


def _assign_ids(
    existing_of: Callable[[Sequence[str]], set[str]], clusters: dict[str, list[str]], current: Mapping[str, str | None]
) -> dict[str, str]:
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
    existing: set[str] = set()
    for chunk in _chunks(sorted(candidates.values())):
        existing |= existing_of(chunk)
    for key in fresh:
        salt, pid = 0, candidates[key]
        while pid in taken or pid in existing:
            salt += 1
            pid = person_id_for(key, salt)
        ids[key] = pid
        taken.add(pid)
    return ids


def _events(
    clusters: dict[str, list[str]], ids: dict[str, str], current: Mapping[str, Current], version: str
) -> tuple[list[dict[str, Any]], list[dict[str, str]], set[str]]:
    """MERGE and SPLIT events, Persons to retire (merged away) and the Person ids affected."""
    went: dict[str, dict[str, list[str]]] = {}  # old person id -> new person id -> records
    for key, members in clusters.items():
        for uid in members:
            old = current[uid].person_id
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
    edges: Sequence[Edge],
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
    """Records the model has not resolved: no Person yet, or linked by the exact-identifier stage only."""
    return [r["uid"] for r in db.read(q.UNRESOLVED, exact=METHOD_EXACT)]


def stored_outcome(db: Database) -> dict[str, list[dict[str, Any]]]:
    """What the identity stage has stored, in a fixed order: each Person's records, the scored pairs (with
    band and explanation), the record links, the review items and the identity events. Two runs over the same
    records agree when these are equal (the keyed incremental run against reading the whole register)."""
    return {
        "persons": db.read(
            "MATCH (r:PersonRecord)-[:RESOLVES_TO]->(p:Person) WITH p, r ORDER BY r.uid "
            "RETURN p.person_id AS person, collect(r.uid) AS records ORDER BY person"
        ),
        "pairs": db.read(
            "MATCH (a:PersonRecord)-[m:MATCHES]->(b:PersonRecord) "
            "RETURN a.uid AS a, b.uid AS b, m.probability AS p, m.band AS band, m.explanation AS why ORDER BY a, b"
        ),
        "reviews": db.read(
            "MATCH (i:ReviewItem) RETURN i.review_id AS id, i.status AS status, i.reason AS reason, "
            "i.probability AS p ORDER BY id"
        ),
        "links": db.read(
            "MATCH (r:PersonRecord)-[x:RESOLVES_TO]->() RETURN r.uid AS uid, x.method AS method, "
            "x.probability AS p ORDER BY uid"
        ),
        "events": db.read("MATCH (e:IdentityEvent) RETURN e.kind AS kind, e.person_id AS person ORDER BY kind, person"),
    }
