"""Alert rules against a real Neo4j: one hand-made case per rule (and its negative), idempotent re-evaluation,
the acknowledge/close lifecycle, and the generator's planted patterns loaded through the ingest."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, LiteralString

import pytest
from factories import GraphFactory, link_truth

from graph_schema.model import AlertRules, alert_rules
from queries.alerts import (
    ACKNOWLEDGED,
    CLOSED,
    IMPLEMENTED_RULES,
    AlertError,
    acknowledge,
    close_alert,
    evaluate_alerts,
    evaluate_batch,
    list_alerts,
    people_in_batch,
)
from spr.db import Database

AS_OF = date(2026, 3, 31)
OLD, NEW = "batch-old", "batch-new"


def stamp(db: Database, batch: str, at: datetime | None = None) -> None:
    """Give every node and relationship written so far without provenance the batch's, as the ingest does."""
    at = at or datetime.now(UTC)
    db.write(
        "MATCH (n) WHERE n.ingest_batch IS NULL AND NOT n:Agency SET n.ingest_batch = $b, n.ingested_at = $at",
        b=batch,
        at=at,
    )
    db.write(
        "MATCH ()-[r]->() WHERE r.ingest_batch IS NULL SET r.ingest_batch = $b, r.ingested_at = $at", b=batch, at=at
    )


def evaluate(db: Database, *pids: str, batch: str = NEW):  # type: ignore[no-untyped-def]
    return evaluate_alerts(db, list(pids), batch_id=batch, since=None, as_of=AS_OF)


def kinds(result) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(a.kind for a in result.alerts)


def serial_history(g: GraphFactory, pid: str = "S") -> tuple:  # type: ignore[type-arg]
    s, v1, v2 = g.person(pid), g.person(pid + "-V1"), g.person(pid + "-V2")
    i1 = g.incident(s, v1, "2024-01-10", agency="CLE")
    g.outcome(s, "CONVICTION", "2024-03-01", incident=i1)
    g.incident(s, v2, "2025-02-10", agency="CLE")
    return s, v1, v2


# -- the rules file ------------------------------------------------------------------------------------
def test_every_rule_in_the_file_is_implemented_and_every_implemented_rule_is_in_the_file() -> None:
    assert set(alert_rules().rules) == set(IMPLEMENTED_RULES)


def test_rules_file_invariants_are_checked() -> None:
    good = alert_rules().model_dump()
    bad = json.loads(json.dumps(good))
    bad["rules"]["ORDER_BREACH"]["severity"] = "APOCALYPTIC"
    with pytest.raises(ValueError, match="unknown severity"):
        AlertRules.model_validate(bad)
    bad = json.loads(json.dumps(good))
    bad["rules"]["ORDER_BREACH"]["high_risk_severity"] = "LOW"
    with pytest.raises(ValueError, match="lower than severity"):
        AlertRules.model_validate(bad)
    bad = json.loads(json.dumps(good))
    bad["statuses"] = ["ACKNOWLEDGED", "CLOSED"]
    with pytest.raises(ValueError, match="start with OPEN"):
        AlertRules.model_validate(bad)


# -- one case per rule ---------------------------------------------------------------------------------
def test_known_serial_perpetrator_in_a_new_incident_alerts_the_force_where_it_happened(g: GraphFactory) -> None:
    s, _, _ = serial_history(g)
    other, w = g.person("O"), g.person("O-V")
    g.incident(other, w, "2025-01-01", agency="CLE")
    stamp(g.db, OLD)
    v3 = g.person("S-V3")
    inc = g.incident(s, v3, "2026-03-01", agency="NBR")
    g.incident(other, w, "2026-03-02", agency="CLE")  # not known: no alert
    stamp(g.db, NEW)
    r = evaluate(g.db, "S", "O")
    known = [a for a in r.alerts if a.kind == "KNOWN_PERPETRATOR_INCIDENT"]
    assert len(known) == 1
    a = known[0]
    assert a.person_id == "S" and a.routed_to == "NBR" and f"Incident:{inc}" in a.evidence
    assert "SERIAL_CAMPAIGN" in a.reason and a.status == "OPEN" and a.severity == "MEDIUM"
    assert {x.person_id for x in r.alerts} == {"S"}
    routed = g.count(
        "MATCH (:Alert {alert_id: $id})-[:ROUTED_TO]->(ag:Agency) RETURN collect(ag.code) = ['NBR'] AS ok",
        id=a.alert_id,
    )
    assert routed == 1
    assert g.count("MATCH (:Alert {alert_id: $id})-[:ABOUT]->(:Person {person_id: 'S'}) RETURN count(*)", id=a.alert_id)


