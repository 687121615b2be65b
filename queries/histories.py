"""Joined-up histories: cross-force histories, per-force consistency, and the disclosure summary."""

from __future__ import annotations

import statistics
from datetime import date

from queries._common import definition, read
from queries.detect import FLAG_DEFINITIONS
from queries.models import (
    AsOf,
    ConsistencyReport,
    CrossForceHistory,
    DisclosureItem,
    DisclosureSummary,
    ForceConsistency,
    ForceView,
)
from spr.db import Database

CROSS_FORCE = "CROSS_FORCE"


def find_cross_force(db: Database, q: AsOf) -> list[CrossForceHistory]:
    """People recorded by two or more forces, and how much of their history any single force could see.

    ``serial_visible_to_one_force`` is false when the person has two or more victims overall but no single
    force recorded two of them: the joining-up gap the register exists to close.
    """
    min_forces = int(definition(CROSS_FORCE).param("min_forces"))
    min_victims = int(definition("SERIAL_CAMPAIGN").param("min_victims"))
    out = []
    for r in read(db, "find_cross_force_histories", as_of=q.as_of, person_ids=q.person_ids, min_forces=min_forces):
        views = sorted(
            (ForceView(force=f["force"], incidents=f["incidents"], victims=len(f["victims"])) for f in r["forces"]),
            key=lambda v: (-v.incidents, v.force),
        )
        victims = {v for f in r["forces"] for v in f["victims"]}
        max_v = max(v.victims for v in views)
        out.append(
            CrossForceHistory(
                person_id=r["person_id"],
                forces=views,
                total_incidents=sum(v.incidents for v in views),
                total_victims=len(victims),
                max_single_force_victims=max_v,
                max_single_force_incidents=max(v.incidents for v in views),
                serial_visible_to_one_force=len(victims) < min_victims or max_v >= min_victims,
            )
        )
    return out


def consistency(db: Database, as_of: date | None = None) -> ConsistencyReport:
    """Per force, from the stored flags: people meeting each definition, nominated, accepted, declined;
    and the spread across forces (min, max, mean, standard deviation) of each measure."""
    as_of = as_of or date.today()
    eligible = list(definition("MAPPA_PLUS").param("qualifying_definitions"))
    by_def: dict[str, dict[str, int]] = {}
    for r in read(db, "count_flags_by_force", definitions=list(FLAG_DEFINITIONS)):
        by_def.setdefault(r["force"], {})[r["definition"]] = int(r["people"])
    noms = {
        r["force"]: r
        for r in read(
            db,
            "count_nominations_by_force",
            as_of=as_of,
            definitions=eligible,
            accepted="ACCEPTED",
            declined="DECLINED",
            closed="CLOSED",
        )  # fmt: skip
    }
    forces = []
    for force in sorted(set(by_def) | set(noms)):
        n = noms.get(force, {})
        people = int(n.get("people", 0))
        nominated = int(n.get("nominated", 0))
        forces.append(
            ForceConsistency(
                force=force,
                people=people,
                by_definition={d: by_def.get(force, {}).get(d, 0) for d in FLAG_DEFINITIONS},
                nominated=nominated,
                accepted=int(n.get("accepted", 0)),
                declined=int(n.get("declined", 0)),
                nomination_rate=round(nominated / people, 4) if people else None,
            )
        )
    measures: dict[str, list[float]] = {d: [f.by_definition[d] for f in forces] for d in FLAG_DEFINITIONS}
    measures["nominated"] = [f.nominated for f in forces]
    measures["nomination_rate"] = [f.nomination_rate for f in forces if f.nomination_rate is not None]
    spread = {
        k: {
            "min": min(v),
            "max": max(v),
            "mean": round(statistics.fmean(v), 4),
            "stdev": round(statistics.pstdev(v), 4),
        }
        for k, v in measures.items()
        if v
    }
    return ConsistencyReport(as_of=as_of, forces=forces, spread=spread)


def disclosure_summary(db: Database, person_id: str, as_of: date | None = None) -> DisclosureSummary:
    """A complete, explained history of one person across sources, with counts (convictions, cautions,
    acquittals, orders, incidents, victims, forces). Victims appear only as a count."""
    as_of = as_of or date.today()
    rows = read(db, "find_disclosure_history", person_id=person_id, as_of=as_of)
    items = [
        DisclosureItem(kind=r["kind"], date=r["date"], code=r["code"], uid=r["uid"], source=r["source"]) for r in rows
    ]
    counts: dict[str, int] = {}
    for i in items:
        counts[i.kind] = counts.get(i.kind, 0) + 1
    counts["VICTIMS"] = len({v for r in rows for v in r["victims"]})
    counts["FORCES"] = len({r["source"] for r in rows if r["kind"] == "INCIDENT" and r["source"]})
    return DisclosureSummary(
        person_id=person_id,
        as_of=as_of,
        counts=counts,
        items=items,
        sources=sorted({i.source for i in items if i.source}),
    )
