"""Nominations, obligations, cross-force histories, consistency, disclosure, case graph, timeline, networks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from factories import GraphFactory

from queries.casegraph import case_graph, timeline
from queries.detect import detect
from queries.histories import consistency, disclosure_summary, find_cross_force
from queries.models import AsOf, CandidateQuery, CaseGraphQuery, NominationCreate, NominationDecision
from queries.networks import find_networks
from queries.nominations import NominationError, close, decide, find_candidates, list_nominations, nominate
from queries.obligations import check_obligations
from spr.db import Database

D = date.fromisoformat


def test_candidates_reasons_cat2_and_managed(db: Database, g: GraphFactory) -> None:
    a, b, c, m, v1, v2, v3 = (g.person(x) for x in ("A", "B", "C", "M", "V1", "V2", "V3"))
    i = g.incident(a, v1, "2024-01-01", offence="ABH", agency="CLE")
    g.incident(a, v2, "2024-02-01", agency="CLE")
    g.outcome(a, "CONVICTION", "2024-03-01", incident=i, offence="ABH", sentence_months=18)
    g.assessment(b, "PROFESSIONAL_JUDGEMENT", "2024-05-01", at_risk=True)  # no incidents at all
    g.incident(c, v3, "2024-06-01", dash_grade="HIGH", agency="NBR")
    g.outcome(c, "CONVICTION", "2025-01-10", offence="COERCIVE_CONTROL", sentence_months=12)  # before 2025-02-03
    g.incident(m, v3, "2024-07-01", dash_grade="HIGH", agency="NBR")
    g.episode(m, "MAPPA", "2024-08-01", level=2, category="2")  # already managed
    cands = {c.person_id: c for c in find_candidates(db, CandidateQuery(as_of=D("2025-01-31")))}
    assert set(cands) == {"A", "B", "C"}
    assert cands["A"].reasons == ["SERIAL_CAMPAIGN"] and cands["A"].mappa_cat2_eligible
    assert cands["A"].category == "MAPPA+ DA/stalking category (proposed)"
    assert cands["B"].reasons == ["PROFESSIONAL_JUDGEMENT"] and cands["B"].rfgv_rank is None
    assert cands["C"].reasons == ["HIGH_RISK"] and not cands["C"].mappa_cat2_eligible
    assert cands["A"].rfgv_rank is not None
    assert {c.person_id for c in find_candidates(db, CandidateQuery(as_of=D("2025-01-31"), force="NBR"))} == {"C"}
    # a nomination under way takes the person off the list
    n = nominate(db, NominationCreate(person_id="A", reasons=["SERIAL_CAMPAIGN"], nominated_by="caseworker1"))
    assert "A" not in {c.person_id for c in find_candidates(db, CandidateQuery(as_of=D("2025-01-31")))}
    assert n.status == "NOMINATED"


def test_nomination_lifecycle(db: Database, g: GraphFactory) -> None:
    g.person("A")
    n = nominate(db, NominationCreate(person_id="A", reasons=["REPEAT"], nominated_by="cw", lead_agency="CLE"))
    with pytest.raises(NominationError):
        nominate(db, NominationCreate(person_id="A", reasons=["REPEAT"], nominated_by="cw"))
    with pytest.raises(NominationError):
        decide(db, NominationDecision(nomination_id=n.nomination_id, decided_by="panel", accept=True))
    acc = decide(db, NominationDecision(nomination_id=n.nomination_id, decided_by="panel chair", accept=True, level=2))
    assert (acc.status, acc.level, acc.decided_by) == ("ACCEPTED", 2, "panel chair")
    with pytest.raises(NominationError):
        decide(db, NominationDecision(nomination_id=n.nomination_id, decided_by="x", accept=False, reason="r"))
    closed = close(db, n.nomination_id, "panel chair", "management ended")
    assert closed.status == "CLOSED" and closed.closed_by == "panel chair"
    n2 = nominate(db, NominationCreate(person_id="A", reasons=["REPEAT"], nominated_by="cw"))
    dec = decide(
        db, NominationDecision(nomination_id=n2.nomination_id, decided_by="p", accept=False, reason="no DA link")
    )
    assert dec.status == "DECLINED" and dec.decision_reason == "no DA link"
    assert [x.status for x in list_nominations(db, "A")] == ["DECLINED", "CLOSED"]


def test_obligations_breaches(db: Database, g: GraphFactory) -> None:
    a = g.person("A", last_name="Smith")
    g.order(a, "SPO", "2024-01-01", duties=[("ADDRESS", 3), ("NAME", 3)])
    g.requirement(a, "TRAVEL", 7, "2024-01-01")
    g.requirement(a, "RELATIONSHIP", 3, "2024-01-01")
    g.lives_at(a, "2023-06-01")  # before the duty began: not checked
    g.lives_at(a, "2024-03-01")
    g.notification(a, "ADDRESS", "2024-03-02", "2024-03-01")  # on time
    g.lives_at(a, "2024-05-01")
    g.notification(a, "ADDRESS", "2024-05-10", "2024-05-01")  # late
    g.lives_at(a, "2024-07-01")  # never notified
    g.record(a, last_name="Jones", ingested_at="2024-08-01")  # a new name, not notified
    g.travel(a, "2024-09-20")
    g.notification(a, "TRAVEL", "2024-09-10", "2024-09-20")  # 10 days ahead: in time
    g.travel(a, "2024-10-20")
    g.notification(a, "TRAVEL", "2024-10-18", "2024-10-20")  # 2 days ahead: late
    partner = g.person("P")
    g.relationship(a, partner, start="2024-11-01")
    report = check_obligations(db, AsOf(as_of=D("2024-11-02")))[0]
    events = {(e.duty, e.event_date): e.status for d in report.duties for e in d.events}
    assert events == {
        ("ADDRESS", D("2024-03-01")): "NOTIFIED",
        ("ADDRESS", D("2024-05-01")): "LATE",
        ("ADDRESS", D("2024-07-01")): "MISSING",
        ("NAME", D("2024-08-01")): "MISSING",
        ("TRAVEL", D("2024-09-20")): "NOTIFIED",
        ("TRAVEL", D("2024-10-20")): "LATE",
        ("RELATIONSHIP", D("2024-11-01")): "PENDING",
    }
    assert len(report.breaches) == 4
    later = check_obligations(db, AsOf(as_of=D("2024-12-01")))[0]
    assert len(later.breaches) == 5


def test_cross_force_and_disclosure(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A", records=2, sources=["CLE", "NBR"]), g.person("V1"), g.person("V2")
    g.incident(a, v1, "2023-01-01", agency="CLE", suspect_record=0)
    g.incident(a, v1, "2023-02-01", agency="CLE", suspect_record=0)
    i = g.incident(a, v2, "2024-01-01", agency="NBR", suspect_record=1)
    g.outcome(a, "CAUTION", "2024-02-01", incident=i, record=1)
    g.order(a, "DVPO", "2024-01-02")
    hist = find_cross_force(db, AsOf(as_of=D("2024-12-31")))
    assert len(hist) == 1
    h = hist[0]
    assert (h.total_victims, h.max_single_force_victims, h.serial_visible_to_one_force) == (2, 1, False)
    assert [f.force for f in h.forces] == ["CLE", "NBR"]
    s = disclosure_summary(db, "A", D("2024-12-31"))
    assert s.counts == {"INCIDENT": 3, "CAUTION": 1, "ORDER": 1, "VICTIMS": 2, "FORCES": 2}
    assert disclosure_summary(db, "A", D("2023-12-31")).counts["INCIDENT"] == 2


def test_consistency_from_stored_flags(db: Database, g: GraphFactory) -> None:
    for name, force in (("A", "CLE"), ("B", "CLE"), ("C", "NBR")):
        p, v = g.person(name), g.person(name + "V")
        g.incident(p, v, "2024-05-01", dash_grade="HIGH", agency=force)
    detect(db, D("2024-12-31"))
    at = datetime(2025, 1, 5, tzinfo=UTC)
    n = nominate(db, NominationCreate(person_id="A", reasons=["HIGH_RISK"], nominated_by="cw"), at=at)
    decide(db, NominationDecision(nomination_id=n.nomination_id, decided_by="p", accept=True, level=1), at=at)
    assert consistency(db, D("2025-01-04")).forces[0].nominated == 0
    report = consistency(db, D("2025-12-31"))
    by = {f.force: f for f in report.forces}
    assert by["CLE"].people == 2 and by["CLE"].nominated == 1 and by["CLE"].accepted == 1
    assert by["NBR"].people == 1 and by["NBR"].nominated == 0
    assert by["CLE"].by_definition["HIGH_RISK"] == 2
    assert report.spread["nomination_rate"]["max"] == 0.5


def test_case_graph_timeline_and_redaction(db: Database, g: GraphFactory) -> None:
    a, v = g.person("A"), g.person("V")
    g.incident(a, v, "2020-01-01")
    g.incident(a, v, "2024-01-01", offence="ABH")
    g.lives_at(v, "2023-01-01")
    graph = case_graph(db, CaseGraphQuery(person_id="A", depth=4))
    kinds = sorted(n.kind for n in graph.nodes)
    assert kinds.count("Incident") == 2 and "Address" in kinds
    addr = next(n for n in graph.nodes if n.kind == "Address")
    assert "postcode" not in addr.properties and "line1" not in addr.properties
    recent = case_graph(db, CaseGraphQuery(person_id="A", depth=4, since=D("2023-06-01")))
    assert sum(1 for n in recent.nodes if n.kind == "Incident") == 1
    assert all(e.source in {n.id for n in recent.nodes} for e in recent.edges)
    events = timeline(db, "A")
    assert [e.kind for e in events] == ["INCIDENT", "INCIDENT"] and events[0].date == D("2020-01-01")
    assert [e.kind for e in timeline(db, "V")] == ["INCIDENT", "MOVE", "INCIDENT"]


def test_networks(db: Database, g: GraphFactory) -> None:
    a, b, c, d, v, w = (g.person(x) for x in ("A", "B", "C", "D", "V", "W"))
    g.incident([a, b], w, "2024-01-01")  # co-suspects
    g.incident(b, v, "2024-02-01")
    g.incident(c, v, "2024-03-01")  # B and C share a victim
    g.relationship(c, d, kind="FAMILY")
    e = g.person("E")
    addr = g.lives_at(e, "2020-01-01")
    g.share_address(g.person("F"), addr)
    net = find_networks(db)
    assert net.groups[0].members == ["A", "B", "C", "D"]
    assert net.groups[0].kinds == {"CO_SUSPECT": 1, "SHARED_VICTIM": 2, "FAMILY": 1}  # A and B share W too
    assert net.groups[0].central[0][0] in {"B", "C"}
    assert net.groups[1].members == ["E", "F"]
    assert [g.members for g in find_networks(db, ["E"]).groups] == [["E", "F"]]
