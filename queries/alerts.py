"""Alerts: when a batch of records arrives, tell the agency that must act, at once, with the reason.

``evaluate_alerts`` runs the rules in graph_schema/vocabulary/alert_rules.yaml for exactly the people a
batch touched, firing only on the records that batch brought ("new": ``ingest_batch`` is the batch, or
``ingested_at`` is on or after ``since``). Every rule reuses the project's definitions: serial
(queries.definitions), RFGV (queries.rfgv), escalation (queries.escalation) and obligations
(queries.obligations); none is re-implemented here.

    (:Alert {alert_id, rule, kind, severity, status, reason, agencies, evidence, created_at})
        -[:ABOUT]->(:Person)   -[:ROUTED_TO]->(:Agency)   -[:ALERT_EVIDENCE]->(:Incident | :Order | ...)

``alert_id`` is a hash of the rule, the person and what the rule's identity names (alert_rules.yaml), and
alerts are MERGEd on it: evaluating the same batch twice creates nothing. Status runs
OPEN -> ACKNOWLEDGED -> CLOSED (or OPEN -> CLOSED), each step with who, when and a note.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from graph_schema.model import AlertRule, alert_rules, vocabulary
from queries._common import ASK_TOGETHER_MAX, ask_together, chunks, definition, read, write
from queries.definitions import find_serial_campaign, find_serial_matac
from queries.escalation import escalation_reports
from queries.models import AsOf, DefinitionHit, EscalationReport, RfgvQuery, RfgvScore
from queries.obligations import check_obligations
from queries.rfgv import RFGV, compute_rfgv
from spr.db import Database

OPEN, ACKNOWLEDGED, CLOSED = "OPEN", "ACKNOWLEDGED", "CLOSED"
KNOWN_PERPETRATOR_INCIDENT = "KNOWN_PERPETRATOR_INCIDENT"
ORDER_BREACH = "ORDER_BREACH"
UNNOTIFIED_CHANGE = "UNNOTIFIED_CHANGE"
NEWLY_SERIAL = "NEWLY_SERIAL"
RFGV_THRESHOLD = "RFGV_THRESHOLD"
ESCALATION = "ESCALATION"
SEPARATION_ESCALATION = "SEPARATION_ESCALATION"
RIGHT_TO_KNOW = "RIGHT_TO_KNOW"
#: The rules this module implements; a test checks alert_rules.yaml names exactly these.
IMPLEMENTED_RULES: tuple[str, ...] = (
    KNOWN_PERPETRATOR_INCIDENT,
    ORDER_BREACH,
    UNNOTIFIED_CHANGE,
    NEWLY_SERIAL,
    RFGV_THRESHOLD,
    ESCALATION,
    SEPARATION_ESCALATION,
    RIGHT_TO_KNOW,
)
_SERIAL_FINDERS = {"SERIAL_CAMPAIGN": find_serial_campaign, "SERIAL_MATAC": find_serial_matac}
# Which ALERT_EVIDENCE label each evidence list points to (merge_alerts.cypher).
_EVIDENCE_LISTS = {
    "Incident": "incidents",
    "Order": "orders",
    "Outcome": "outcomes",
    "PersonRecord": "records",
    "Address": "addresses",
    "Travel": "travel",
}
_CHANGE_LABELS = {"address": "Address", "record": "PersonRecord", "partner_record": "PersonRecord", "travel": "Travel"}


class AlertError(ValueError):
    """The alert does not exist, is not routed to the user's agency, or is not in a state that allows this."""


class Alert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    alert_id: str
    rule: str
    kind: str
    rule_version: int | None = None
    person_id: str
    severity: str
    status: str
    reason: str
    routed_to: str | None = None
    agencies: list[str] = []
    evidence: list[str] = Field(default=[], description='Records that fired it, as "Label:key".')
    batch_id: str | None = None
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    ack_note: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_note: str | None = None


class AlertResult(BaseModel):
    """What one evaluation did: alerts created, alerts that already existed (re-evaluation), and both."""

    people: int
    created: int
    unchanged: int
    alerts: list[Alert]
    by_kind: dict[str, int] = {}