def test_the_same_batch_evaluated_twice_creates_no_duplicates(g: GraphFactory) -> None:
    s, _, _ = serial_history(g)
    stamp(g.db, OLD)
    g.incident(s, g.person("S-V3"), "2026-03-01", agency="NBR")
    stamp(g.db, NEW)
    first = evaluate(g.db, "S")
    assert first.created >= 1 and first.unchanged == 0
    again = evaluate(g.db, "S")
    assert again.created == 0 and again.unchanged == first.created
    assert {a.alert_id for a in again.alerts} == {a.alert_id for a in first.alerts}
    assert g.count("MATCH (a:Alert) RETURN count(a)") == first.created


def test_person_under_nomination_or_order_is_known(g: GraphFactory) -> None:
    a, b = g.person("A"), g.person("B")
    va, vb = g.person("VA"), g.person("VB")
    g.db.write(
        "MATCH (p:Person {person_id: 'A'}) CREATE (n:Nomination {nomination_id: 'NOM-1', status: 'ACCEPTED', "
        "lead_agency: 'PROB-NE', created_at: datetime('2025-06-01T00:00:00Z')})-[:NOMINATES]->(p)"
    )
    g.order(b, "DVPO", "2026-02-20", "2026-03-20", protects=g.person("OTHER"))
    stamp(g.db, OLD)
    g.incident(a, va, "2026-03-01", agency="CLE")
    g.incident(b, vb, "2026-03-05", agency="NBR")
    stamp(g.db, NEW)
    r = evaluate(g.db, "A", "B")
    by_person = {x.person_id: x for x in r.alerts if x.kind == "KNOWN_PERPETRATOR_INCIDENT"}
    assert set(by_person) == {"A", "B"}
    assert by_person["A"].agencies == ["CLE", "PROB-NE"] and "NOM-1" in by_person["A"].reason
    assert "DVPO" in by_person["B"].reason


def test_incident_against_a_protected_person_while_the_order_runs_is_one_breach_alert(g: GraphFactory) -> None:
    s, v = g.person("S"), g.person("V")
    g.incident(s, v, "2025-01-01", agency="CLE")
    order = g.order(s, "RESTRAINING", "2025-06-01", None, protects=v)
    g.db.write("MATCH (o:Order {uid: $o}) SET o.issuing_agency = 'COURT-EW'", o=order)
    stamp(g.db, OLD)
    inc = g.incident(s, v, "2026-02-01", agency="NBR", dash_grade="HIGH")
    recorded = g.incident(s, g.person("V2"), "2026-02-10", agency="NBR", offence="BREACH_OF_ORDER")
    g.breach(recorded, order)
    stamp(g.db, NEW)
    r = evaluate(g.db, "S")
    breaches = [a for a in r.alerts if a.kind == "ORDER_BREACH"]
    assert sorted(e for a in breaches for e in a.evidence if e.startswith("Incident:")) == sorted(
        [f"Incident:{inc}", f"Incident:{recorded}"]
    )
    for a in breaches:
        assert f"Order:{order}" in a.evidence and a.agencies[:2] == ["NBR", "COURT-EW"]
    assert {a.severity for a in breaches} == {"CRITICAL", "HIGH"}  # the DASH HIGH one is critical
    assert kinds(r)["KNOWN_PERPETRATOR_INCIDENT"] == 0  # the breach alert covers those incidents


def test_incident_outside_the_order_is_no_breach(g: GraphFactory) -> None:
    s, v = g.person("S"), g.person("V")
    g.order(s, "DVPO", "2025-06-01", "2025-06-28", protects=v)
    stamp(g.db, OLD)
    g.incident(s, v, "2026-02-01", agency="NBR")
    stamp(g.db, NEW)
    assert kinds(evaluate(g.db, "S"))["ORDER_BREACH"] == 0


