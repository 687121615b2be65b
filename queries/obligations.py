"""Obligations: for people under notification duties, each duty, each notification, and each breach.

A breach is a record that shows a change with no matching notification in time:
  ADDRESS       a LIVES_AT from_date (a move)
  NAME          a later PersonRecord of the same Person with a different last name (dated by the first
                time that record appears: an incident, an address, or when it was received)
  RELATIONSHIP  a RELATIONSHIP_WITH start_date of a kind in definitions.yaml OBLIGATIONS.relationship_kinds
  TRAVEL        a Travel departure_date; notice is due deadline_days *before* departure
A notification matches an event when it is of the duty's kind (obligations.yaml) and its effective date
is within match_tolerance_days of the event (or it has none). Events are checked only while the duty
runs (start_date to end_date). TREATMENT is listed with its notifications; attendance is not checked.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from graph_schema.model import vocabulary
from queries._common import definition, read
from queries.models import AsOf, DutyStatus, ObligationEvent, ObligationReport
from spr.db import Database

OBLIGATIONS = "OBLIGATIONS"
Status = Literal["NOTIFIED", "LATE", "MISSING", "PENDING"]


def _events(duty: str, req: dict[str, Any], facts: dict[str, Any]) -> list[tuple[str, date, dict[str, Any]]]:
    if duty == "ADDRESS":
        return [("MOVE", m["date"], {"address": m["uid"]}) for m in facts["moves"] if m["date"]]
    if duty == "RELATIONSHIP":
        return [("NEW_RELATIONSHIP", x["date"], {"partner_record": x["uid"]}) for x in facts["partners"] if x["date"]]
    if duty == "TRAVEL":
        return [("TRAVEL", t["date"], {"travel": t["uid"], "destination": t["destination"]}) for t in facts["travel"]]
    if duty == "NAME":
        base = (req.get("last_name") or "").strip().lower()
        return [
            ("NAME_CHANGE", r["seen"], {"record": r["uid"], "last_name": r["last_name"]})
            for r in facts["records"]
            if r["seen"] and r["last_name"] and r["last_name"].strip().lower() != base
        ]
    return []


def _check(
    duty: str, kind: str, deadline: int, in_advance: bool, event: tuple[str, date, dict[str, Any]],
    notifications: list[dict[str, Any]], as_of: date, tolerance: int,
) -> ObligationEvent:  # fmt: skip
    name, when, details = event
    due = when - timedelta(days=deadline) if in_advance else when + timedelta(days=deadline)
    matching = sorted(
        (
            n
            for n in notifications
            if n["kind"] == kind
            and (n["effective_date"] is None or abs((n["effective_date"] - when).days) <= tolerance)
            and (in_advance or n["notified_on"] >= when - timedelta(days=tolerance + deadline))
        ),
        key=lambda n: n["notified_on"],
    )
    if matching:
        n = matching[0]
        status: Status = "NOTIFIED" if n["notified_on"] <= due else "LATE"
        return ObligationEvent(
            duty=duty, event=name, event_date=when, due_by=due, status=status, notification=n["uid"],
            notified_on=n["notified_on"], details=details,
        )  # fmt: skip
    missing: Status = "PENDING" if due >= as_of else "MISSING"
    return ObligationEvent(duty=duty, event=name, event_date=when, due_by=due, status=missing, details=details)


def check_obligations(db: Database, q: AsOf) -> list[ObligationReport]:
    """Every person under a notification duty, with each duty's events and whether each was notified."""
    p = definition(OBLIGATIONS)
    tolerance = int(p.param("match_tolerance_days"))
    duties = vocabulary().duties
    rows = read(
        db, "find_obligation_facts", as_of=q.as_of, person_ids=q.person_ids,
        relationship_kinds=list(p.param("relationship_kinds")),
    )  # fmt: skip
    reports = []
    for facts in rows:
        statuses = []
        breaches = []
        for req in sorted(facts["requirements"], key=lambda r: (r["duty"], r["uid"])):
            duty = duties.get(req["duty"])
            if duty is None:
                continue
            deadline = int(req["deadline_days"] if req["deadline_days"] is not None else duty.deadline_days)
            start, end = req["start_date"], req["end_date"]
            events = []
            for ev in sorted(_events(duty.code, req, facts), key=lambda e: e[1]):
                if (start and ev[1] < start) or (end and ev[1] > end) or ev[1] > q.as_of + timedelta(days=deadline):
                    continue
                checked = _check(
                    duty.code, duty.notification_kind, deadline, duty.in_advance, ev, facts["notifications"], q.as_of,
                    tolerance,
                )  # fmt: skip
                events.append(checked)
                if checked.status in ("LATE", "MISSING"):
                    breaches.append(checked)
            statuses.append(
                DutyStatus(
                    requirement=req["uid"],
                    duty=duty.code,
                    deadline_days=deadline,
                    start_date=start,
                    end_date=end,
                    imposed_by=req["imposed_by"],
                    events=events,
                )  # fmt: skip
            )
        reports.append(
            ObligationReport(
                person_id=facts["person_id"],
                as_of=q.as_of,
                duties=statuses,
                notifications=sorted(facts["notifications"], key=lambda n: (n["notified_on"], n["uid"])),
                breaches=sorted(breaches, key=lambda b: (b.event_date, b.duty)),
            )
        )
    return reports