@dataclass
class Fired:
    """One rule firing for one person, before it is stored."""

    rule: AlertRule
    kind: str
    person_id: str
    reason: str
    evidence: list[tuple[str, str]]
    agencies: list[str]
    high_risk: bool = False
    identity: list[str] = field(default_factory=list)

    @property
    def severity(self) -> str:
        return self.rule.high_risk_severity if self.high_risk else self.rule.severity

    @property
    def alert_id(self) -> str:
        parts = self.identity or [f"{label}:{key}" for label, key in sorted(set(self.evidence))]
        text = "\x1f".join([self.rule.code, self.kind, self.person_id, *sorted(parts)])
        return "ALR-" + hashlib.sha256(text.encode()).hexdigest()[:24].upper()


def _unique(items: Iterable[str | None]) -> list[str]:
    out: list[str] = []
    for x in items:
        if x and x not in out:
            out.append(x)
    return out


def _in_force(order: dict[str, Any], day: date) -> bool:
    start, end = order["start_date"], order["end_date"]
    return (start is None or start <= day) and (end is None or end >= day)


def _running_before(order: dict[str, Any], day: date) -> bool:
    """Made before ``day`` and still in force on it: the incident that led to an order is not its breach."""
    start, end = order["start_date"], order["end_date"]
    return start is not None and start < day and (end is None or end >= day)


def _high_risk(incidents: Iterable[dict[str, Any]], ignore: Iterable[str] = ()) -> bool:
    grades = set(alert_rules().high_risk_grades)
    homicide = set(vocabulary().homicide_indicators) - set(ignore)
    return any(i["dash_grade"] in grades or homicide & set(i["indicators"]) for i in incidents)


class _Person:
    """One person's facts (find_alert_facts) and the routing derived from them."""

    def __init__(self, row: dict[str, Any], as_of: date) -> None:
        self.row = row
        self.pid: str = row["person_id"]
        incidents: list[dict[str, Any]] = row["new_incidents"]
        self.new_incidents = sorted(incidents, key=lambda i: (i["occurred_on"] or date.min, i["uid"]))
        self.by_uid = {i["uid"]: i for i in self.new_incidents}
        self.orders: list[dict[str, Any]] = row["orders"]
        issuers = [o["issuer"] for o in self.orders if _in_force(o, as_of)]
        self.managing = _unique(
            [n["lead_agency"] for n in row["nominations"]] + [a for e in row["mappa"] for a in e["agencies"]] + issuers
        )
        self.new_keys: set[tuple[str, str]] = {("Incident", i["uid"]) for i in self.new_incidents}
        self.new_keys |= {("Order", u) for u in row["new_orders"]}
        self.new_keys |= {("Outcome", o["uid"]) for o in row["new_outcomes"]}
        # When each new record happened, for "has the person only now met a definition?"
        self.new_dates: dict[tuple[str, str], date | None] = {
            ("Incident", i["uid"]): i["occurred_on"] for i in incidents
        }
        self.new_dates |= {("Outcome", o["uid"]): o["date"] for o in row["new_outcomes"]}
        self.new_dates |= {("Order", o["uid"]): o["start_date"] for o in self.orders if o["uid"] in row["new_orders"]}

    def route(
        self,
        rule: AlertRule,
        incident_forces: Iterable[str | None] = (),
        issuers: Iterable[str | None] = (),
        recording: Iterable[str | None] = (),
    ) -> list[str]:
        forces = _unique(incident_forces) or _unique([self.row["latest_force"]])
        by_target: dict[str, list[str]] = {
            "INCIDENT_FORCE": forces,
            "MANAGING_AGENCY": self.managing,
            "ORDER_ISSUER": _unique(issuers),
            "RECORDING_AGENCY": _unique(recording),
            "NOTIFICATION_AGENCY": _unique(self.row["notification_agencies"]),
        }
        return _unique(a for target in rule.route_to for a in by_target[target])


def _describe(i: dict[str, Any]) -> str:
    return f"{i['uid']} ({i['offence_code']}, {i['agency_code']}, {i['occurred_on']})"


