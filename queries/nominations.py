"""MAPPA+ nominations: the proposed DA/stalking category ("MAPPA+ DA/stalking category (proposed)";
statutory MAPPA Category 4 is terrorist risk and is never used for this).

Candidates are people meeting a qualifying definition (definitions.yaml MAPPA_PLUS) or judged at risk of
offending by a recorded professional judgement, who are not already managed (no open MAPPA episode and
no nomination under consideration or accepted). Each carries its reasons, its RFGV rank and whether it
is already MAPPA Category 2 eligible today.

The list is **stored by the sweep** (queries.detect): for every candidate one NominationCandidate entry
for all forces (scope ALL) and one per force that recorded them, each with its reasons, first_met, RFGV
score and rank in that list, Category 2 eligibility and forces. A full sweep rewrites the list (exact
ranks); an ingest batch's incremental update rewrites the entries of the people it touched (a rescored
person keeps their rank only while their score is unchanged: ranks come from full sweeps). Reading it
(``candidate_page``, ``find_candidates`` without ``as_of``) walks one scope's entries in score order
through an index: a page costs its own size, whatever the size of the register. Nominations are read
live: a person nominated or accepted leaves the list at once, and a declined one returns.

An explicit ``as_of`` is a historical question ("what did the records say on that date?"): the list is
then computed from the records, as of that date, which reads every qualifying definition and the full
RFGV ranking (slow at national scale).

The lifecycle is

    NOMINATED -> ACCEPTED (level 1-3) | DECLINED (reason) -> CLOSED

with who decided and when recorded on the Nomination node.
"""

from __future__ import annotations

import hashlib
import json
import struct
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence, Set
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel

from graph_schema.apply import SchemaMismatch, existing_schema_names
from graph_schema.model import vocabulary
from queries._common import chunks, definition, read, write
from queries.catalog import load
from queries.definitions import find_high_risk, find_repeat, find_serial_campaign, find_serial_matac
from queries.escalation import find_escalation
from queries.models import (
    CATEGORY_LABEL,
    AsOf,
    Candidate,
    CandidateQuery,
    DefinitionHit,
    Nomination,
    NominationCreate,
    NominationDecision,
    RfgvQuery,
    RfgvScore,
)
from queries.rfgv import ScoreLine, compute_rfgv, rank_order
from spr.db import Database

MAPPA_PLUS = "MAPPA_PLUS"
MAPPA_CAT2 = "MAPPA_CAT2"
PROFESSIONAL_JUDGEMENT = "PROFESSIONAL_JUDGEMENT"
NOMINATED, ACCEPTED, DECLINED, CLOSED = "NOMINATED", "ACCEPTED", "DECLINED", "CLOSED"
ALL = "ALL"  # the scope of the list across all forces
SORTS = ("rank", "name", "first_met", "reasons", "forces")
NOT_SWEPT = (
    "No sweep has stored the nomination list yet: run `spr detect` (the full sweep) first; after that every "
    "ingest batch keeps it current."
)

_FINDERS = {
    "SERIAL_CAMPAIGN": find_serial_campaign,
    "SERIAL_MATAC": find_serial_matac,
    "REPEAT": find_repeat,
    "HIGH_RISK": find_high_risk,
    "ESCALATION": find_escalation,
}
_STATUS_CHUNK = 2000  # people per find_mappa_status call when storing the list
_WRITE_CHUNK = 500  # entries per transaction


class NominationError(ValueError):
    """The nomination does not exist or is not in a state that allows this step."""


class NotSwept(LookupError):
    """No full sweep has stored the nomination list yet (run `spr detect`)."""

    def __init__(self, message: str = NOT_SWEPT) -> None:
        super().__init__(message)


class CandidatePage(BaseModel):
    """A page of the nomination list, and where it came from."""

    data: list[Candidate]
    count: int
    skip: int
    limit: int
    as_of: date
    stored: bool  # True: the list the sweep stored; False: computed for an explicit as_of
    swept_at: datetime | None = None  # when the full sweep that stored the list finished


def cat2_params() -> dict[str, Any]:
    d = definition(MAPPA_CAT2)
    offences = vocabulary().offences.values()
    return {
        "conviction": "CONVICTION",
        "min_sentence_months": int(d.param("min_sentence_months")),
        "schedule15": sorted(o.code for o in offences if o.schedule15),
        "coercive": sorted(o.code for o in offences if o.coercive_control),
        "coercive_from": date.fromisoformat(str(d.param("coercive_control_from"))),
    }


