"""Repeat, high risk, escalation and RFGV against hand-written graphs on a real Neo4j."""

from __future__ import annotations

from datetime import date

from factories import GraphFactory

from queries.definitions import find_high_risk, find_repeat
from queries.escalation import escalation_report, find_escalation
from queries.models import AsOf, RfgvQuery
from queries.rfgv import compute_rfgv
from spr.db import Database

D = date.fromisoformat


def test_repeat_needs_min_incidents_against_one_victim_within_the_window(db: Database, g: GraphFactory) -> None:
    a, v, w = g.person("A"), g.person("V", records=2), g.person("W")
    g.incident(a, v, "2024-01-01", victim_record=0)
    g.incident(a, w, "2024-02-01")
    g.incident(a, v, "2024-03-01", victim_record=1)
    assert find_repeat(db, AsOf(as_of=D("2024-12-31"))) == []
    g.incident(a, v, "2024-03-01")  # same day, a separate incident
    hits = find_repeat(db, AsOf(as_of=D("2024-12-31")))
    assert [(h.person_id, h.first_met, h.evidence.victims) for h in hits] == [("A", D("2024-03-01"), ["V"])]
    assert len(hits[0].evidence.incidents) == 3
    # more than 365 days later the window has moved on
    assert find_repeat(db, AsOf(as_of=D("2025-01-02"))) == []


def test_repeat_first_met_with_spread_out_incidents(db: Database, g: GraphFactory) -> None:
    a, v = g.person("A"), g.person("V")
    for d in ("2020-01-01", "2020-09-01", "2021-03-01", "2021-04-01"):
        g.incident(a, v, d)
    # 2020-01-01..2021-03-01 is more than 365 days; 2020-09-01, 2021-03-01, 2021-04-01 within 365 days
    hit = find_repeat(db, AsOf(as_of=D("2021-06-01")))[0]
    assert hit.first_met == D("2021-04-01")


def test_high_risk_from_dash_grade_indicator_offence_and_breach(db: Database, g: GraphFactory) -> None:
    a, b, c, d, e, v = (g.person(x) for x in ("A", "B", "C", "D", "E", "V"))
    g.incident(a, v, "2024-01-01", dash_grade="HIGH")
    g.incident(b, v, "2024-02-01", indicators=["NON_FATAL_STRANGULATION", "CHILD_CONTACT_DISPUTE"])
    g.incident(c, v, "2024-03-01", offence="THREATS_TO_KILL")
    order = g.order(d, "RESTRAINING", "2023-01-01", protects=v)
    g.breach(g.incident(d, v, "2024-04-01", offence="COMMON_ASSAULT"), order)
    g.incident(e, v, "2024-05-01", indicators=["CHILD_CONTACT_DISPUTE"], dash_grade="MEDIUM")  # not high risk
    hits = {h.person_id: h for h in find_high_risk(db, AsOf(as_of=D("2024-12-31")))}
    assert set(hits) == {"A", "B", "C", "D"}
    assert hits["B"].details["indicators"] == ["NON_FATAL_STRANGULATION"]
    assert hits["C"].details["indicators"] == ["THREATS_TO_KILL"]
    assert hits["D"].details["indicators"] == ["ORDER_BREACH"]
    assert hits["A"].first_met == D("2024-01-01")
    assert find_high_risk(db, AsOf(as_of=D("2023-12-31"))) == []
    assert {h.person_id for h in find_high_risk(db, AsOf(as_of=D("2026-06-01")))} == set()  # outside 730 days


def test_high_risk_from_a_dash_assessment(db: Database, g: GraphFactory) -> None:
    a, v = g.person("A"), g.person("V")
    i = g.incident(a, v, "2024-01-01")
    a_uid = g.assessment(v, "DASH", "2024-01-02", grade="HIGH", incident=i)
    hit = find_high_risk(db, AsOf(as_of=D("2024-06-01")))[0]
    assert hit.evidence.assessments == [a_uid]


def test_escalation_path_across_victims_and_separation_marker(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    g.incident(a, v1, "2022-01-01", offence="VERBAL_ABUSE")  # 2
    g.incident(a, v1, "2022-03-01", offence="HARASSMENT", indicators=["SEPARATION"])  # 4
    g.incident(a, v2, "2022-06-01", offence="STALKING")  # 6
    g.incident(a, v2, "2022-08-01", offence="STRANGULATION")  # 8
    g.incident(a, v2, "2022-09-01", offence="VERBAL_ABUSE")  # drop
    report = escalation_report(db, "A", D("2023-01-01"))
    assert len(report.timeline) == 5
    assert [[s.gravity for s in p.steps] for p in report.paths] == [[2, 4, 6, 8]]
    assert report.paths[0].gravity_rise == 6
    assert report.separation_markers[0].followed_by.gravity == 6
    hits = find_escalation(db, AsOf(as_of=D("2023-01-01")))
    assert [(h.person_id, h.first_met) for h in hits] == [("A", D("2022-06-01"))]
    assert hits[0].evidence.victims == ["V1", "V2"]


def test_rfgv_ranks_and_filters_by_force(db: Database, g: GraphFactory) -> None:
    a, b, v1, v2, w = (g.person(x) for x in ("A", "B", "V1", "V2", "W"))
    g.incident(a, v1, "2024-11-01", offence="ABH", agency="CLE")
    g.incident(a, v2, "2024-12-01", offence="ABH", agency="NBR")
    g.incident(b, w, "2023-06-01", offence="COMMON_ASSAULT", agency="CLE")
    g.incident(b, w, "2020-06-01", offence="GBH", agency="CLE")  # outside the 730-day window
    scores = compute_rfgv(db, RfgvQuery(as_of=D("2024-12-31")))
    assert [s.person_id for s in scores] == ["A", "B"]
    assert scores[0].rank == 1 and scores[0].victims == 2 and scores[0].incidents == 2
    assert scores[1].incidents == 1 and scores[1].gravity == 4.0
    assert scores[0].score > scores[1].score
    nbr = compute_rfgv(db, RfgvQuery(as_of=D("2024-12-31"), force="NBR"))
    assert [s.person_id for s in nbr] == ["A"]
    assert compute_rfgv(db, RfgvQuery(as_of=D("2024-12-31"), top_n=1))[0].person_id == "A"