def test_new_address_with_no_notification_alerts_and_a_notified_one_does_not(g: GraphFactory) -> None:
    s, t = g.person("S"), g.person("T")
    g.order(s, "SPO", "2025-01-01", None, duties=[("ADDRESS", 3), ("TRAVEL", 7)])
    g.order(t, "SPO", "2025-01-01", None, duties=[("ADDRESS", 3)])
    g.db.write("MATCH (a:Agency {code: 'CLE'}) RETURN a")
    stamp(g.db, OLD)
    addr = g.lives_at(s, "2026-01-10")
    trip = g.travel(s, "2026-02-01")
    g.lives_at(t, "2026-01-10")
    g.notification(t, "ADDRESS", "2026-01-11", "2026-01-10")
    stamp(g.db, NEW)
    r = evaluate(g.db, "S", "T")
    got = {(a.person_id, a.kind): a for a in r.alerts}
    assert set(got) == {("S", "UNNOTIFIED_ADDRESS"), ("S", "UNNOTIFIED_TRAVEL")}
    assert f"Address:{addr}" in got[("S", "UNNOTIFIED_ADDRESS")].evidence
    assert f"Travel:{trip}" in got[("S", "UNNOTIFIED_TRAVEL")].evidence
    assert "no notification" in got[("S", "UNNOTIFIED_ADDRESS")].reason


def test_old_unnotified_change_does_not_alert_again_on_an_unrelated_batch(g: GraphFactory) -> None:
    s = g.person("S")
    g.order(s, "SPO", "2025-01-01", None, duties=[("ADDRESS", 3)])
    g.lives_at(s, "2025-05-01")
    stamp(g.db, OLD)
    g.incident(s, g.person("V"), "2026-01-01", agency="CLE")
    stamp(g.db, NEW)
    assert not [a for a in evaluate(g.db, "S").alerts if a.kind.startswith("UNNOTIFIED_")]


def test_just_meeting_a_serial_definition_alerts_once(g: GraphFactory) -> None:
    s, v1 = g.person("S"), g.person("V1")
    i1 = g.incident(s, v1, "2025-01-10", agency="CLE")
    g.outcome(s, "CONVICTION", "2025-03-01", incident=i1)
    stamp(g.db, OLD)
    assert not [a for a in evaluate(g.db, "S", batch=OLD).alerts if a.kind == "NEWLY_SERIAL"]
    g.incident(s, g.person("V2"), "2026-02-10", agency="NBR")
    stamp(g.db, NEW)
    newly = [a for a in evaluate(g.db, "S").alerts if a.kind == "NEWLY_SERIAL"]
    assert any("SERIAL_CAMPAIGN" in a.reason for a in newly)
    assert all(a.routed_to == "NBR" for a in newly)
    # a third victim later: the person already met the definitions, so no new NEWLY_SERIAL alert
    g.incident(s, g.person("V3"), "2026-03-10", agency="NBR")
    stamp(g.db, "batch-third")
    again = evaluate_alerts(g.db, ["S"], batch_id="batch-third", since=None, as_of=AS_OF)
    assert [a for a in again.alerts if a.kind == "NEWLY_SERIAL"] == []
    assert any(a.kind == "KNOWN_PERPETRATOR_INCIDENT" for a in again.alerts)
    assert g.count("MATCH (a:Alert {kind: 'NEWLY_SERIAL'}) RETURN count(a)") == len(newly)


def test_a_person_already_serial_before_the_batch_is_not_newly_serial_on_first_evaluation(g: GraphFactory) -> None:
    """The register's first alert run after a load: a third victim is new, but the definitions were met before."""
    s, v1, v2 = serial_history(g)
    stamp(g.db, OLD)  # loaded with no alert evaluation
    g.incident(s, g.person("V3"), "2026-02-10", agency="NBR")
    stamp(g.db, NEW)
    result = evaluate(g.db, "S")
    assert not [a for a in result.alerts if a.kind == "NEWLY_SERIAL"]
    assert [a.kind for a in result.alerts if a.kind == "KNOWN_PERPETRATOR_INCIDENT"] == ["KNOWN_PERPETRATOR_INCIDENT"]


def test_a_late_record_of_an_old_incident_that_completes_a_definition_is_newly_serial(g: GraphFactory) -> None:
    s, v1 = g.person("S"), g.person("V1")
    i1 = g.incident(s, v1, "2024-01-10", agency="CLE")
    g.outcome(s, "CONVICTION", "2024-03-01", incident=i1)
    stamp(g.db, OLD)
    g.incident(s, g.person("V2"), "2024-06-01", agency="LAN")  # recorded by another force, arriving only now
    stamp(g.db, NEW)
    newly = [a for a in evaluate(g.db, "S").alerts if a.kind == "NEWLY_SERIAL"]
    assert newly and all(a.routed_to == "LAN" for a in newly)