# -- what makes a candidate (shared by the computed list and the stored one) -----------------------
Reasons = tuple[dict[str, frozenset[str]], dict[str, date]]  # each candidate's reasons, and when first met


def qualifying(hits: Iterable[DefinitionHit], into: Reasons | None = None) -> Reasons:
    """The qualifying definitions (definitions.yaml MAPPA_PLUS) among ``hits``: each person's reasons and
    the date they first met one, added to ``into`` when given (a full sweep gathers them part by part and
    keeps only these, not the hits with their evidence). Equal reason sets are one object."""
    wanted = frozenset(definition(MAPPA_PLUS).param("qualifying_definitions"))
    reasons, first = into if into is not None else ({}, {})
    shared: dict[frozenset[str], frozenset[str]] = {}
    for h in hits:
        if h.definition not in wanted:
            continue
        have = reasons.get(h.person_id, frozenset()) | {h.definition}
        reasons[h.person_id] = shared.setdefault(have, have)
        first[h.person_id] = min(first.get(h.person_id, h.first_met), h.first_met)
    return reasons, first


def _reasons(db: Database, as_of: date, person_ids: list[str] | None, known: Reasons | None = None) -> Reasons:
    """Each candidate's reasons and the date they first met one: qualifying definitions (``known`` when the
    sweep has them, else computed) and professional judgements."""
    plus = definition(MAPPA_PLUS)
    if known is None:
        scope = AsOf(as_of=as_of, person_ids=person_ids)
        known = qualifying(h for code in plus.param("qualifying_definitions") for h in _FINDERS[code](db, scope))
    reasons, first = known
    if plus.param("include_professional_judgement"):
        for r in read(
            db, "find_professional_judgements", as_of=as_of, person_ids=person_ids,
            judgement_kind=PROFESSIONAL_JUDGEMENT,
        ):  # fmt: skip
            pid = r["person_id"]
            reasons[pid] = reasons.get(pid, frozenset()) | {PROFESSIONAL_JUDGEMENT}
            if r["first_judged"] is not None:
                first[pid] = min(first.get(pid, r["first_judged"]), r["first_judged"])
    return reasons, first


def _status(db: Database, as_of: date, person_ids: list[str]) -> list[dict[str, Any]]:
    """Managed or not, Category 2 eligibility, display name and forces of these people (find_mappa_status)."""
    return read(
        db,
        "find_mappa_status",
        person_ids=person_ids,
        as_of=as_of,
        mappa_kind="MAPPA",
        managed_statuses=list(definition(MAPPA_PLUS).param("managed_statuses")),
        **cat2_params(),
    )


def _cat2_reasons(row: dict[str, Any]) -> list[str]:
    return [f"{c['offence_code']} {c['sentence_months']} months ({c['date']})" for c in row["cat2"]]


def _forces(row: dict[str, Any]) -> list[str]:
    return sorted(f for f in row["forces"] if f)


def _by_rank(c: Candidate) -> tuple[bool, int, str]:
    return (c.rfgv_rank is None, c.rfgv_rank or 0, c.person_id)


# -- the computed list (an explicit as_of) ---------------------------------------------------------
def compute_candidates(db: Database, q: CandidateQuery) -> list[Candidate]:
    """The list computed from the records as known on ``q.as_of`` (today when None), ranked by RFGV.

    Reads every qualifying definition and the full RFGV ranking: the answer to a historical question, and
    the reference the stored list is tested against."""
    as_of = q.as_of or date.today()
    reasons, first = _reasons(db, as_of, q.person_ids)
    if not reasons:
        return []
    status = _status(db, as_of, sorted(reasons))
    scores = {s.person_id: s for s in compute_rfgv(db, RfgvQuery(as_of=as_of, force=q.force))}
    out = []
    for row in status:
        pid = row["person_id"]
        if row["open_mappa"] or row["open_nominations"]:
            continue
        if q.force and q.force not in row["forces"]:
            continue
        s = scores.get(pid)
        out.append(
            Candidate(
                person_id=pid,
                display_name=row["display_name"],
                reasons=sorted(reasons[pid]),
                first_met=first.get(pid),
                rfgv_score=s.score if s else None,
                rfgv_rank=s.rank if s else None,
                mappa_cat2_eligible=bool(row["cat2"]),
                cat2_reasons=_cat2_reasons(row),
                forces=_forces(row),
            )
        )
    return sorted(out, key=_by_rank)


