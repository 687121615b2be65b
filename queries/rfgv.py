"""RFGV priority (Recency, Frequency, Gravity, Victims), as MATAC forces use it.

The points, bands and weights forces use are not published, so every number is configuration in
definitions.yaml (RFGV). The score over the window ending ``as_of`` is

    (recency_weight * recency_points * 0.5 ** (days since the latest incident / half life)
     + frequency_weight * incidents
     + gravity_weight * sum of (offence gravity + indicator weights))
    * victim_multiplier ** (distinct victims - 1)

Each sweep stores a PriorityScore per person with its ``as_of``, so a fall in score can be tracked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from graph_schema.model import vocabulary
from queries._common import chunks, definition, definitions_version, gravity_table, person_partitions, read, write
from queries.models import Evidence, RfgvQuery, RfgvScore, ScorePoint
from spr.db import Database

RFGV = "RFGV"


def rfgv_params() -> dict[str, Any]:
    d = definition(RFGV)
    return {k: d.param(k) for k in d.params}


class ScoreLine(NamedTuple):
    """One person's score without its evidence: what a full sweep keeps of everyone's score until it has
    ranked them all (an RfgvScore also carries the incidents and victims behind it)."""

    person_id: str
    as_of: date
    score: float
    recency: float
    frequency: float
    gravity: float
    victims: int
    incidents: int
    forces: tuple[str, ...]
    rank: int = 0


def score_line(row: dict[str, Any], as_of: date, params: dict[str, Any] | None = None) -> ScoreLine:
    """The score for one person's window, from find_rfgv_inputs' row, without its evidence."""
    p = params or rfgv_params()
    days = max(0, (as_of - row["last_occurred"]).days)
    recency = (
        float(p["recency_weight"]) * float(p["recency_points"]) * 0.5 ** (days / float(p["recency_half_life_days"]))
    )
    frequency = float(p["frequency_weight"]) * int(row["incidents"])
    gravity = float(p["gravity_weight"]) * float(row["gravity"])
    victims = len(row["victims"])
    score = (recency + frequency + gravity) * float(p["victim_multiplier"]) ** max(0, victims - 1)
    return ScoreLine(
        row["person_id"], as_of, round(score, 3), round(recency, 3), round(frequency, 3), round(gravity, 3),
        victims, int(row["incidents"]), tuple(sorted(row["forces"])),
    )  # fmt: skip


def score_row(row: dict[str, Any], as_of: date, params: dict[str, Any] | None = None) -> RfgvScore:
    """The score for one person's window, from find_rfgv_inputs' row, with the incidents and victims behind it."""
    s = score_line(row, as_of, params)
    return RfgvScore(
        **s._asdict() | {"forces": list(s.forces)},
        last_incident=row["last_occurred"],
        evidence=Evidence(incidents=sorted(row["uids"]), victims=sorted(row["victims"])),
    )


def rank_order(s: RfgvScore | ScoreLine) -> tuple[float, str]:
    """The order of an RFGV list: highest score first, then person_id."""
    return (-s.score, s.person_id)


def score_inputs(
    db: Database, as_of: date, person_ids: list[str] | None, force: str | None = None
) -> list[dict[str, Any]]:
    """find_rfgv_inputs for one scope: each person's window (incidents, gravity, victims, forces)."""
    return read(
        db,
        "find_rfgv_inputs",
        as_of=as_of,
        window_days=int(rfgv_params()["window_days"]),
        person_ids=person_ids,
        force=force,
        gravity=gravity_table(),
        indicator_weights={c: i.weight for c, i in vocabulary().indicators.items()},
    )


def compute_rfgv(db: Database, q: RfgvQuery) -> list[RfgvScore]:
    """Everyone's score over the window ending ``as_of``, highest first, ranked (1 = highest).

    With ``force``, the list is that force's: people it recorded an incident for in the window, ranked
    on their whole history across forces. ``top_n`` cuts the list (Cleveland ranks a top 20).
    """
    p = rfgv_params()
    scores = sorted(
        (
            score_row(row, q.as_of, p)
            for part in person_partitions(db, q.person_ids)  # for everyone on a large register: in parts
            for row in score_inputs(db, q.as_of, part, q.force)
        ),
        key=rank_order,
    )
    for n, s in enumerate(scores, start=1):
        s.rank = n
    return scores[: q.top_n] if q.top_n else scores


def score_lines(db: Database, as_of: date, person_ids: list[str] | None) -> list[ScoreLine]:
    """These people's scores (everyone's when None, in one read: callers partition), without evidence and
    unranked; the forces tuples are shared between people (a full sweep holds millions of lines)."""
    p = rfgv_params()
    forces: dict[tuple[str, ...], tuple[str, ...]] = {}
    out = []
    for row in score_inputs(db, as_of, person_ids):
        s = score_line(row, as_of, p)
        out.append(s._replace(forces=forces.setdefault(s.forces, s.forces)))
    return out


def ranked(lines: Iterable[ScoreLine]) -> list[ScoreLine]:
    """The lines highest score first, ranked 1, 2, … exactly as ``compute_rfgv`` ranks."""
    order = sorted(lines, key=rank_order)
    return [s._replace(rank=n) for n, s in enumerate(order, start=1)]


def store_scores(
    db: Database,
    scores: Sequence[RfgvScore | ScoreLine],
    *,
    ranked: bool,
    computed_at: datetime | None = None,
    batch_size: int = 1000,
) -> int:
    """Keep one PriorityScore per person and as_of; returns how many were created or changed."""
    at = computed_at or datetime.now(UTC)
    changed = 0
    rows = [
        {
            "uid": f"{s.person_id}|{RFGV}|{s.as_of.isoformat()}",
            "person_id": s.person_id,
            "props": {
                "definition": RFGV,
                "definition_version": definitions_version(),
                "as_of": s.as_of,
                "score": s.score,
                "recency": s.recency,
                "frequency": s.frequency,
                "gravity": s.gravity,
                "victims": s.victims,
                "incidents": s.incidents,
                **({"rank": s.rank} if ranked else {}),
            },
        }
        for s in scores
    ]
    for batch in chunks(rows, batch_size):
        result = write(db, "merge_priority_scores", rows=batch, computed_at=at)
        changed += int(result[0]["changed"]) if result else 0
    return changed


def score_history(db: Database, person_id: str) -> list[ScorePoint]:
    """Stored scores, oldest first: the fall in score is how MATAC tracks outcome."""
    return [ScorePoint(**r) for r in read(db, "list_score_history", person_id=person_id)]