# -- the rules ---------------------------------------------------------------------------------------
def _known_and_breach(p: _Person, serial: list[DefinitionHit]) -> list[Fired]:
    rules = alert_rules()
    known_rule, breach_rule = rules.rule(KNOWN_PERPETRATOR_INCIDENT), rules.rule(ORDER_BREACH)
    orders = {o["uid"]: o for o in p.orders}
    out = []
    for inc in p.new_incidents:
        day = inc["occurred_on"]
        if day is None:
            continue
        breached = [orders[u] for u in inc["breach_orders"] if u in orders]
        victims = set(inc["victims"])
        breached += [
            o for o in p.orders if o not in breached and _running_before(o, day) and victims & set(o["protected"])
        ]
        if breached:
            names = ", ".join(f"{o['order_type']} {o['uid']}" for o in breached)
            out.append(
                Fired(
                    breach_rule,
                    ORDER_BREACH,
                    p.pid,
                    f"Incident {_describe(inc)} breaches {names}: recorded as a breach, or against a person the "
                    "order protects while it was in force.",
                    [("Incident", inc["uid"])] + [("Order", o["uid"]) for o in breached],
                    p.route(breach_rule, [inc["agency_code"]], [o["issuer"] for o in breached]),
                    _high_risk([inc]),
                )  # fmt: skip
            )
            continue  # the breach alert says it all: no second alert for the same incident
        why = [f"meets {h.definition} since {h.first_met}" for h in serial if h.first_met < day]
        why += [f"nominated to MAPPA+ ({n['nomination_id']}, {n['status']})" for n in p.row["nominations"]
                if n["created_on"] is None or n["created_on"] <= day]  # fmt: skip
        why += [f"managed under MAPPA ({e['uid']})" for e in p.row["mappa"]
                if e["start_date"] is None or e["start_date"] <= day]  # fmt: skip
        in_force = [o for o in p.orders if _running_before(o, day)]
        why += [f"subject to {o['order_type']} {o['uid']}" for o in in_force]
        if why:
            out.append(
                Fired(
                    known_rule,
                    KNOWN_PERPETRATOR_INCIDENT,
                    p.pid,
                    f"Suspect in new incident {_describe(inc)}; the person " + "; ".join(why) + ".",
                    [("Incident", inc["uid"])] + [("Order", o["uid"]) for o in in_force],
                    p.route(known_rule, [inc["agency_code"]]),
                    _high_risk([inc]),
                )  # fmt: skip
            )
    return out


def _newly_serial(p: _Person, serial: list[DefinitionHit]) -> list[Fired]:
    rule = alert_rules().rule(NEWLY_SERIAL)
    out = []
    for h in serial:
        if h.definition not in rule.param("serial_definitions"):
            continue
        keys = (
            [("Incident", u) for u in h.evidence.incidents]
            + [("Order", u) for u in h.evidence.orders]
            + [("Outcome", u) for u in h.evidence.outcomes]
        )
        fresh = [k for k in keys if k in p.new_keys]
        # Only now: a new record is part of the evidence and happened no later than the date the definition
        # was first met (so it helped to meet it). New records dated after that add to a definition the
        # person already met before the batch: no alert (the known-perpetrator rule covers new incidents).
        if not any(p.new_dates.get(k) is None or p.new_dates[k] <= h.first_met for k in fresh):  # type: ignore[operator]
            continue
        new_incs = [p.by_uid[k] for lab, k in fresh if lab == "Incident"]
        out.append(
            Fired(
                rule,
                NEWLY_SERIAL,
                p.pid,
                f"Now meets {definition(h.definition).name} ({h.definition}), first met {h.first_met}: "
                f"{len(h.evidence.victims)} victims; new records in the evidence: "
                + ", ".join(k for _, k in fresh)
                + ".",
                keys,
                p.route(rule, [i["agency_code"] for i in new_incs]),
                _high_risk(new_incs),
                identity=[h.definition],
            )  # fmt: skip
        )
    return out