# -- the stored list -------------------------------------------------------------------------------
def sort_key(scope: str, score: float | None, person_id: str) -> str:
    """``scope|…|person_id``, ordered as the list is: highest score first, unscored last, then person_id.

    The score is written as 16 hex digits that sort, as text, in descending order of the number (the
    IEEE 754 bits made order-preserving, then inverted), so that one range index orders every list."""
    if score is None:
        return f"{scope}|1|{person_id}"
    bits = struct.unpack(">Q", struct.pack(">d", float(score)))[0]
    ordered = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 1 << 63
    return f"{scope}|0{0xFFFFFFFFFFFFFFFF - ordered:016x}|{person_id}"


def _ranks(scores: Sequence[RfgvScore | ScoreLine], wanted: Set[str]) -> dict[str, dict[str, int]]:
    """For the wanted people: their rank in the RFGV list of all forces (ALL) and of each force whose
    list they are on (an incident it recorded in the window), exactly as ``compute_rfgv`` ranks."""
    seen: dict[str, int] = defaultdict(int)
    out: dict[str, dict[str, int]] = {}
    for n, s in enumerate(sorted(scores, key=rank_order), start=1):
        for f in s.forces:
            seen[f] += 1
        if s.person_id in wanted:
            out[s.person_id] = {ALL: n} | {f: seen[f] for f in s.forces}
    return out


def _entries(
    row: dict[str, Any],
    reasons: Set[str],
    first: date | None,
    score: RfgvScore | ScoreLine | None,
    ranks: dict[str, int],
    as_of: date,
) -> dict[str, dict[str, Any]]:
    """One person's entries: the list of all forces, and the list of each force that recorded them."""
    pid, forces = row["person_id"], _forces(row)
    out = {}
    for scope in (ALL, *forces):
        listed = score is not None and (scope == ALL or scope in score.forces)
        value = score.score if listed and score is not None else None
        props = {
            "person_id": pid,
            "scope": scope,
            "sort_key": sort_key(scope, value, pid),
            "display_name": row["display_name"],
            "reasons": sorted(reasons),
            "first_met": first,
            "score": value,
            "cat2_reasons": _cat2_reasons(row),
            "forces": forces,
            "as_of": as_of,
        }
        # What the sweep compares with the stored entry (rank aside), so it reads back three values, not all.
        props["digest"] = hashlib.blake2b(json.dumps(props, default=str).encode(), digest_size=12).hexdigest()
        out[f"{pid}|{scope}"] = {"uid": f"{pid}|{scope}", "rank": ranks.get(scope) if listed else None, "props": props}
    return out


def _require_schema(db: Database) -> None:
    have = existing_schema_names(db)
    for name in ("nominationcandidate_uid_unique", "nominationcandidate_sort_key_idx", "sweep_sweep_id_unique"):
        if name not in have:
            raise SchemaMismatch(f"the graph has no {name}: run `spr schema apply` before the sweep")