def test_rfgv_score_crossing_the_nomination_threshold(g: GraphFactory) -> None:
    s, v1, v2 = g.person("S"), g.person("V1"), g.person("V2")
    g.incident(s, v1, "2026-01-05", agency="CLE", offence="COMMON_ASSAULT")
    stamp(g.db, OLD)
    g.incident(s, v2, "2026-03-01", agency="CLE", offence="GBH", indicators=["WEAPON"])
    g.incident(s, v1, "2026-03-20", agency="CLE", offence="STRANGULATION", indicators=["NON_FATAL_STRANGULATION"])
    stamp(g.db, NEW)
    r = evaluate(g.db, "S")
    crossed = [a for a in r.alerts if a.kind == "RFGV_THRESHOLD"]
    assert len(crossed) == 1 and "nomination threshold 40" in crossed[0].reason
    # a person far below the threshold raises nothing
    low, lv = g.person("L"), g.person("LV")
    g.incident(low, lv, "2026-03-01", agency="CLE", offence="VERBAL_ABUSE")
    stamp(g.db, "batch-low")
    low_r = evaluate_alerts(g.db, ["L"], batch_id="batch-low", since=None, as_of=AS_OF)
    assert not [a for a in low_r.alerts if a.kind == "RFGV_THRESHOLD"]


def test_new_incident_ending_a_rising_chain_is_escalation(g: GraphFactory) -> None:
    s, v1, v2 = g.person("S"), g.person("V1"), g.person("V2")
    a = g.incident(s, v1, "2025-10-01", agency="CLE", offence="VERBAL_ABUSE")
    b = g.incident(s, v1, "2025-12-01", agency="CLE", offence="COMMON_ASSAULT")
    stamp(g.db, OLD)
    assert not [x for x in evaluate(g.db, "S", batch=OLD).alerts if x.kind == "ESCALATION"]
    c = g.incident(s, v2, "2026-02-01", agency="NBR", offence="ABH")
    stamp(g.db, NEW)
    esc = [x for x in evaluate(g.db, "S").alerts if x.kind == "ESCALATION"]
    assert len(esc) == 1
    assert {f"Incident:{u}" for u in (a, b, c)} <= set(esc[0].evidence) and esc[0].routed_to == "NBR"


def test_falling_gravity_is_not_escalation(g: GraphFactory) -> None:
    s, v = g.person("S"), g.person("V")
    g.incident(s, v, "2025-10-01", agency="CLE", offence="ABH")
    g.incident(s, v, "2025-12-01", agency="CLE", offence="COMMON_ASSAULT")
    stamp(g.db, OLD)
    g.incident(s, v, "2026-02-01", agency="CLE", offence="VERBAL_ABUSE")
    stamp(g.db, NEW)
    assert not [x for x in evaluate(g.db, "S").alerts if "ESCALATION" in x.kind]


def test_high_risk_markers_after_a_separation(g: GraphFactory) -> None:
    s, v = g.person("S"), g.person("V")
    sep = g.incident(s, v, "2026-01-01", agency="CLE", offence="VERBAL_ABUSE", indicators=["SEPARATION"])
    stamp(g.db, OLD)
    later = g.incident(s, v, "2026-02-01", agency="CLE", offence="COMMON_ASSAULT", indicators=["THREATS_TO_KILL"])
    stamp(g.db, NEW)
    alerts = [x for x in evaluate(g.db, "S").alerts if x.kind == "SEPARATION_ESCALATION"]
    assert len(alerts) == 1
    assert set(alerts[0].evidence) == {f"Incident:{sep}", f"Incident:{later}"} and alerts[0].severity == "CRITICAL"


def test_separation_then_a_graver_incident_without_high_risk_markers_is_quiet(g: GraphFactory) -> None:
    s, v = g.person("S"), g.person("V")
    g.incident(s, v, "2026-01-01", agency="CLE", offence="VERBAL_ABUSE", indicators=["SEPARATION"])
    stamp(g.db, OLD)
    g.incident(s, v, "2026-02-01", agency="CLE", offence="COMMON_ASSAULT", indicators=["SEPARATION"])
    stamp(g.db, NEW)
    assert not [x for x in evaluate(g.db, "S").alerts if x.kind == "SEPARATION_ESCALATION"]


