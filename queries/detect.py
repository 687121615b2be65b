"""The sweep: compute every flag-raising definition as of a date and store the results as Flag nodes.

    (:Person)-[:FLAGGED]->(:Flag {uid, definition, definition_version, first_met, computed_at})
        -[:EVIDENCED_BY]->(:Incident | :Person | :Outcome | :Order | :Assessment)

One flag per person and definition (uid ``person_id|DEFINITION``). The sweep reads the stored flags,
writes only those that are new or whose version, first_met or evidence changed, and removes those no
longer met: re-running it on unchanged data changes nothing. ``person_ids`` limits the sweep to the
people an ingest batch touched. RFGV scores are stored alongside (queries.rfgv), one per as_of, and so is
the MAPPA+ nomination list (queries.nominations.store_candidates); a full sweep is recorded as a Sweep node.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from pydantic import BaseModel

from queries._common import ASK_TOGETHER_MAX, ask_together, chunks, person_partitions, read, write
from queries.definitions import (
    HIGH_RISK,
    REPEAT,
    SERIAL_CAMPAIGN,
    SERIAL_MATAC,
    find_high_risk,
    find_repeat,
    find_serial_campaign,
    find_serial_matac,
)
from queries.escalation import ESCALATION, find_escalation
from queries.models import AsOf, DefinitionHit
from queries.nominations import Reasons, qualifying, store_candidates
from queries.rfgv import ScoreLine, ranked, score_lines, store_scores
from spr.db import Database

FINDERS: dict[str, Callable[[Database, AsOf], list[DefinitionHit]]] = {
    SERIAL_CAMPAIGN: find_serial_campaign,
    SERIAL_MATAC: find_serial_matac,
    REPEAT: find_repeat,
    HIGH_RISK: find_high_risk,
    ESCALATION: find_escalation,
}
FLAG_DEFINITIONS: tuple[str, ...] = tuple(FINDERS)


class DetectResult(BaseModel):
    as_of: date
    people_scope: int | None
    flags: dict[str, int]
    created: int
    updated: int
    unchanged: int
    removed: int
    scores_changed: int
    candidates: int = 0  # people on the stored MAPPA+ nomination list (in scope)


def flag_uid(person_id: str, definition: str) -> str:
    return f"{person_id}|{definition}"


def sweep(db: Database, q: AsOf, spent: dict[str, float] | None = None) -> list[DefinitionHit]:
    """Every hit of every flag-raising definition for ``q``'s people, in one query each (``detect`` runs it
    part by part on a large register), without writing anything. ``spent`` adds up each definition's time."""
    return [h for ask in _definition_calls(db, q, spent).values() for h in ask()]


def _definition_calls(db: Database, q: AsOf, spent: dict[str, float] | None) -> dict[str, Callable[[], Any]]:
    """Each flag-raising definition's question for ``q``, by code, timed into ``spent``."""
    return {code: partial(_timed(FINDERS[code], spent, code), db, q) for code in FLAG_DEFINITIONS}