def store_candidates(
    db: Database,
    as_of: date,
    scores: Sequence[RfgvScore | ScoreLine] | None,
    *,
    person_ids: list[str] | None = None,
    computed_at: datetime | None = None,
    known: Reasons | None = None,
    flags: int | None = None,
) -> int:
    """Store the nomination list as of ``as_of``: everyone's (``person_ids`` None, a full sweep: exact
    ranks, and the sweep is recorded with ``flags``, how many it found) or these people's (an incremental
    update). ``scores`` (the RFGV scores of the same people) and ``known`` (the qualifying reasons of the
    sweep's hits, ``qualifying``) are the sweep's own; each is computed when None. Writes only entries
    that are new or changed. Returns the people on the list."""
    _require_schema(db)
    at = computed_at or datetime.now(UTC)
    full = person_ids is None
    reasons, first = _reasons(db, as_of, person_ids, known)
    if scores is None:
        scores = compute_rfgv(db, RfgvQuery(as_of=as_of, person_ids=person_ids))
    ranks = _ranks(scores, reasons.keys()) if full else {}
    score_of = {s.person_id: s for s in scores if s.person_id in reasons}
    listed = 0
    for people in chunks(sorted(reasons), _STATUS_CHUNK):
        desired: dict[str, dict[str, Any]] = {}
        for row in _status(db, as_of, people):
            if row["open_mappa"]:
                continue  # managed under MAPPA on as_of; a nomination is read live instead
            pid = row["person_id"]
            listed += 1
            desired |= _entries(row, reasons[pid], first.get(pid), score_of.get(pid), ranks.get(pid, {}), as_of)
        stored = {r["uid"]: r for r in db.read(load("find_candidate_entries"), person_ids=people)}
        changed = [
            e
            for uid, e in desired.items()
            if uid not in stored
            or stored[uid]["digest"] != e["props"]["digest"]
            or (full and stored[uid]["rank"] != e["rank"])
        ]
        for batch in chunks(changed, _WRITE_CHUNK):
            write(db, "merge_candidates", rows=batch, ranking="FULL" if full else "KEEP", computed_at=at)
        _delete(db, [uid for uid in stored if uid not in desired])
    # People on the stored list who are no longer candidates at all.
    if full:
        write(db, "delete_candidates_except", person_ids=sorted(reasons))
    else:
        gone = sorted(set(person_ids or []) - set(reasons))
        for people in chunks(gone, _STATUS_CHUNK):
            _delete(db, [r["uid"] for r in db.read(load("find_candidate_entries"), person_ids=people)])
    if full:
        write(
            db, "create_sweep", sweep_id=f"SWEEP-{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6].upper()}", as_of=as_of,
            started_at=at, finished_at=datetime.now(UTC), flags=flags,
            scores=len(scores), candidates=listed,
        )  # fmt: skip
    return listed


def _delete(db: Database, uids: list[str]) -> None:
    for batch in chunks(uids, _WRITE_CHUNK):
        write(db, "delete_candidates", uids=batch)


def last_sweep(db: Database) -> dict[str, Any] | None:
    """The last full sweep (sweep_id, as_of, started_at, finished_at, flags, scores, candidates), or None."""
    rows = read(db, "find_last_sweep")
    return rows[0] if rows else None


def _stored(row: dict[str, Any]) -> Candidate:
    return Candidate(
        person_id=row["person_id"],
        display_name=row["display_name"],
        reasons=list(row["reasons"] or []),
        first_met=row["first_met"],
        rfgv_score=row["score"],
        rfgv_rank=row["rank"],
        mappa_cat2_eligible=bool(row["cat2_reasons"]),
        cat2_reasons=list(row["cat2_reasons"] or []),
        forces=list(row["forces"] or []),
    )


def stored_page(
    db: Database,
    force: str | None = None,
    *,
    skip: int = 0,
    limit: int = 50,
    sort: str = "rank",
    order: Literal["asc", "desc"] = "asc",
) -> CandidatePage:
    """A page of the stored list of all forces, or of one force (``force``); raises NotSwept when no full
    sweep has stored it yet. RFGV order (``sort="rank"``, ascending) reads only the page through the
    index; another order sorts the whole scope."""
    scope = force or ALL
    params: dict[str, Any] = {
        "prefix": scope + "|",
        "scope": scope,
        "managed_statuses": list(definition(MAPPA_PLUS).param("managed_statuses")),
        "skip": skip,
        "limit": limit,
    }
    if sort == "rank" and order == "asc":
        row = read(db, "list_candidates", **params)[0]
    else:
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}: one of {', '.join(SORTS)}")
        row = read(db, "list_candidates_sorted", sort=sort, order=order, **params)[0]
    sweep = row["sweep"]
    if sweep is None:
        raise NotSwept()
    return CandidatePage(
        data=[_stored(r) for r in row["page"]],
        count=int(row["total"]),
        skip=skip,
        limit=limit,
        as_of=sweep["as_of"],
        stored=True,
        swept_at=sweep["finished_at"],
    )


