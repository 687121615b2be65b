"""`spr generate`: determinism, valid records, consistent ground truth, calibrated shares."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from ingest.records import RECORD_TYPES, vocabulary
from synthetic import REFERENCE_DATE, generate
from synthetic import calibration as cal
from synthetic.generator import plan
from synthetic.measure import check_references, iter_records, latest, measure, patterns, person_truth

PATTERNS = {
    "SERIAL_CAMPAIGN",
    "SERIAL_MATAC_ONLY",
    "MOVER",
    "ESCALATION",
    "ORDER_BREACH",
    "UNNOTIFIED_ADDRESS",
    "UNNOTIFIED_NAME",
    "UNNOTIFIED_RELATIONSHIP",
    "UNNOTIFIED_TRAVEL",
    "REPEAT_SINGLE_VICTIM",
    "HIGH_RISK",
}


def digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate("tiny", 7, out, progress=False)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate("demo", 1, out, progress=False)
    return out


def test_same_seed_same_bytes_different_seed_different(tiny, tmp_path):
    again = tmp_path / "again"
    generate("tiny", 7, again, progress=False, workers=2)  # parallel shards give the same bytes
    assert digest(again) == digest(tiny)
    other = tmp_path / "other"
    generate("tiny", 8, other, progress=False)
    assert digest(other) != digest(tiny)


def test_every_file_is_written(tiny):
    for rtype in RECORD_TYPES:
        assert (tiny / f"{rtype}.ndjson").exists()
    for name in ("person_truth.csv", "incident_truth.csv", "patterns.ndjson"):
        assert (tiny / "truth" / name).exists()
    assert (tiny / "manifest.json").exists()


@pytest.mark.parametrize("rtype", list(RECORD_TYPES))
def test_every_record_validates(tiny, rtype):
    records = list(iter_records(tiny, rtype))
    if rtype not in ("travel",):
        assert records, f"no {rtype} records"
    keys = [(r.uid, r.record_version) for r in records]
    assert len(keys) == len(set(keys)), "a (uid, version) pair is repeated"


def test_csv_output_validates_and_matches(tiny, tmp_path):
    out = tmp_path / "csv"
    generate("tiny", 7, out, progress=False, fmt="csv")
    for rtype in RECORD_TYPES:
        ndjson = [r.model_dump() for r in iter_records(tiny, rtype)]
        rows = [r.model_dump() for r in iter_records(out, rtype, "csv")]
        assert rows == ndjson


def test_references_resolve(tiny):
    assert check_references(tiny) == []


def test_every_person_record_has_a_true_person(tiny):
    truth = person_truth(tiny)
    uids = {r.uid for r in iter_records(tiny, "person")}
    assert uids == set(truth)
    # several records per true person, as joined-up histories need
    per_person = defaultdict(list)
    for uid, pid in truth.items():
        per_person[pid].append(uid)
    assert any(len(v) >= 3 for v in per_person.values())


def test_noise_is_present_and_pnc_only_in_police_sources(demo):
    truth = person_truth(demo)
    forces = set(vocabulary().forces)
    by_person = defaultdict(list)
    for rec in latest(demo, "person").values():
        by_person[truth[rec.uid]].append(rec)
        if rec.pnc_id:
            assert rec.source_system in forces
    firsts = dobs = 0
    for recs in by_person.values():
        firsts += len({r.first_name for r in recs}) > 1
        dobs += len({r.dob for r in recs if r.dob}) > 1
    assert firsts > 100 and dobs > 50
    # a later version of a record carries the same id (PNC id added after arrest, reclassified incidents)
    assert any(r.record_version == 2 for r in iter_records(demo, "person"))
    assert any(r.record_version == 2 for r in iter_records(demo, "incident"))


def test_patterns_are_well_formed(tiny):
    truth_people = set(person_truth(tiny).values())
    rows = patterns(tiny)
    assert rows
    for row in rows:
        assert row["pattern"] in PATTERNS
        assert row["person_id"] in truth_people
        assert date.fromisoformat(row["holds_from"]) <= REFERENCE_DATE


def test_demo_has_every_pattern(demo):
    found = {row["pattern"] for row in patterns(demo)}
    assert found == PATTERNS


def _facts(out: Path):
    """Per true person: (date, true victim) of incidents as suspect; dates of qualifying outcomes and orders."""
    truth = person_truth(out)
    incidents = latest(out, "incident")
    suspects, victims = defaultdict(set), defaultdict(set)
    for inv in iter_records(out, "involvement"):
        target = suspects if inv.role == "SUSPECT" else victims if inv.role == "VICTIM" else None
        if target is not None:
            target[inv.incident_ref].add(truth[inv.person_ref])
    offending = defaultdict(list)
    for uid, s in suspects.items():
        for p in s:
            for v in victims[uid]:
                offending[p].append((incidents[uid].occurred_at.date(), v))
    qualifying = defaultdict(list)
    for o in latest(out, "outcome").values():
        if o.kind in ("CONVICTION", "CAUTION", "ACQUITTAL"):
            qualifying[truth[o.person_ref]].append(o.outcome_date)
    for o in latest(out, "order").values():
        if vocabulary().orders[o.order_type].get("qualifies_serial"):
            qualifying[truth[o.subject_ref]].append(o.start_date)
    return offending, qualifying


def test_serial_truth_matches_the_records(demo):
    offending, qualifying = _facts(demo)
    rows = patterns(demo)
    for row in rows:
        pid, when = row["person_id"], date.fromisoformat(row["holds_from"])
        if row["pattern"] == "SERIAL_CAMPAIGN":
            assert len({v for d, v in offending[pid] if d <= when}) >= 2
            assert any(d <= when for d in qualifying[pid])
        elif row["pattern"] == "SERIAL_MATAC_ONLY":
            assert len({v for _, v in offending[pid]}) >= 2
            assert not any(d <= REFERENCE_DATE for d in qualifying[pid])
        elif row["pattern"] == "REPEAT_SINGLE_VICTIM":
            assert len({v for _, v in offending[pid]}) == 1
            assert len(offending[pid]) >= 3
    flagged = {r["person_id"] for r in rows if r["pattern"] in ("SERIAL_CAMPAIGN", "SERIAL_MATAC_ONLY")}
    # everyone with two or more victims within three years is in the truth under one definition or the other
    for pid, events in offending.items():
        events.sort()
        if any(v1 != v2 and (d2 - d1).days <= 1095 for i, (d1, v1) in enumerate(events) for d2, v2 in events[i + 1 :]):
            assert pid in flagged


def test_unnotified_changes_have_no_timely_notification(demo):
    truth = person_truth(demo)
    notes = defaultdict(list)
    for n in iter_records(demo, "notification"):
        notes[(truth[n.person_ref], n.kind)].append(n)
    for row in patterns(demo):
        if not row["pattern"].startswith("UNNOTIFIED_"):
            continue
        kind = row["pattern"].removeprefix("UNNOTIFIED_")
        effective = date.fromisoformat(row["details"]["effective_date"])
        deadline = row["details"]["deadline_days"]
        for n in notes[(row["person_id"], kind)]:
            if n.effective_date == effective:
                if kind == "TRAVEL":
                    assert (effective - n.notified_at.date()).days < deadline
                else:
                    assert (n.notified_at.date() - effective).days > deadline


def test_dapo_only_in_pilot_forces_after_pilot_start(demo):
    for o in latest(demo, "order").values():
        assert not vocabulary().orders[o.order_type].get("proposed")
        if o.order_type in ("DAPN", "DAPO"):
            assert o.incident_ref
            force = o.incident_ref.split("/")[0]
            assert force in cal.DAPO_PILOT_START and o.start_date >= cal.DAPO_PILOT_START[force]


def test_calibrated_shares_within_tolerance(demo):
    m = measure(demo)
    for name, target in cal.TARGETS.items():
        assert abs(m[name] - target.value) <= target.tolerance, (name, m[name], target.value)
    for code, freq in cal.INDICATOR_FREQUENCY.items():
        assert abs(m[f"indicator:{code}"] - freq) <= cal.INDICATOR_TOLERANCE, (code, m[f"indicator:{code}"])
    assert 0.04 <= m["serial_share"] <= 0.20  # Robinson, Clancy & Hanks: 4%-20% by data source


def test_final_year_volume(demo):
    import json

    manifest = json.loads((demo / "manifest.json").read_text())
    per_year = cal.SCALES["demo"].incidents_per_year
    assert abs(manifest["incidents_last_year"] - per_year) / per_year < 0.05
    assert manifest["format_version"] == "1.0"


def test_order_lengths_within_statutory_bounds(demo):
    spec = vocabulary().orders
    for o in latest(demo, "order").values():
        if o.end_date:
            days = (o.end_date - o.start_date).days
            lo, hi = spec[o.order_type]["min_days"] or 0, spec[o.order_type]["max_days"]
            assert days >= lo and (hi is None or days <= hi), (o.order_type, days)


def test_national_plan_matches_published_volume():
    spec, shards, window_start = plan("national")
    forces = [s for s in shards if not s.movers]
    assert len(forces) == 43
    years = spec.history_years + 1
    total = sum(s.budget for s in shards)
    assert abs(total - cal.NATIONAL_INCIDENTS_PER_YEAR * years) / total < 0.001
    assert (REFERENCE_DATE - window_start).days == 365 * years - 1


def test_person_truth_csv_header(tiny):
    with (tiny / "truth" / "person_truth.csv").open() as fh:
        assert next(csv.reader(fh)) == ["record_uid", "person_id"]
