"""The named definitions that raise flags: serial (campaign and MATAC), repeat and high risk.

Each function takes an ``AsOf`` question and returns one ``DefinitionHit`` per person meeting the
definition on ``as_of``, with the date they first met it and the records that made it true. Parameters
come from graph_schema/vocabulary/definitions.yaml, never from code.
"""

from __future__ import annotations

from typing import Any

from graph_schema.model import vocabulary
from queries._common import da_offence_codes, day, definition, definitions_version, read
from queries.models import AsOf, DefinitionHit, Evidence
from spr.db import Database

SERIAL_CAMPAIGN = "SERIAL_CAMPAIGN"
SERIAL_MATAC = "SERIAL_MATAC"
REPEAT = "REPEAT"
HIGH_RISK = "HIGH_RISK"


def serial_campaign_params() -> dict[str, Any]:
    d = definition(SERIAL_CAMPAIGN)
    return {
        "min_victims": int(d.param("min_victims")),
        "qualifying_outcomes": list(d.param("qualifying_outcomes")),
        "qualifying_orders": list(vocabulary().serial_qualifying_orders),
        "da_offence_codes": da_offence_codes(),
    }


def find_serial_campaign(db: Database, q: AsOf) -> list[DefinitionHit]:
    """Two or more distinct victims and a DA/stalking conviction, caution, acquittal or qualifying order.

    An order counts from its start date even if it expired before the second victim: the campaign asks
    whether an order exists on the record, not whether one is in force.
    """
    rows = read(db, "find_serial_campaign", as_of=q.as_of, person_ids=q.person_ids, **serial_campaign_params())
    return [
        DefinitionHit(
            person_id=r["person_id"],
            definition=SERIAL_CAMPAIGN,
            definition_version=definitions_version(),
            first_met=r["first_met"],
            as_of=q.as_of,
            evidence=Evidence(
                incidents=sorted(set(r["incidents"])),
                victims=[v["person_id"] for v in r["victims"]],
                outcomes=[o["uid"] for o in r["outcomes"]],
                orders=[o["uid"] for o in r["orders"]],
            ),
            details={
                "victims_met_on": r["victims_met_on"],
                "qualifier_met_on": r["qualifier_met_on"],
                "victims": r["victims"],
                "outcomes": r["outcomes"],
                "orders": r["orders"],
            },
        )
        for r in rows
    ]


def serial_matac_params() -> dict[str, Any]:
    d = definition(SERIAL_MATAC)
    return {
        "min_victims": int(d.param("min_victims")),
        "window_days": int(d.param("window_days")),
        "min_age": int(d.param("min_age")),
        "unknown_age_counts": bool(d.param("unknown_age_counts")),
    }


def find_serial_matac(db: Database, q: AsOf) -> list[DefinitionHit]:
    """Two or more different victims on DA records within the window (3 years), suspect aged 16+."""
    rows = read(db, "find_serial_matac", as_of=q.as_of, person_ids=q.person_ids, **serial_matac_params())
    return [
        DefinitionHit(
            person_id=r["person_id"],
            definition=SERIAL_MATAC,
            definition_version=definitions_version(),
            first_met=r["first_met"],
            as_of=q.as_of,
            evidence=Evidence(incidents=sorted({i["uid"] for i in r["incidents"]}), victims=sorted(r["victims"])),
            details={"incidents": sorted(r["incidents"], key=lambda i: (i["occurred_on"], i["uid"]))},
        )
        for r in rows
    ]


def repeat_params() -> dict[str, Any]:
    d = definition(REPEAT)
    return {"min_incidents": int(d.param("min_incidents")), "window_days": int(d.param("window_days"))}


def find_repeat(db: Database, q: AsOf) -> list[DefinitionHit]:
    """Several incidents against the same victim within the window; one hit per person (all such victims)."""
    rows = read(db, "find_repeat_victimisation", as_of=q.as_of, person_ids=q.person_ids, **repeat_params())
    by_person: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_person.setdefault(r["person_id"], []).append(r)
    hits = []
    for pid, pairs in sorted(by_person.items()):
        hits.append(
            DefinitionHit(
                person_id=pid,
                definition=REPEAT,
                definition_version=definitions_version(),
                first_met=min(p["first_met"] for p in pairs),
                as_of=q.as_of,
                evidence=Evidence(
                    incidents=sorted({i["uid"] for p in pairs for i in p["incidents"]}),
                    victims=sorted(p["victim_id"] for p in pairs),
                ),
                details={
                    "victims": [
                        {"victim_id": p["victim_id"], "first_met": p["first_met"], "incidents": len(p["incidents"])}
                        for p in pairs
                    ]
                },
            )
        )
    return hits


def high_risk_params() -> dict[str, Any]:
    d = definition(HIGH_RISK)
    return {
        "dash_grades": list(d.param("dash_grades")),
        "homicide_indicators": list(vocabulary().homicide_indicators),
        "offence_indicators": dict(d.param("offence_indicators")),
        "window_days": int(d.param("window_days")),
    }


def find_high_risk(db: Database, q: AsOf) -> list[DefinitionHit]:
    """DASH high-risk incidents and homicide indicators in the window (2 years) before ``as_of``."""
    rows = read(db, "find_high_risk", as_of=q.as_of, person_ids=q.person_ids, **high_risk_params())
    hits = []
    for r in rows:
        incs = sorted(
            ({**i, "occurred_on": day(i["occurred_on"]), "known_on": day(i["known_on"])} for i in r["incidents"]),
            key=lambda i: (i["occurred_on"], i["uid"]),
        )
        hits.append(
            DefinitionHit(
                person_id=r["person_id"],
                definition=HIGH_RISK,
                definition_version=definitions_version(),
                first_met=r["first_met"],
                as_of=q.as_of,
                evidence=Evidence(
                    incidents=[i["uid"] for i in incs],
                    assessments=sorted({a for i in incs for a in i["assessments"]}),
                ),
                details={
                    "indicators": sorted({x for i in incs for x in i["indicators"]}),
                    "dash_high": sum(1 for i in incs if i["dash_grade"] in high_risk_params()["dash_grades"]),
                    "incidents": incs,
                },
            )
        )
    return hits
