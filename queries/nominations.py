"""MAPPA+ nominations: the proposed DA/stalking category ("MAPPA+ DA/stalking category (proposed)";
statutory MAPPA Category 4 is terrorist risk and is never used for this).

Candidates are people meeting a qualifying definition (definitions.yaml MAPPA_PLUS) or judged at risk of
offending by a recorded professional judgement, who are not already managed (no open MAPPA episode and
no nomination under consideration or accepted). Each carries its reasons, its RFGV rank and whether it
is already MAPPA Category 2 eligible today. The lifecycle is

    NOMINATED -> ACCEPTED (level 1-3) | DECLINED (reason) -> CLOSED

with who decided and when recorded on the Nomination node.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from graph_schema.model import vocabulary
from queries._common import definition, read, write
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
)
from queries.rfgv import compute_rfgv
from spr.db import Database

MAPPA_PLUS = "MAPPA_PLUS"
MAPPA_CAT2 = "MAPPA_CAT2"
PROFESSIONAL_JUDGEMENT = "PROFESSIONAL_JUDGEMENT"
NOMINATED, ACCEPTED, DECLINED, CLOSED = "NOMINATED", "ACCEPTED", "DECLINED", "CLOSED"

_FINDERS = {
    "SERIAL_CAMPAIGN": find_serial_campaign,
    "SERIAL_MATAC": find_serial_matac,
    "REPEAT": find_repeat,
    "HIGH_RISK": find_high_risk,
    "ESCALATION": find_escalation,
}


class NominationError(ValueError):
    """The nomination does not exist or is not in a state that allows this step."""


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


def find_candidates(db: Database, q: CandidateQuery) -> list[Candidate]:
    """People to consider for the proposed category, not already managed, ranked by RFGV score."""
    plus = definition(MAPPA_PLUS)
    scope = AsOf(as_of=q.as_of, person_ids=q.person_ids)
    hits: dict[str, list[DefinitionHit]] = {}
    for code in plus.param("qualifying_definitions"):
        for h in _FINDERS[code](db, scope):
            hits.setdefault(h.person_id, []).append(h)
    reasons: dict[str, list[str]] = {pid: [h.definition for h in hs] for pid, hs in hits.items()}
    first: dict[str, date] = {pid: min(h.first_met for h in hs) for pid, hs in hits.items()}
    if plus.param("include_professional_judgement"):
        for r in read(
            db, "find_professional_judgements", as_of=q.as_of, person_ids=q.person_ids,
            judgement_kind=PROFESSIONAL_JUDGEMENT,
        ):  # fmt: skip
            reasons.setdefault(r["person_id"], []).append(PROFESSIONAL_JUDGEMENT)
            if r["first_judged"] is not None:
                first[r["person_id"]] = min(first.get(r["person_id"], r["first_judged"]), r["first_judged"])
    if not reasons:
        return []
    status = read(
        db,
        "find_mappa_status",
        person_ids=sorted(reasons),
        as_of=q.as_of,
        mappa_kind="MAPPA",
        managed_statuses=list(plus.param("managed_statuses")),
        judgement_kind=PROFESSIONAL_JUDGEMENT,
        **cat2_params(),
    )
    scores = {s.person_id: s for s in compute_rfgv(db, RfgvQuery(as_of=q.as_of, force=q.force))}
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
                reasons=sorted(set(reasons[pid])),
                first_met=first.get(pid),
                rfgv_score=s.score if s else None,
                rfgv_rank=s.rank if s else None,
                mappa_cat2_eligible=bool(row["cat2"]),
                cat2_reasons=[f"{c['offence_code']} {c['sentence_months']} months ({c['date']})" for c in row["cat2"]],
                forces=sorted(f for f in row["forces"] if f),
            )
        )
    return sorted(out, key=lambda c: (c.rfgv_rank is None, c.rfgv_rank or 0, c.person_id))


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
