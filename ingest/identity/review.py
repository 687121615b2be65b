"""The review queue and analysts' decisions, and the explanation behind any link.

A decision is stored as a ResolutionDecision node (who, when, why, the two records, SAME or
DIFFERENT); the latest decision on a pair wins, and every run of the resolver applies decisions after
the model, so they always hold.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from ingest.identity import cypher as q
from ingest.identity.config import IdentitySettings, identity_settings
from ingest.identity.graph import ResolveResult, pair_key, recluster, review_id_for
from spr.db import Database

Decision = Literal["SAME", "DIFFERENT"]


# The prepared columns that say where someone lives. An explanation shows the compared values of each
# comparison; for these comparisons they are a victim's address as much as anyone's, so roles without the
# need to know (view_victim_location) get the level and weight without the values.
LOCATION_COLUMNS = frozenset({"postcode", "address_line1", "town"})
REDACTED = "[redacted]"


def _location_comparisons() -> frozenset[str]:
    return frozenset(c.name for c in identity_settings().comparisons if LOCATION_COLUMNS & set(c.needs))


def _explanation(raw: str | None, include_locations: bool) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = json.loads(raw) if raw else []
    if include_locations:
        return steps
    hidden = _location_comparisons()
    for step in steps:
        if step.get("comparison") in hidden:
            step["left"] = step["right"] = REDACTED
    return steps


class ReviewError(ValueError):
    """A decision that cannot be recorded (unknown records, no reason given)."""


def decide(
    db: Database, left: str, right: str, decision: Decision, *, decided_by: str, reason: str,
    at: datetime | None = None, cfg: IdentitySettings | None = None,
) -> ResolveResult:  # fmt: skip
    """Record an analyst's decision on a pair of records and re-derive the Persons it touches."""
    if decision not in ("SAME", "DIFFERENT"):
        raise ReviewError("decision must be SAME or DIFFERENT")
    if not reason or not reason.strip():
        raise ReviewError("a decision needs a reason")
    if not decided_by or not decided_by.strip():
        raise ReviewError("a decision needs the name of who made it")
    if left == right:
        raise ReviewError("a record is always the same person as itself")
    at = at or datetime.now(UTC)
    a, b = sorted((left, right))
    did = "D-" + hashlib.sha256(f"{a}|{b}|{decision}|{decided_by}|{at.isoformat()}".encode()).hexdigest()[:20]
    rows = db.write(q.WRITE_DECISION, decision_id=did, pair_key=pair_key(a, b), left=a, right=b,
                    decision=decision, decided_by=decided_by, at=at, reason=reason.strip())  # fmt: skip
    if not rows:
        raise ReviewError(f"no person record {a!r} or {b!r}")
    status = "CONFIRMED" if decision == "SAME" else "REJECTED"
    db.write(q.SET_REVIEW_STATUS, review_id=review_id_for(a, b), status=status, at=at)
    return recluster(db, [a, b], at=at, cfg=cfg)


def queue(
    db: Database, *, status: str = "OPEN", limit: int = 100, include_locations: bool = True
) -> list[dict[str, Any]]:
    """Review items, strongest first, each with its explanation (comparison levels and match weights);
    without ``include_locations`` the compared addresses, postcodes and towns are redacted."""
    out = []
    for r in db.read(q.LIST_REVIEWS, status=status, limit=limit):
        r["explanation"] = _explanation(r.get("explanation"), include_locations)
        out.append(r)
    return out


def queue_size(db: Database) -> dict[str, int]:
    return {r["status"]: int(r["n"]) for r in db.read(q.COUNT_REVIEWS)}


def explain_pair(db: Database, left: str, right: str, *, include_locations: bool = True) -> dict[str, Any] | None:
    """The stored score of a pair and the waterfall behind it (None when the pair was never a candidate
    at or above the review threshold); locations redacted without ``include_locations``."""
    a, b = sorted((left, right))
    rows = db.read(q.READ_MATCH, left=a, right=b)
    if not rows:
        return None
    r = rows[0]
    r["explanation"] = _explanation(r.get("explanation"), include_locations)
    return {"left": a, "right": b, **r}


def explain_person(db: Database, person_id: str, *, include_locations: bool = True) -> dict[str, Any]:
    """Why a Person is who it is: its records and how each was linked, the scored pairs between them
    with their waterfalls (locations redacted without ``include_locations``), and the history of merges
    and splits."""
    records = db.read(q.READ_PERSON_LINKS, person_id=person_id)
    pairs = db.read(q.READ_PERSON_EDGES, person_id=person_id)
    for p in pairs:
        p["explanation"] = _explanation(p.get("explanation"), include_locations)
    return {"person_id": person_id, "records": records, "pairs": pairs,
            "history": db.read(q.READ_EVENTS, person_id=person_id)}  # fmt: skip