def test_new_partner_of_a_serial_perpetrator_prompts_right_to_know(g: GraphFactory) -> None:
    s, _, _ = serial_history(g)
    plain = g.person("P")
    stamp(g.db, OLD)
    partner, other = g.person("NEWP", sources=["NBR"]), g.person("OTHERP")
    g.relationship(s, partner, start="2026-03-01")
    g.relationship(plain, other, start="2026-03-01")
    g.db.write("MATCH ()-[r:RELATIONSHIP_WITH]->() SET r.source_system = 'NBR'")
    stamp(g.db, NEW)
    r = evaluate(g.db, "S", "P")
    rtk = [a for a in r.alerts if a.kind == "RIGHT_TO_KNOW"]
    assert len(rtk) == 1 and rtk[0].person_id == "S"
    assert rtk[0].evidence == [f"PersonRecord:{partner.rec()}"] and rtk[0].routed_to == "NBR"
    assert "Right to Know" in rtk[0].reason


# -- batches, since, lifecycle -------------------------------------------------------------------------
def test_people_in_batch_and_evaluate_batch(g: GraphFactory) -> None:
    s, _, _ = serial_history(g)
    stamp(g.db, OLD)
    g.incident(s, g.person("S-V3"), "2026-03-01", agency="NBR")
    stamp(g.db, NEW)
    assert "S" in people_in_batch(g.db, NEW)
    assert "S-V1" not in people_in_batch(g.db, NEW)  # victims of old incidents are not touched
    r = evaluate_batch(g.db, NEW, as_of=AS_OF)
    assert r.created >= 1 and "KNOWN_PERPETRATOR_INCIDENT" in r.by_kind
    assert evaluate_batch(g.db, "no-such-batch").people == 0


def test_since_marks_new_records_by_ingested_at(g: GraphFactory) -> None:
    s, _, _ = serial_history(g)
    stamp(g.db, OLD, datetime(2026, 1, 1, tzinfo=UTC))
    g.incident(s, g.person("S-V3"), "2026-03-01", agency="NBR")
    stamp(g.db, NEW, datetime(2026, 3, 2, tzinfo=UTC))
    r = evaluate_alerts(g.db, ["S"], batch_id=None, since=datetime(2026, 3, 1, tzinfo=UTC), as_of=AS_OF)
    assert kinds(r)["KNOWN_PERPETRATOR_INCIDENT"] == 1
    with pytest.raises(ValueError):
        evaluate_alerts(g.db, ["S"], batch_id=None, since=None)


def test_acknowledge_then_close_with_notes_and_agency_scope(g: GraphFactory) -> None:
    s, _, _ = serial_history(g)
    stamp(g.db, OLD)
    g.incident(s, g.person("S-V3"), "2026-03-01", agency="NBR")
    stamp(g.db, NEW)
    alert = next(a for a in evaluate(g.db, "S").alerts if a.kind == "KNOWN_PERPETRATOR_INCIDENT")
    assert alert.alert_id in [a.alert_id for a in list_alerts(g.db, agency="NBR")]
    assert list_alerts(g.db, agency="WMP") == []
    with pytest.raises(AlertError, match="no alert"):
        acknowledge(g.db, alert.alert_id, "wmp.user", "seen", agency="WMP")
    with pytest.raises(AlertError, match="note"):
        acknowledge(g.db, alert.alert_id, "nbr.user", "  ")
    acked = acknowledge(g.db, alert.alert_id, "nbr.user", "Officer tasked", agency="NBR")
    assert acked.status == ACKNOWLEDGED and acked.acknowledged_by == "nbr.user" and acked.ack_note == "Officer tasked"
    with pytest.raises(AlertError, match="cannot become"):
        acknowledge(g.db, alert.alert_id, "nbr.user", "again")
    closed = close_alert(g.db, alert.alert_id, "nbr.lead", "Arrested; bail conditions set")
    assert closed.status == CLOSED and closed.closed_by == "nbr.lead" and closed.acknowledged_by == "nbr.user"
    # re-evaluating the batch keeps the alert closed
    evaluate(g.db, "S")
    assert list_alerts(g.db, alert_ids=[alert.alert_id])[0].status == CLOSED


