"""The append-only, tamper-evident audit log: who read or changed what, when, why and from where.

Each entry carries the SHA-256 of its own content and the hash of the entry before it; the chain's
head (last sequence number and hash) is one node whose write lock serialises appends; appends arriving
together are committed together (one lock and one commit for the lot). Editing,
deleting or reordering any entry breaks the chain, and `spr audit verify` says where.
"""

from __future__ import annotations

import hashlib
import json
import queue
import secrets
import threading
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from neo4j import ManagedTransaction
from pydantic import BaseModel

from spr.db import Database

GENESIS = "0" * 64
HEAD = "audit"
FIELDS = ("seq", "at", "username", "roles", "action", "subject", "purpose", "purpose_detail", "client", "outcome")


class AuditEvent(BaseModel):
    username: str
    roles: list[str]
    action: str  # e.g. "GET /api/v1/persons/{person_id}"
    subject: str | None = None  # the person (or record) read or changed
    purpose: str | None = None
    purpose_detail: str | None = None
    client: str | None = None
    outcome: str = "ok"


def entry_hash(entry: dict[str, Any], prev_hash: str) -> str:
    canonical = json.dumps({k: entry.get(k) for k in FIELDS} | {"prev_hash": prev_hash}, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _append_many(tx: ManagedTransaction, events: list[AuditEvent]) -> list[int]:
    # Take the head's write lock (a real write: Neo4j skips no-op SETs), then read it in the same statement,
    # after the lock: concurrent appends queue here and each sees the one before it.
    head = tx.run(
        """
        MERGE (h:AuditHead {name: $name})
        ON CREATE SET h.seq = 0, h.hash = $genesis
        SET h.lock_token = $token
        WITH h
        RETURN h.seq AS seq, h.hash AS hash
        """,
        name=HEAD,
        genesis=GENESIS,
        token=secrets.token_hex(8),
    ).single(strict=True)
    seq, prev = int(head["seq"]), str(head["hash"])
    entries: list[dict[str, Any]] = []
    for event in events:
        seq += 1
        entry: dict[str, Any] = event.model_dump() | {
            "seq": seq,
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        }
        entry["prev_hash"] = prev
        entry["hash"] = prev = entry_hash(entry, prev)
        entries.append(entry)
    tx.run(
        """
        MATCH (h:AuditHead {name: $name})
        UNWIND $entries AS entry
        CREATE (e:AuditEntry)
        SET e = entry, e.at = datetime(entry.at)
        WITH h, max(entry.seq) AS last
        SET h.seq = last, h.hash = $last_hash
        """,
        name=HEAD,
        entries=entries,
        last_hash=prev,
    ).consume()
    return [int(e["seq"]) for e in entries]


class _GroupCommit:
    """Appends from many threads, committed together: one writer thread takes whatever entries are waiting
    and appends them, in order, in one transaction (one head lock and one commit for the lot). Callers wait
    for their entry's commit, so a response is never sent before its audit entry is stored."""

    MAX_BATCH = 500

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: queue.Queue[tuple[AuditEvent, Future[int]]] = queue.Queue()
        threading.Thread(target=self._run, name="audit-append", daemon=True).start()

    def submit(self, event: AuditEvent) -> Future[int]:
        fut: Future[int] = Future()
        self.pending.put((event, fut))
        return fut

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < self.MAX_BATCH:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            events = [ev for ev, _ in batch]
            try:
                seqs = self.db.execute_write(lambda tx, evs=events: _append_many(tx, evs))  # type: ignore[misc]
            except BaseException as exc:  # every waiting caller gets the failure (503 in the API)
                for _, fut in batch:
                    fut.set_exception(exc)
            else:
                for (_, fut), n in zip(batch, seqs, strict=True):
                    fut.set_result(n)


_committers: weakref.WeakKeyDictionary[Database, _GroupCommit] = weakref.WeakKeyDictionary()
_committers_lock = threading.Lock()


def submit(db: Database, event: AuditEvent) -> Future[int]:
    """Queue one entry for the end of the chain; the future gives its sequence number once it is committed
    (or raises what the commit raised). Whoever submits must wait on the future before letting the record
    it audits leave the server: the API reads a person while the entry commits, then waits.

    Concurrent appends through the same Database are committed together (group commit), so a busy API pays
    one head lock and one commit per batch of reads rather than per read; the chain is the same.
    """
    with _committers_lock:
        committer = _committers.get(db)
        if committer is None:
            committer = _committers[db] = _GroupCommit(db)
    return committer.submit(event)


def append(db: Database, event: AuditEvent) -> int:
    """Write one entry at the end of the chain; returns its sequence number once it is committed."""
    return submit(db, event).result()


@dataclass
class VerifyResult:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(db: Database, page: int = 5000) -> VerifyResult:
    """Recompute the chain from the first entry; report every break."""
    result = VerifyResult()
    prev_hash, expected_seq, after = GENESIS, 1, 0
    while True:
        rows = db.read(
            """
            MATCH (e:AuditEntry) WHERE e.seq > $after
            RETURN e {.*, at: toString(e.at)} AS e ORDER BY e.seq LIMIT $page
            """,
            after=after,
            page=page,
        )
        for row in rows:
            e = row["e"]
            # at is stored as a datetime; hash it in the ISO form it was written in.
            e["at"] = _iso(e["at"])
            if e["seq"] != expected_seq:
                result.problems.append(f"entry {expected_seq} is missing (next entry found is {e['seq']})")
                expected_seq = e["seq"]
            if e.get("prev_hash") != prev_hash:
                result.problems.append(f"entry {e['seq']}: previous-hash link broken")
            if entry_hash(e, e.get("prev_hash", "")) != e.get("hash"):
                result.problems.append(f"entry {e['seq']}: content does not match its hash (edited)")
            prev_hash, expected_seq, after = e.get("hash", ""), expected_seq + 1, e["seq"]
            result.entries += 1
        if len(rows) < page:
            break
    head = db.read("MATCH (h:AuditHead {name: $name}) RETURN h.seq AS seq, h.hash AS hash", name=HEAD)
    if head:
        if head[0]["seq"] != expected_seq - 1:
            result.problems.append(
                f"the head says {head[0]['seq']} entries, the chain has {expected_seq - 1} (entries deleted at the end)"
            )
        elif head[0]["hash"] != prev_hash:
            result.problems.append("the head's hash does not match the last entry")
    elif result.entries:
        result.problems.append("the chain's head is missing")
    return result


def _iso(value: str) -> str:
    # Neo4j renders datetimes like 2026-11-24T03:10:00.123456Z; Python wrote +00:00.
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def query(
    db: Database,
    *,
    username: str | None = None,
    subject: str | None = None,
    since: datetime | None = None,
    skip: int = 0,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    rows = db.read(
        """
        MATCH (e:AuditEntry)
        WHERE ($username IS NULL OR e.username = $username)
          AND ($subject IS NULL OR e.subject = $subject)
          AND ($since IS NULL OR e.at >= datetime($since))
        WITH e ORDER BY e.seq DESC
        WITH collect(e) AS entries
        RETURN size(entries) AS total,
               [e IN entries[$skip..$skip + $limit] | e {.*, at: toString(e.at)}] AS page
        """,
        username=username,
        subject=subject,
        since=since.isoformat() if since else None,
        skip=skip,
        limit=limit,
    )
    return rows[0]["page"], rows[0]["total"]