def _escalation(report: EscalationReport, p: _Person) -> list[Fired]:
    rules = alert_rules()
    esc_rule, sep_rule = rules.rule(ESCALATION), rules.rule(SEPARATION_ESCALATION)
    out = []
    chains = [path.steps for path in report.paths if path.steps[-1].uid in p.by_uid]
    covered: set[str] = set()
    if chains:
        steps = {s.uid: s for c in chains for s in c}
        covered = {c[-1].uid for c in chains}
        lasts = [p.by_uid[c[-1].uid] for c in chains]
        text = "; ".join(" < ".join(f"{s.uid} ({s.offence_code} {s.gravity})" for s in c) for c in chains)
        out.append(
            Fired(
                esc_rule,
                ESCALATION,
                p.pid,
                f"New incident ends a chain of incidents of rising gravity: {text}.",
                [("Incident", u) for u in sorted(steps)],
                p.route(esc_rule, [i["agency_code"] for i in lasts]),
                _high_risk(lasts),
            )  # fmt: skip
        )
    for m in report.separation_markers:
        inc = p.by_uid.get(m.followed_by.uid)
        if inc is None or inc["uid"] in covered or not _high_risk([inc], sep_rule.param("ignore_indicators")):
            continue
        out.append(
            Fired(
                sep_rule,
                SEPARATION_ESCALATION,
                p.pid,
                f"New incident {_describe(inc)} (gravity {m.followed_by.gravity}, DASH {inc['dash_grade'] or '-'}, "
                f"indicators {', '.join(inc['indicators']) or '-'}) {m.days_after} days after a recorded "
                f"separation ({m.separation.uid}, gravity {m.separation.gravity}).",
                [("Incident", m.separation.uid), ("Incident", inc["uid"])],
                p.route(sep_rule, [inc["agency_code"]]),
                True,
            )  # fmt: skip
        )
    return out


def _right_to_know(p: _Person, serial: list[DefinitionHit], as_of: date) -> list[Fired]:
    rule = alert_rules().rule(RIGHT_TO_KNOW)
    hits = [h for h in serial if h.definition in rule.param("serial_definitions")]
    if not hits:
        return []
    out = []
    for rel in p.row["new_relationships"]:
        if rel["kind"] not in rule.param("relationship_kinds") or (rel["end_date"] and rel["end_date"] < as_of):
            continue
        out.append(
            Fired(
                rule,
                RIGHT_TO_KNOW,
                p.pid,
                f"New {rel['kind']} relationship (record {rel['uid']}, partner record {rel['partner']}, from "
                f"{rel['start_date'] or '?'}) "
                f"of a person who meets {', '.join(h.definition for h in hits)}: consider a Right to Know disclosure "
                "to the new partner.",
                [("PersonRecord", rel["partner"])],
                p.route(rule, recording=[rel["source"]]),
            )  # fmt: skip
        )
    return out


def _rfgv(db: Database, people: dict[str, _Person], as_of: date) -> list[Fired]:
    rule = alert_rules().rule(RFGV_THRESHOLD)
    threshold = float(definition(RFGV).param("nomination_threshold"))
    scope = sorted(pid for pid, p in people.items() if p.new_incidents)
    if not scope:
        return []
    # Above the threshold now, with new incidents in the window: what was the score the day before the first?
    above: list[tuple[RfgvScore, _Person, list[str], date]] = []
    for sc in compute_rfgv(db, RfgvQuery(as_of=as_of, person_ids=scope)):
        p = people[sc.person_id]
        new_in_window = [u for u in sc.evidence.incidents if u in p.by_uid]
        if sc.score >= threshold and new_in_window:
            first_new = min(p.by_uid[u]["occurred_on"] for u in new_in_window)
            above.append((sc, p, new_in_window, first_new))
    by_day: dict[date, list[str]] = {}
    for sc, _, _, first_new in above:
        by_day.setdefault(first_new, []).append(sc.person_id)
    before: dict[tuple[str, date], float] = {}
    for first_new, pids in by_day.items():  # one query per day: a batch spans a few days
        for b in compute_rfgv(db, RfgvQuery(as_of=first_new - timedelta(days=1), person_ids=sorted(pids))):
            before[(b.person_id, first_new)] = b.score
    out = []
    for sc, p, new_in_window, first_new in above:
        was = before.get((sc.person_id, first_new), 0.0)
        if was >= threshold:
            continue
        incs = [p.by_uid[u] for u in new_in_window]
        out.append(
            Fired(
                rule,
                RFGV_THRESHOLD,
                p.pid,
                f"RFGV priority score {sc.score:g} (was {was:g} before {first_new}) is at or above the nomination "
                f"threshold {threshold:g}: recency {sc.recency:g}, frequency {sc.frequency:g}, "
                f"gravity {sc.gravity:g}, {sc.victims} victims.",
                [("Incident", u) for u in new_in_window],
                p.route(rule, [i["agency_code"] for i in incs]),
                _high_risk(incs),
            )  # fmt: skip
        )
    return out