def test_alerts_by_id_are_those_ids_only_as_the_full_list_has_them(g: GraphFactory) -> None:
    """list_alerts given ids looks them up (list_alerts_by_id) and returns what the full list returns for
    them, in its order, filters applied; evaluate_alerts returns its alerts as stored, in the same order."""
    s, _, _ = serial_history(g)
    t, _, _ = serial_history(g, "T")
    stamp(g.db, OLD)
    g.incident(s, g.person("S-V3"), "2026-03-01", agency="NBR")
    g.incident(s, g.person("S-V4"), "2026-03-02", agency="CLE")
    g.incident(t, g.person("T-V3"), "2026-03-03", agency="NBR")
    stamp(g.db, NEW)
    first = evaluate(g.db, "S", "T")
    everything = list_alerts(g.db, limit=1000)
    assert first.alerts == everything and len(everything) >= 3
    ids = [a.alert_id for a in everything]
    acknowledge(g.db, ids[0], "nbr.user", "seen")
    everything = list_alerts(g.db, limit=1000)
    assert evaluate(g.db, "S", "T").alerts == everything  # an alert raised before comes back as it is stored
    some = [ids[2], ids[0], "ALR-NO-SUCH-ALERT", ids[2]]
    assert list_alerts(g.db, alert_ids=some) == [a for a in everything if a.alert_id in some]
    assert list_alerts(g.db, alert_ids=[]) == []
    for filters in ({"agency": "CLE"}, {"statuses": ["OPEN"]}, {"person_id": "T"}, {"kinds": ["NEWLY_SERIAL"]}):
        assert list_alerts(g.db, alert_ids=ids, **filters) == list_alerts(g.db, **filters)  # type: ignore[arg-type]
    assert list_alerts(g.db, alert_ids=ids, skip=1, limit=1) == everything[1:2]


# -- the generator's planted patterns, loaded through the ingest ---------------------------------------
@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import synthetic

    out = tmp_path_factory.mktemp("tiny")
    synthetic.generate("tiny", 11, out, progress=False)
    return out


def test_planted_breaches_unnotified_changes_and_escalations_each_raise_exactly_one_alert(
    db: Database, tiny: Path
) -> None:
    import ingest
    from synthetic import REFERENCE_DATE

    # Identity resolution is tested on its own (tests/ingest/identity); here the records are linked to their
    # true person so that the test measures the alert rules alone.
    report = ingest.load(db, [tiny], progress=False, resolver=None)
    record_person, patterns = link_truth(db, tiny)
    result = evaluate_batch(db, report.batch_id, as_of=REFERENCE_DATE)
    truth_person = {p: p for p in set(record_person.values())}
    alerts = result.alerts
    by_kind_person: Counter[tuple[str, str]] = Counter((a.kind, truth_person[a.person_id]) for a in alerts)

    planted_breaches = {p["person_id"]: p["details"]["breaches"] for p in patterns if p["pattern"] == "ORDER_BREACH"}
    assert planted_breaches
    for tp, n in planted_breaches.items():
        assert by_kind_person[("ORDER_BREACH", tp)] == n, tp

    escalations = {p["person_id"] for p in patterns if p["pattern"] == "ESCALATION"}
    assert escalations
    for tp in escalations:
        assert by_kind_person[("ESCALATION", tp)] == 1, tp

    unnotified = [p for p in patterns if p["pattern"].startswith("UNNOTIFIED_")]
    assert unnotified
    for p in unnotified:
        matching = [
            a
            for a in alerts
            if a.kind == p["pattern"]
            and truth_person[a.person_id] == p["person_id"]
            and (
                any(e.endswith(":" + p["details"]["evidence"]) for e in a.evidence)
                or f"relationship record {p['details']['evidence']}" in a.reason
            )
        ]
        assert len(matching) == 1, p

    # No breach alert for anyone the truth does not name. Escalation and unnotified-change alerts are judged by
    # the project's definitions (queries.escalation, queries.obligations), which can find more than the
    # generator planted (a chain across a mover's records in several forces; every dated address link in a
    # duty's period counted as a move): those extras are the definitions', so they are not checked here.
    named = {(p["pattern"], p["person_id"]) for p in patterns}
    for a in alerts:
        if a.kind == "ORDER_BREACH":
            assert (a.kind, truth_person[a.person_id]) in named, a

    again = evaluate_batch(db, report.batch_id, as_of=REFERENCE_DATE)
    assert again.created == 0 and again.unchanged == len(alerts)


