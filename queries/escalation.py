"""Escalation paths: a person's incidents in time order across victims, the chains whose gravity rises,
and separation followed by escalation (Monckton Smith's trigger then escalation stages)."""

from __future__ import annotations

from datetime import date
from typing import Any

from queries._common import day, definition, definitions_version, gravity_table, read
from queries.models import AsOf, DefinitionHit, EscalationPath, EscalationReport, Evidence, PathStep, SeparationMarker
from spr.db import Database

ESCALATION = "ESCALATION"
SEPARATION = "SEPARATION"


def escalation_params() -> dict[str, int]:
    d = definition(ESCALATION)
    return {k: int(d.param(k)) for k in ("min_chain_length", "window_days", "separation_window_days")}


def _to_steps(rows: list[dict[str, Any]]) -> tuple[list[PathStep], dict[str, date]]:
    """Timeline rows as steps, and each incident's known date (dates as values or as ISO text)."""
    known = {r["uid"]: day(r["known_on"]) for r in rows}
    steps = [
        PathStep(
            uid=r["uid"],
            occurred_on=day(r["occurred_on"]),
            gravity=int(r["gravity"]),
            offence_code=r["offence_code"],
            victim_ids=sorted(r["victim_ids"]),
            indicators=sorted(set(r["indicators"])),
        )
        for r in rows
    ]
    return steps, known


def _steps(db: Database, person_id: str, as_of: date) -> tuple[list[PathStep], dict[str, date]]:
    return _to_steps(read(db, "find_incident_timeline", person_id=person_id, as_of=as_of, gravity=gravity_table()))


def _steps_many(
    db: Database, person_ids: list[str], as_of: date, chunk: int = 2000
) -> dict[str, tuple[list[PathStep], dict[str, date]]]:
    """``_steps`` for many people, a chunk of people per query; people with no dated incident are absent."""
    out: dict[str, tuple[list[PathStep], dict[str, date]]] = {}
    for k in range(0, len(person_ids), chunk):
        rows = read(
            db, "find_incident_timelines", person_ids=person_ids[k : k + chunk], as_of=as_of, gravity=gravity_table()
        )
        for r in rows:
            out[r["person_id"]] = _to_steps(r["incidents"])
    return out


def rising_chains(steps: list[PathStep], min_length: int, window_days: int) -> list[list[PathStep]]:
    """Maximal runs of consecutive incidents, each graver than the one before, first to last within the window."""
    chains: list[list[PathStep]] = []
    start = 0
    for i in range(1, len(steps) + 1):
        if i < len(steps) and steps[i].gravity > steps[i - 1].gravity:
            while (steps[i].occurred_on - steps[start].occurred_on).days > window_days:
                start += 1
            continue
        if i - start >= min_length:
            chains.append(steps[start:i])
        start = i
    return chains


def separation_markers(person_id: str, steps: list[PathStep], window_days: int) -> list[SeparationMarker]:
    """A separation (SEPARATION indicator) followed, within the window, by a graver incident."""
    out = []
    for k, s in enumerate(steps):
        if SEPARATION not in s.indicators:
            continue
        for later in steps[k + 1 :]:
            days = (later.occurred_on - s.occurred_on).days
            if days > window_days:
                break
            if later.gravity > s.gravity:
                out.append(SeparationMarker(person_id=person_id, separation=s, followed_by=later, days_after=days))
                break
    return out


def escalation_report(db: Database, person_id: str, as_of: date) -> EscalationReport:
    """The timeline, its rising chains (as paths), and separation-then-escalation markers."""
    steps, _ = _steps(db, person_id, as_of)
    return _report(person_id, steps, as_of)


def escalation_reports(db: Database, person_ids: list[str], as_of: date) -> dict[str, EscalationReport]:
    """``escalation_report`` for many people in a few queries (every id gets a report, empty if no incidents)."""
    many = _steps_many(db, sorted(set(person_ids)), as_of)
    return {pid: _report(pid, many.get(pid, ([], {}))[0], as_of) for pid in person_ids}


def _report(person_id: str, steps: list[PathStep], as_of: date) -> EscalationReport:
    p = escalation_params()
    chains = rising_chains(steps, p["min_chain_length"], p["window_days"])
    return EscalationReport(
        person_id=person_id,
        as_of=as_of,
        timeline=steps,
        paths=[EscalationPath(person_id=person_id, steps=c, gravity_rise=c[-1].gravity - c[0].gravity) for c in chains],
        separation_markers=separation_markers(person_id, steps, p["separation_window_days"]),
    )


def find_escalation(db: Database, q: AsOf) -> list[DefinitionHit]:
    """People with a rising chain whose last incident occurred in the window ending ``as_of``.

    first_met: the date the earliest chain reached the minimum length and all its incidents were known.
    """
    p = escalation_params()
    candidates = read(
        db,
        "find_escalation_candidates",
        as_of=q.as_of,
        window_days=p["window_days"],
        min_chain_length=p["min_chain_length"],
        person_ids=q.person_ids,
    )
    timelines = _steps_many(db, [row["person_id"] for row in candidates], q.as_of)
    hits = []
    for row in candidates:
        pid = row["person_id"]
        steps, known = timelines.get(pid, ([], {}))
        chains = rising_chains(steps, p["min_chain_length"], p["window_days"])
        recent = [c for c in chains if (q.as_of - c[-1].occurred_on).days <= p["window_days"]]
        if not recent:
            continue
        first = chains[0][: p["min_chain_length"]]
        first_met = max(known[s.uid] for s in first)
        details: dict[str, Any] = {"paths": [[s.model_dump(mode="json") for s in c] for c in recent]}
        hits.append(
            DefinitionHit(
                person_id=pid,
                definition=ESCALATION,
                definition_version=definitions_version(),
                first_met=first_met,
                as_of=q.as_of,
                evidence=Evidence(
                    incidents=sorted({s.uid for c in recent for s in c}),
                    victims=sorted({v for c in recent for s in c for v in s.victim_ids}),
                ),
                details=details,
            )
        )
    return hits