def _unnotified(db: Database, people: dict[str, _Person], as_of: date) -> list[Fired]:
    rule = alert_rules().rule(UNNOTIFIED_CHANGE)
    sources: dict[str, dict[tuple[str, str], str | None]] = {}
    for pid, p in people.items():
        keys: dict[tuple[str, str], str | None] = {}
        keys |= {("Address", a["uid"]): a["source"] for a in p.row["new_addresses"]}
        keys |= {("PersonRecord", r["uid"]): r["source"] for r in p.row["new_records"]}
        keys |= {("Travel", t["uid"]): t["source"] for t in p.row["new_travel"]}
        keys |= {("PersonRecord", r["partner"]): r["source"] for r in p.row["new_relationships"]}
        if keys:
            sources[pid] = keys
    if not sources:
        return []
    rel_uids: dict[Any, list[str]] = {}
    for p in people.values():
        for r in p.row["new_relationships"]:
            if r["uid"]:
                rel_uids.setdefault(r["partner"], []).append(r["uid"])
    out = []
    for report in check_obligations(db, AsOf(as_of=as_of, person_ids=sorted(sources))):
        p = people[report.person_id]
        for duty in report.duties:
            for ev in duty.events:
                if ev.status not in ("LATE", "MISSING"):
                    continue
                cited = [(_CHANGE_LABELS[k], str(v)) for k, v in ev.details.items() if k in _CHANGE_LABELS]
                fresh = [k for k in cited if k in sources[report.person_id]]
                if not fresh:
                    continue
                evidence = fresh + ([("Order", duty.imposed_by)] if duty.imposed_by else [])
                notified = f"notified late on {ev.notified_on}" if ev.status == "LATE" else "no notification"
                seen_in = ", ".join(
                    [k for _, k in fresh]
                    + [f"relationship record {u}" for u in rel_uids.get(ev.details.get("partner_record"), [])]
                )
                issuer = [o["issuer"] for o in p.orders if o["uid"] == duty.imposed_by]
                out.append(
                    Fired(
                        rule,
                        f"UNNOTIFIED_{duty.duty}",
                        p.pid,
                        f"{ev.event.replace('_', ' ').lower()} on {ev.event_date} seen in {seen_in}: "
                        f"{notified} (due by {ev.due_by}, duty {duty.duty} from {duty.imposed_by or 'management'}).",
                        evidence,
                        p.route(rule, issuers=issuer, recording=[sources[report.person_id][k] for k in fresh]),
                    )  # fmt: skip
                )
    return out


# -- evaluation --------------------------------------------------------------------------------------
def people_in_batch(db: Database, batch_id: str) -> list[str]:
    """The people a batch touched (suspects of its incidents, owners of its records, addresses, journeys
    and orders), found through the ingest_batch indexes."""
    rows = read(db, "find_alert_batch_people", batch_id=batch_id)
    return list(rows[0]["person_ids"]) if rows else []


