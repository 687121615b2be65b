"""The definitions against the generator's ground truth: the tiny scale loaded through the ingest, records
linked to their true person (identity resolution is measured on its own), then every planted serial
perpetrator must be found, from the right date, and no negative control called serial by the campaign's
definition.

Dates: the generator plants on the day an incident *occurred*; the register dates a definition by the day
the records were *known* (reported), so that "what did we know then?" has an answer. A found first_met is
therefore never before the planted date, and later by at most the reporting lag."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from queries.definitions import find_serial_campaign, find_serial_matac
from queries.escalation import find_escalation
from queries.models import AsOf
from spr.db import Database

REPORTING_LAG_DAYS = 60  # the generator reports an incident within days; a charge or conviction later


@pytest.fixture(scope="module")
def truth_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import synthetic

    out = tmp_path_factory.mktemp("truth")
    synthetic.generate("tiny", 5, out, progress=False)
    return out


def _load(db: Database, data: Path) -> list[dict]:  # type: ignore[type-arg]
    import ingest

    ingest.load(db, [data], progress=False, resolver=None)
    with (data / "truth" / "person_truth.csv").open(encoding="utf-8") as fh:
        rows = [{"r": r["record_uid"], "p": r["person_id"]} for r in csv.DictReader(fh)]
    db.write(
        "UNWIND $rows AS row MATCH (r:PersonRecord {uid: row.r}) MERGE (p:Person {person_id: row.p}) "
        "MERGE (r)-[:RESOLVES_TO {method: 'TRUTH'}]->(p)",
        rows=rows,
    )
    return [json.loads(line) for line in (data / "truth" / "patterns.ndjson").read_text().splitlines() if line]


def test_planted_serial_and_escalation_found_from_the_right_date_and_no_control_is(
    db: Database, truth_world: Path
) -> None:
    from synthetic import REFERENCE_DATE

    patterns = _load(db, truth_world)
    q = AsOf(as_of=REFERENCE_DATE)
    campaign = {h.person_id: h for h in find_serial_campaign(db, q)}
    planted = {
        p["person_id"]: date.fromisoformat(p["holds_from"]) for p in patterns if p["pattern"] == "SERIAL_CAMPAIGN"
    }
    controls = {p["person_id"] for p in patterns if p["pattern"] == "SERIAL_MATAC_ONLY"}
    assert planted and controls

    missed = sorted(set(planted) - set(campaign))
    assert not missed, f"planted serial perpetrators not found: {missed}"
    for pid, holds_from in planted.items():
        lag = (campaign[pid].first_met - holds_from).days
        assert 0 <= lag <= REPORTING_LAG_DAYS, (pid, holds_from, campaign[pid].first_met)
        assert len(campaign[pid].evidence.victims) >= 2 and campaign[pid].evidence.incidents
    wrongly = sorted(controls & set(campaign))
    assert not wrongly, f"negative controls (two victims, nothing qualifying) called serial: {wrongly}"

    matac = {h.person_id for h in find_serial_matac(db, q)}
    matac_planted = controls | {p["person_id"] for p in patterns
                                if p["pattern"] == "SERIAL_CAMPAIGN" and p["details"].get("matac_from")}  # fmt: skip
    assert not sorted(matac_planted - matac)

    # Escalation: find_escalation reports chains whose last incident is within the window before as_of.
    found = {h.person_id for h in find_escalation(db, AsOf(as_of=REFERENCE_DATE))}
    window = 1095
    chains = {p["person_id"] for p in patterns if p["pattern"] == "ESCALATION"
              and (REFERENCE_DATE - date.fromisoformat(p["holds_from"])).days <= window}  # fmt: skip
    assert chains
    assert not sorted(chains - found)