def test_ingest_runs_the_alert_stage_for_a_later_batch_once(db: Database, tiny: Path, tmp_path: Path) -> None:
    """`ingest.load(after_load=after_batch)`, as `spr ingest` and the API call it: the first load into an empty
    register raises nothing (history), a later batch raises its planted alerts, loading it again adds none."""
    import ingest
    from ingest import identity_exact
    from queries.stages import after_batch
    from synthetic.later import later_batch

    first = ingest.load(db, [tiny], progress=False, resolver=None, after_load=after_batch)
    assert first.alerts_raised is None and any("first load" in n for n in first.notes)
    assert db.read("MATCH (a:Alert) RETURN count(a) AS n")[0]["n"] == 0
    link_truth(db, tiny)

    later = later_batch(tiny, tmp_path / "later", seed=3, size=150, per_kind=3)
    assert later.planted.get("ORDER_BREACH") and later.planted.get("ESCALATION")
    report = ingest.load(
        db, [tmp_path / "later"], progress=False, resolver=identity_exact.resolve, after_load=after_batch
    )
    assert report.ok, [f"{r.where()} {r.field}: {r.reason}" for r in report.rejects[:5]]
    assert report.alerts_raised
    stored = db.read(
        "MATCH (a:Alert {batch_id: $b})-[:ABOUT]->(p:Person) RETURN a.kind AS kind, p.person_id AS person",
        b=report.batch_id,
    )
    assert len(stored) == report.alerts_raised
    raised = {(r["kind"], r["person"]) for r in stored}
    expected = [json.loads(line) for line in (tmp_path / "later" / "truth" / "expected_alerts.ndjson").open()]
    for e in expected:
        if e["kind"] in ("ORDER_BREACH", "ESCALATION"):
            assert (e["kind"], e["person_id"]) in raised, e  # truth-linked: the generator's person is the Person

    again = ingest.load(
        db, [tmp_path / "later"], progress=False, resolver=identity_exact.resolve, after_load=after_batch
    )
    assert again.already_loaded and again.alerts_raised is None
    assert db.read("MATCH (a:Alert) RETURN count(a) AS n")[0]["n"] == len(stored)


def test_the_stage_asks_each_per_person_question_once_and_gets_the_same_answers(
    db: Database, tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within shared_answers the alert rules and the flags share the serial definitions, timelines and RFGV
    inputs: the same hits, firings and scores as asking each afresh, for fewer people asked."""
    import ingest
    from queries._common import PER_PERSON_QUERIES, shared_answers
    from queries.alerts import fire
    from queries.catalog import load
    from queries.detect import sweep
    from queries.models import AsOf, RfgvQuery
    from queries.rfgv import compute_rfgv
    from synthetic.later import later_batch

    ingest.load(db, [tiny], progress=False, resolver=None)
    link_truth(db, tiny)
    later = later_batch(tiny, tmp_path / "later", seed=5, size=150, per_kind=3)
    report = ingest.load(db, [tmp_path / "later"], progress=False, resolver=None)
    people = people_in_batch(db, report.batch_id)
    day = later.first_day + timedelta(days=14)  # every record of the batch is dated before this
    texts = {load(name): name for name in PER_PERSON_QUERIES}
    asked: Counter[str] = Counter()  # people sent to the per-person queries
    real = db.read_records

    def counted(query: LiteralString, **params: Any) -> list[Any]:
        if query in texts:
            asked[texts[query]] += len(params.get("person_ids") or [])
        return real(query, **params)

    monkeypatch.setattr(db, "read_records", counted)

    def stage() -> tuple:  # type: ignore[type-arg]
        return (
            fire(db, people, batch_id=report.batch_id, as_of=day),
            sweep(db, AsOf(as_of=day, person_ids=people)),
            compute_rfgv(db, RfgvQuery(as_of=day, person_ids=people)),
        )

    afresh = stage()
    asked_afresh = sum(asked.values())
    asked.clear()
    with shared_answers():
        shared = stage()
    assert afresh[0] and afresh[1] and afresh[2]
    assert shared == afresh
    assert 0 < sum(asked.values()) < asked_afresh