def fire(
    db: Database,
    person_ids: list[str],
    *,
    batch_id: str | None = None,
    since: datetime | None = None,
    as_of: date | None = None,
) -> list[Fired]:
    """Every rule firing for these people on the records that are new, without storing anything."""
    if batch_id is None and since is None:
        raise ValueError("say which records are new: a batch_id, a since time, or both")
    day = as_of or date.today()
    rules = alert_rules()
    plus = definition("MAPPA_PLUS")
    known = rules.rule(KNOWN_PERPETRATOR_INCIDENT)
    rows = read(
        db, "find_alert_facts", person_ids=sorted(set(person_ids)), batch_id=batch_id, since=since,
        mappa_kind=known.param("mappa_kind"), managed_statuses=list(plus.param("managed_statuses")), as_of=day,
    )  # fmt: skip
    people = {row["person_id"]: _Person(row, day) for row in rows}
    # Serial hits are needed wherever a new incident, outcome, order or relationship could matter.
    scope = sorted(pid for pid, p in people.items() if p.new_incidents or p.new_keys or p.row["new_relationships"])
    codes = _unique(
        list(known.param("serial_definitions"))
        + list(rules.rule(NEWLY_SERIAL).param("serial_definitions"))
        + list(rules.rule(RIGHT_TO_KNOW).param("serial_definitions"))
    )
    with_incidents = sorted(pid for pid, p in people.items() if p.new_incidents)
    # The rules' questions are independent reads of what the batch committed: asked at once, the server answers
    # them on its cores while this process converts the rows that have come back.
    asked = ask_together(
        {
            **{code: partial(_SERIAL_FINDERS[code], db, AsOf(as_of=day, person_ids=scope)) for code in codes if scope},
            "timelines": partial(escalation_reports, db, with_incidents, day),
            "rfgv": partial(_rfgv, db, people, day),
            "unnotified": partial(_unnotified, db, people, day),
        },
        together=len(people) <= ASK_TOGETHER_MAX,
    )
    serial: dict[str, list[DefinitionHit]] = {}
    for code in codes:
        for h in asked.get(code, []):
            serial.setdefault(h.person_id, []).append(h)
    timelines: dict[str, EscalationReport] = asked["timelines"]
    fired: list[Fired] = []
    for pid, p in people.items():
        hits = serial.get(pid, [])
        fired += _known_and_breach(p, [h for h in hits if h.definition in known.param("serial_definitions")])
        fired += _newly_serial(p, hits)
        if p.new_incidents:
            fired += _escalation(timelines[pid], p)
        fired += _right_to_know(p, hits, day)
    fired += asked["rfgv"]
    fired += asked["unnotified"]
    return fired


def _newest_first(alerts: list[Alert]) -> list[Alert]:
    """The order list_alerts returns: created_at descending, then alert_id."""
    return sorted(sorted(alerts, key=lambda a: a.alert_id), key=lambda a: a.created_at, reverse=True)


def evaluate_alerts(
    db: Database,
    person_ids: list[str],
    *,
    batch_id: str | None,
    since: datetime | None,
    as_of: date | None = None,
    created_at: datetime | None = None,
    batch_size: int = 500,
) -> AlertResult:
    """Run every rule for these people on the new records and store the alerts (MERGE on alert_id)."""
    fired = fire(db, person_ids, batch_id=batch_id, since=since, as_of=as_of)
    at = created_at or datetime.now(UTC)
    version = alert_rules().version
    rows: dict[str, dict[str, Any]] = {}
    for f in fired:
        evidence = sorted(set(f.evidence))
        row: dict[str, Any] = {
            "alert_id": f.alert_id, "rule": f.rule.code, "kind": f.kind, "rule_version": version,
            "person_id": f.person_id, "severity": f.severity, "reason": f.reason,
            "routed_to": f.agencies[0] if f.agencies else None, "agencies": f.agencies,
            "evidence": [f"{label}:{key}" for label, key in evidence], "batch_id": batch_id,
        }  # fmt: skip
        for label, name in _EVIDENCE_LISTS.items():
            row[name] = [k for lab, k in evidence if lab == label]
        rows[f.alert_id] = row
    created: set[str] = set()
    stored: list[Alert] = []
    for batch in chunks(list(rows.values()), batch_size):
        # No read-back: a new alert holds what its row gave, and the write returns one stored before as it is.
        for r in write(db, "merge_alerts", rows=batch, created_at=at, status=OPEN):
            if r["created"]:
                created.add(r["alert_id"])
                stored.append(Alert(**rows[r["alert_id"]], status=OPEN, created_at=at))
            else:
                stored.append(Alert(**r["stored"]))
    alerts = _newest_first(stored)
    by_kind: dict[str, int] = {}
    for a in alerts:
        by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
    return AlertResult(
        people=len(set(person_ids)),
        created=len(created),
        unchanged=len(rows) - len(created),
        alerts=alerts,
        by_kind=dict(sorted(by_kind.items())),
    )


