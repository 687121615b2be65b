"""Serial definitions (campaign and MATAC) against hand-written graphs on a real Neo4j."""

from __future__ import annotations

from datetime import date

from factories import GraphFactory

from queries.definitions import find_serial_campaign, find_serial_matac
from queries.models import AsOf
from spr.db import Database

D = date.fromisoformat


def campaign(db: Database, as_of: str = "2025-01-01", ids: list[str] | None = None) -> dict[str, object]:
    return {h.person_id: h for h in find_serial_campaign(db, AsOf(as_of=D(as_of), person_ids=ids))}


def matac(db: Database, as_of: str = "2025-01-01") -> dict[str, object]:
    return {h.person_id: h for h in find_serial_matac(db, AsOf(as_of=D(as_of)))}


def test_two_victims_and_a_conviction_meet_the_campaign_definition(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    i1 = g.incident(a, v1, "2020-03-01")
    g.incident(a, v2, "2022-06-10")
    o = g.outcome(a, "CONVICTION", "2020-09-01", incident=i1)
    hits = campaign(db)
    hit = hits["A"]
    assert hit.first_met == D("2022-06-10")  # second victim, after the conviction
    assert hit.definition == "SERIAL_CAMPAIGN"
    assert hit.evidence.victims == ["V1", "V2"]
    assert hit.evidence.outcomes == [o]
    assert len(hit.evidence.incidents) == 2
    assert set(hits) == {"A"}


def test_first_met_is_the_later_of_second_victim_and_qualifier(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    g.incident(a, v1, "2020-03-01")
    g.incident(a, v2, "2020-05-01")
    g.outcome(a, "CAUTION", "2021-02-02", offence="HARASSMENT")
    assert campaign(db)["A"].first_met == D("2021-02-02")
    # as of a date before the caution, nothing: "what did we know then?"
    assert "A" not in campaign(db, "2021-02-01")
    assert campaign(db, "2021-02-02")["A"].first_met == D("2021-02-02")


def test_two_records_of_the_same_victim_are_one_victim(db: Database, g: GraphFactory) -> None:
    a = g.person("A")
    v = g.person("V", records=2, sources=["WMP", "GMP"])
    g.incident(a, v, "2021-01-01", victim_record=0)
    g.incident(a, v, "2021-03-01", victim_record=1, agency="GMP")
    g.outcome(a, "CONVICTION", "2021-06-01")
    assert campaign(db) == {}


def test_an_acquittal_counts(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    i = g.incident(a, v1, "2021-01-01")
    g.incident(a, v2, "2021-03-01")
    g.outcome(a, "ACQUITTAL", "2021-08-01", incident=i)
    assert campaign(db)["A"].first_met == D("2021-08-01")


def test_nfa_and_charge_do_not_qualify(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    i = g.incident(a, v1, "2021-01-01")
    g.incident(a, v2, "2021-03-01")
    g.outcome(a, "NFA", "2021-02-01", incident=i)
    g.outcome(a, "CHARGE", "2021-02-01", incident=i)
    assert campaign(db) == {}


def test_an_order_that_expired_before_the_second_victim_still_counts(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    g.incident(a, v1, "2019-01-01")
    order = g.order(a, "DVPO", "2019-01-03", "2019-01-31", protects=v1)
    g.incident(a, v2, "2023-04-04")
    hit = campaign(db)["A"]
    assert hit.first_met == D("2023-04-04")
    assert hit.evidence.orders == [order]
    # an order made after as_of does not count yet
    b, w1, w2 = g.person("B"), g.person("W1"), g.person("W2")
    g.incident(b, w1, "2019-01-01")
    g.incident(b, w2, "2019-02-01")
    g.order(b, "NON_MOLESTATION", "2024-06-01")
    assert "B" not in campaign(db, "2024-05-31")
    assert campaign(db, "2024-06-01")["B"].first_met == D("2024-06-01")


def test_an_order_type_that_does_not_qualify_is_ignored(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    g.incident(a, v1, "2021-01-01")
    g.incident(a, v2, "2021-03-01")
    g.order(a, "RISK_OF_HARM_ORDER", "2021-04-01")
    assert campaign(db) == {}


def test_a_victim_who_is_also_a_suspect_elsewhere(db: Database, g: GraphFactory) -> None:
    a, b, c, d = g.person("A"), g.person("B"), g.person("C"), g.person("D")
    g.incident(a, b, "2021-01-01")  # B is A's victim
    g.incident(b, c, "2021-02-01")  # ... and suspect against C and D
    g.incident(b, d, "2021-03-01")
    g.outcome(b, "CONVICTION", "2021-04-01")
    g.outcome(a, "CONVICTION", "2021-04-01")
    hits = campaign(db)
    assert set(hits) == {"B"}
    assert hits["B"].evidence.victims == ["C", "D"]  # B's own victimisation is not counted as a victim


def test_counter_allegation_in_one_incident_does_not_make_self_a_victim(db: Database, g: GraphFactory) -> None:
    a, v = g.person("A", records=2), g.person("V")
    i = g.incident(a, v, "2021-01-01")
    g.involve(i, a.rec(1), "VICTIM_IN")  # A's other record is recorded as a victim too
    g.outcome(a, "CONVICTION", "2021-04-01")
    assert campaign(db) == {}


def test_incidents_on_the_same_day(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    g.outcome(a, "CAUTION", "2020-01-01")
    g.incident(a, v1, "2022-05-05T09:00:00")
    g.incident(a, v2, "2022-05-05T21:00:00")
    assert campaign(db)["A"].first_met == D("2022-05-05")


def test_missing_dates(db: Database, g: GraphFactory) -> None:
    a, v1, v2, v3 = g.person("A"), g.person("V1"), g.person("V2"), g.person("V3")
    g.outcome(a, "CONVICTION", "2020-01-01")
    g.incident(a, v1, "2021-01-01")
    g.incident(a, v2, None, reported=None)  # no date at all: cannot be placed in time, not counted
    assert campaign(db) == {}
    g.incident(a, v3, None, reported="2021-07-01")  # occurred unknown, reported known: counts from the report
    assert campaign(db)["A"].first_met == D("2021-07-01")
    # an outcome with no date cannot be placed in time either
    b, w1, w2 = g.person("B"), g.person("W1"), g.person("W2")
    g.incident(b, w1, "2021-01-01")
    g.incident(b, w2, "2021-02-01")
    g.outcome(b, "CONVICTION", None)
    assert "B" not in campaign(db)


def test_late_report_counts_from_when_it_was_reported(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    g.outcome(a, "CONVICTION", "2020-01-01")
    g.incident(a, v1, "2021-01-01")
    g.incident(a, v2, "2021-02-01", reported="2021-09-15")
    assert "A" not in campaign(db, "2021-09-14")
    assert campaign(db)["A"].first_met == D("2021-09-15")


def test_negative_control_many_incidents_one_victim_is_never_serial(db: Database, g: GraphFactory) -> None:
    a, v = g.person("A", records=3), g.person("V", records=2)
    for k in range(12):
        g.incident(a, v, f"2021-{k + 1:02d}-10", suspect_record=k % 3, victim_record=k % 2)
    g.outcome(a, "CONVICTION", "2021-06-01")
    g.order(a, "RESTRAINING", "2021-06-01", protects=v)
    assert campaign(db) == {}
    assert matac(db) == {}


def test_person_scope(db: Database, g: GraphFactory) -> None:
    for name in ("A", "B"):
        p, v1, v2 = g.person(name), g.person(name + "V1"), g.person(name + "V2")
        g.incident(p, v1, "2021-01-01")
        g.incident(p, v2, "2021-02-01")
        g.outcome(p, "CONVICTION", "2021-03-01")
    assert set(campaign(db, ids=["B"])) == {"B"}
    assert set(campaign(db)) == {"A", "B"}


def test_matac_needs_no_outcome_and_two_victims_within_three_years(db: Database, g: GraphFactory) -> None:
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    g.incident(a, v1, "2018-01-01")
    g.incident(a, v2, "2021-06-01")  # more than 1095 days after the first: not yet
    assert matac(db) == {}
    v3 = g.person("V3")
    g.incident(a, v3, "2022-01-01")  # V2 and V3 within the window
    assert "A" not in matac(db, "2021-12-31")
    hit = matac(db, "2023-01-01")["A"]
    assert hit.first_met == D("2022-01-01")
    assert hit.evidence.victims == ["V2", "V3"]
    # the window ends as_of: by 2025-06-02 the V2 incident is older than three years
    assert "A" not in matac(db, "2025-06-02")


def test_matac_first_met_and_age(db: Database, g: GraphFactory) -> None:
    a = g.person("A", dob="2006-06-01")
    v1, v2, v3 = g.person("V1"), g.person("V2"), g.person("V3")
    g.incident(a, v1, "2022-01-01")  # aged 15: does not count
    g.incident(a, v2, "2022-07-01")  # aged 16
    assert matac(db) == {}
    g.incident(a, v3, "2023-02-01")
    assert matac(db)["A"].first_met == D("2023-02-01")
    b = g.person("B", dob=None)
    w1, w2 = g.person("W1"), g.person("W2")
    g.incident(b, w1, "2024-01-01")
    g.incident(b, w2, "2024-01-01")
    assert matac(db)["B"].first_met == D("2024-01-01")