def candidate_page(
    db: Database,
    q: CandidateQuery,
    *,
    skip: int = 0,
    limit: int = 50,
    sort: str = "rank",
    order: Literal["asc", "desc"] = "asc",
) -> CandidatePage:
    """A page of the nomination list: the stored one (no ``as_of``, no ``person_ids``), else computed."""
    if q.as_of is None and q.person_ids is None:
        return stored_page(db, q.force, skip=skip, limit=limit, sort=sort, order=order)
    found = compute_candidates(db, q)
    if sort != "rank" or order != "asc":
        found = _sorted(found, sort, order)
    return CandidatePage(
        data=found[skip : skip + limit],
        count=len(found),
        skip=skip,
        limit=limit,
        as_of=q.as_of or date.today(),
        stored=False,
    )


def _sorted(found: list[Candidate], sort: str, order: str) -> list[Candidate]:
    keys: dict[str, Any] = {
        "rank": _by_rank,
        "name": lambda c: (c.display_name or "").lower(),
        "first_met": lambda c: c.first_met or date.max,
        "reasons": lambda c: (-len(c.reasons), c.reasons),
        "forces": lambda c: c.forces,
    }
    if sort not in keys:
        raise ValueError(f"unknown sort {sort!r}: one of {', '.join(SORTS)}")
    return sorted(found, key=keys[sort], reverse=order == "desc")


def find_candidates(db: Database, q: CandidateQuery) -> list[Candidate]:
    """The whole nomination list, ranked by RFGV: the stored one (no ``as_of``; raises NotSwept before the
    first sweep), or computed as known on ``q.as_of`` (or for ``q.person_ids``)."""
    if q.as_of is not None or q.person_ids is not None:
        return compute_candidates(db, q)
    first = stored_page(db, q.force, limit=1000)
    out = list(first.data)
    while len(out) < first.count:
        page = stored_page(db, q.force, skip=len(out), limit=10_000)
        if not page.data:
            break
        out.extend(page.data)
    return out


def _nomination(rows: list[dict[str, Any]], what: str) -> Nomination:
    if not rows:
        raise NominationError(what)
    n = rows[0]["nomination"]
    return Nomination(person_id=rows[0]["person_id"], **{k: v for k, v in n.items() if k in Nomination.model_fields})


def nominate(db: Database, req: NominationCreate, *, at: datetime | None = None) -> Nomination:
    """Create a nomination (status NOMINATED) unless the person already has one under way or accepted."""
    rows = write(
        db,
        "create_nomination",
        person_id=req.person_id,
        nomination_id="NOM-" + uuid.uuid4().hex[:12].upper(),
        status=NOMINATED,
        category=CATEGORY_LABEL,
        reasons=req.reasons,
        nominated_by=req.nominated_by,
        lead_agency=req.lead_agency,
        created_at=at or datetime.now(UTC),
        open_statuses=[NOMINATED, ACCEPTED],
    )
    return _nomination(rows, f"person {req.person_id!r} is unknown or already nominated or managed")


def decide(db: Database, d: NominationDecision, *, at: datetime | None = None) -> Nomination:
    """The panel's decision: accept at a level (1-3) or decline with a reason."""
    if d.accept and d.level is None:
        raise NominationError("an accepted nomination needs a management level (1-3)")
    if not d.accept and not d.reason:
        raise NominationError("a declined nomination needs a reason")
    rows = write(
        db,
        "decide_nomination",
        nomination_id=d.nomination_id,
        from_status=NOMINATED,
        status=ACCEPTED if d.accept else DECLINED,
        level=d.level if d.accept else None,
        reason=d.reason,
        decided_by=d.decided_by,
        decided_at=at or datetime.now(UTC),
    )
    return _nomination(rows, f"nomination {d.nomination_id!r} does not exist or is not awaiting a decision")


def close(
    db: Database, nomination_id: str, closed_by: str, reason: str | None = None, *, at: datetime | None = None
) -> Nomination:
    """Close an accepted or declined nomination."""
    rows = write(
        db,
        "close_nomination",
        nomination_id=nomination_id,
        from_statuses=[ACCEPTED, DECLINED],
        status=CLOSED,
        closed_by=closed_by,
        closed_at=at or datetime.now(UTC),
        reason=reason,
    )
    return _nomination(rows, f"nomination {nomination_id!r} does not exist or has not been decided")


def list_nominations(db: Database, person_id: str | None = None, statuses: list[str] | None = None) -> list[Nomination]:
    rows = read(db, "list_nominations", person_id=person_id, statuses=statuses)
    return [_nomination([r], "") for r in rows]