def evaluate_batch(
    db: Database, batch_id: str, person_ids: list[str] | None = None, *, as_of: date | None = None
) -> AlertResult:
    """The trigger stage after a load: the batch's people (found from the batch unless given), its records."""
    people = person_ids if person_ids is not None else people_in_batch(db, batch_id)
    if not people:
        return AlertResult(people=0, created=0, unchanged=0, alerts=[])
    return evaluate_alerts(db, people, batch_id=batch_id, since=None, as_of=as_of)


# -- reading and handling alerts ---------------------------------------------------------------------
def list_alerts(
    db: Database,
    *,
    agency: str | None = None,
    statuses: list[str] | None = None,
    kinds: list[str] | None = None,
    person_id: str | None = None,
    alert_ids: list[str] | None = None,
    since: datetime | None = None,
    skip: int = 0,
    limit: int = 100,
) -> list[Alert]:
    """Alerts newest first; ``agency`` keeps those routed to it, ``since`` those created after it.
    Given ``alert_ids``, only those are read (through the alert_id index, whatever else is stored)."""
    filters = {"agency": agency, "statuses": statuses, "kinds": kinds, "person_id": person_id, "since": since}
    if alert_ids is None:
        rows = read(db, "list_alerts", **filters, skip=skip, limit=limit)
    else:
        rows = read(db, "list_alerts_by_id", alert_ids=alert_ids, **filters, skip=skip, limit=limit)
    return [Alert(**r["alert"]) for r in rows]


def undelivered_alerts(db: Database, since: datetime, limit: int = 500) -> list[Alert]:
    """Alerts created after ``since`` not yet posted to the webhook, oldest first."""
    return [Alert(**r["alert"]) for r in read(db, "list_undelivered_alerts", since=since, limit=limit)]


def mark_delivered(db: Database, alert_ids: list[str], at: datetime | None = None) -> int:
    """Store that these alerts reached the webhook; returns how many were newly marked."""
    rows = write(db, "mark_alerts_delivered", alert_ids=alert_ids, at=at or datetime.now(UTC))
    return int(rows[0]["marked"]) if rows else 0


def get_alert(db: Database, alert_id: str, agency: str | None = None) -> Alert | None:
    found = list_alerts(db, agency=agency, alert_ids=[alert_id], limit=1)
    return found[0] if found else None


def _set_status(
    db: Database, alert_id: str, status: str, from_statuses: list[str], by: str, note: str, agency: str | None,
    at: datetime | None,
) -> Alert:  # fmt: skip
    if not note or not note.strip():
        raise AlertError("a note is required")
    rows = write(
        db, "decide_alert", alert_id=alert_id, from_statuses=from_statuses, status=status,
        closing=status == CLOSED, by=by, at=at or datetime.now(UTC), note=note.strip(), agency=agency,
    )  # fmt: skip
    if not rows:
        current = get_alert(db, alert_id, agency)
        if current is None:
            raise AlertError(f"no alert {alert_id}")
        raise AlertError(f"alert {alert_id} is {current.status}: it cannot become {status}")
    found = get_alert(db, alert_id)
    assert found is not None
    return found


def acknowledge(
    db: Database, alert_id: str, by: str, note: str, *, agency: str | None = None, at: datetime | None = None
) -> Alert:
    """An open alert has been seen and is being acted on."""
    return _set_status(db, alert_id, ACKNOWLEDGED, [OPEN], by, note, agency, at)


def close_alert(
    db: Database, alert_id: str, by: str, note: str, *, agency: str | None = None, at: datetime | None = None
) -> Alert:
    """An open or acknowledged alert is dealt with."""
    return _set_status(db, alert_id, CLOSED, [OPEN, ACKNOWLEDGED], by, note, agency, at)