def _timed(fn: Callable[..., Any], spent: dict[str, float] | None, name: str) -> Callable[..., Any]:
    """``fn``, adding its time to ``spent[name]``."""

    def run(*args: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            if spent is not None:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t

    return run


def _read_scope(
    db: Database, q: AsOf, scores: bool, spent: dict[str, float]
) -> tuple[list[DefinitionHit], dict[str, str | None], list[ScoreLine]]:
    """One part's reads: every definition's hits, the stored flags' digests and the RFGV score lines. For
    the few thousand people of an ingest batch they are independent questions asked at once
    (``ask_together``: the server answers them on both cores while this process converts rows); for a part
    of a full sweep, one after the other, so that one large query at a time holds the server's memory."""
    people = q.person_ids
    work = _definition_calls(db, q, spent)
    work["stored"] = partial(_stored_digests, db, people)
    if scores:
        work["rfgv"] = partial(_timed(score_lines, spent, "rfgv"), db, q.as_of, people)
    asked = ask_together(work, together=people is not None and len(people) <= ASK_TOGETHER_MAX)
    hits = [h for code in FLAG_DEFINITIONS for h in asked[code]]
    return hits, asked["stored"], asked.get("rfgv", [])


def _stored_digests(db: Database, person_ids: list[str] | None) -> dict[str, str | None]:
    """The stored flags of these people (everyone's when None): uid -> digest."""
    rows = read(db, "list_flags", person_ids=person_ids, definitions=list(FLAG_DEFINITIONS))
    return {r["uid"]: r["digest"] for r in rows}


def _row(h: DefinitionHit, evidence: list[str], digest: str) -> dict[str, Any]:
    e = h.evidence
    return {
        "uid": flag_uid(h.person_id, h.definition),
        "person_id": h.person_id,
        "definition": h.definition,
        "definition_version": h.definition_version,
        "first_met": h.first_met,
        "incidents": sorted(set(e.incidents)),
        "victims": sorted(set(e.victims)),
        "outcomes": sorted(set(e.outcomes)),
        "orders": sorted(set(e.orders)),
        "assessments": sorted(set(e.assessments)),
        # The same records as "Label:key", kept on the flag so `spr check` can tell when one has gone.
        "evidence": evidence,
        "digest": digest,
    }


def flag_evidence(h: DefinitionHit) -> list[str]:
    """A hit's evidence as the Flag keeps it: "Label:key", sorted."""
    return [f"{label}:{key}" for label, key in h.evidence.keys()]  # noqa: SIM118 (a method, not a dict)


def flag_digest(version: int, first_met: date | None, evidence: list[str]) -> str:
    """What the sweep compares a flag by: its definition version, first_met and evidence, as one short hash
    stored on the Flag (``digest``), so that deciding what changed reads one value per flag, not its
    evidence (at national scale reading 1.2 million flags' evidence took 162 s). Computed for every hit;
    a flag's full row only for those to write."""
    text = "\x1f".join((str(version), first_met.isoformat() if first_met else "", *sorted(evidence)))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    written: int = 0


def _store_flags(
    db: Database, stored: dict[str, str | None], hits: list[DefinitionHit], at: datetime, batch_size: int, tally: _Tally
) -> None:
    """Write the flags of a part's people that are new or changed, and remove theirs that are no longer met
    (``stored``: the part's stored flags, uid -> digest)."""
    desired: set[str] = set()
    to_write: list[dict[str, Any]] = []
    for h in hits:
        uid = flag_uid(h.person_id, h.definition)
        if uid in desired:  # one flag per person and definition
            continue
        desired.add(uid)
        evidence = flag_evidence(h)
        digest = flag_digest(h.definition_version, h.first_met, evidence)
        if uid not in stored:
            tally.created += 1
        elif stored[uid] != digest:  # a flag stored before flags had a digest (None) is rewritten once
            tally.updated += 1
        else:
            tally.unchanged += 1
            continue
        to_write.append(_row(h, evidence, digest))
    for batch in chunks(to_write, batch_size):
        write(db, "merge_flags", rows=batch, computed_at=at)
    stale = sorted(set(stored) - desired)
    for batch in chunks(stale, batch_size):
        write(db, "delete_flags", uids=batch)
    tally.written += len(to_write)
    tally.removed += len(stale)


def detect(
    db: Database,
    as_of: date | None = None,
    person_ids: list[str] | None = None,
    *,
    computed_at: datetime | None = None,
    batch_size: int = 500,
    scores: bool = True,
    log: Callable[[str], None] | None = None,
) -> DetectResult:
    """Run the sweep and store its flags (and RFGV scores). Full recompute unless ``person_ids`` is given.

    For everyone on a large register the sweep goes part by part (``person_partitions``): each part's
    definitions, flags and scores, then the next, keeping of each part only its scores without evidence
    and its people's qualifying reasons; then the scores are ranked and stored, and the nomination list
    built. What it holds grows with the people scored, not with the hits and their evidence.

    ``log`` hears progress: each part, then each definition's time and count, the flags written, the
    scores and the list."""
    q = AsOf(as_of=as_of or date.today(), person_ids=person_ids)
    at = computed_at or datetime.now(UTC)
    full = person_ids is None
    parts = person_partitions(db, person_ids)
    tally = _Tally()
    counts = dict.fromkeys(FLAG_DEFINITIONS, 0)
    spent: dict[str, float] = dict.fromkeys((*FLAG_DEFINITIONS, "flags", "rfgv"), 0.0)
    known: Reasons = ({}, {})
    lines: list[ScoreLine] = []
    started = time.perf_counter()
    for n, part in enumerate(parts, start=1):
        hits, stored, part_lines = _read_scope(db, q.model_copy(update={"person_ids": part}), scores, spent)
        for h in hits:
            counts[h.definition] += 1
        t = time.perf_counter()
        _store_flags(db, stored, hits, at, batch_size, tally)
        spent["flags"] += time.perf_counter() - t
        qualifying(hits, into=known)
        lines.extend(part_lines)
        if log and len(parts) > 1:
            log(
                f"part {n} of {len(parts)}: {len(part or []):,} people, {len(hits):,} flags met, "
                f"{time.perf_counter() - started:.0f} s so far"
            )
    if log:
        for code in FLAG_DEFINITIONS:
            log(f"{code}: {counts[code]:,} people in {spent[code]:.1f} s")
        log(f"flags stored: {tally.written:,} written, {tally.removed:,} removed in {spent['flags']:.1f} s")
    scores_changed = 0
    if scores:
        t = time.perf_counter()
        if full:
            lines = ranked(lines)
        scores_changed = store_scores(db, lines, ranked=full, computed_at=at)
        if log:
            log(
                f"RFGV: {len(lines):,} scores, {scores_changed:,} changed in "
                f"{spent['rfgv'] + time.perf_counter() - t:.1f} s"
            )
    # The MAPPA+ nomination list, from the same reasons and scores (queries.nominations).
    t = time.perf_counter()
    candidates = store_candidates(
        db, q.as_of, lines if scores else None, person_ids=person_ids, computed_at=at, known=known,
        flags=sum(counts.values()),
    )  # fmt: skip
    if log:
        log(f"nomination list: {candidates:,} people in {time.perf_counter() - t:.1f} s")
    return DetectResult(
        as_of=q.as_of,
        people_scope=len(person_ids) if person_ids is not None else None,
        flags={code: c for code, c in counts.items() if c},
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        removed=tally.removed,
        scores_changed=scores_changed,
        candidates=candidates,
    )


def person_flags(db: Database, person_id: str) -> list[dict[str, Any]]:
    """A person's stored flags, each with the definition that raised it and its evidence."""
    return read(db, "find_person_flags", person_id=person_id)
