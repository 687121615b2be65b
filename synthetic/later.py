"""A later batch of records for data already generated: what arrives the week after the first load.

``later_batch(base, out)`` reads a generated data set (its records and its ground truth) and writes a small
batch in the interchange format, dated in the fortnight after the base's reference date, in which known
perpetrators turn up again:

- a serial perpetrator (campaign definition, from the truth) is the suspect in a new incident against a new
  partner, whom a new INTIMATE_PARTNER relationship record names (known-perpetrator and Right to Know);
- the subject of an order still in force is the suspect in an incident against the person it protects
  (a breach);
- a person the truth marks as escalating is the suspect in a graver incident than any before, with
  homicide markers (escalation);
- a person under notification duties is recorded at a new address by a force, with no notification
  (an unnotified change);
- the rest is ordinary new incidents between people not seen before (no alert expected).

``truth/expected_alerts.ndjson`` lists, per planted case, the kind of alert it is meant to raise and the
records behind it. Whether a case raises its alert in the graph also depends on identity resolution (which
records were joined into one person) and on the definitions as the register evaluates them; the batch is a
demonstration and a latency workload, not a test oracle.
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from graph_schema.model import vocabulary
from synthetic.names import FEMALE_FIRST, MALE_FIRST, SURNAMES

_ORDINARY_OFFENCES = ["DA_NON_CRIME", "VERBAL_ABUSE", "COMMON_ASSAULT", "CRIMINAL_DAMAGE", "HARASSMENT"]


@dataclass
class LaterSummary:
    out: Path
    first_day: date
    records: dict[str, int] = field(default_factory=dict)
    planted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.records.values())


def _ndjson(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


class _Writer:
    def __init__(self, out: Path, prefix: str) -> None:
        self.out = out
        self.prefix = prefix
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.n = 0

    def uid(self, letter: str) -> str:
        self.n += 1
        return f"{letter}{self.prefix}{self.n:06d}"

    def add(self, rtype: str, source: str, letter: str, **fields: Any) -> str:
        rid = self.uid(letter)
        self.rows[rtype].append({"source_system": source, "record_id": rid, "record_version": 1, **fields})
        return f"{source}/{rid}"

    def save(self) -> dict[str, int]:
        self.out.mkdir(parents=True, exist_ok=True)
        for rtype, rows in self.rows.items():
            with (self.out / f"{rtype}.ndjson").open("w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return {k: len(v) for k, v in sorted(self.rows.items())}


def later_batch(base: Path, out: Path, *, seed: int = 7, size: int = 1000, per_kind: int = 12) -> LaterSummary:
    """Write a later batch of about ``size`` records for the data set in ``base`` into ``out``."""
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))
    forces: list[str] = manifest["forces"]
    first_day = date.fromisoformat(manifest["reference_date"]) + timedelta(days=1)
    rng = random.Random(seed * 7919 + 13)
    w = _Writer(out, "L")
    expected: list[dict[str, Any]] = []

    with (base / "truth" / "person_truth.csv").open(encoding="utf-8") as fh:
        truth = {r["record_uid"]: r["person_id"] for r in csv.DictReader(fh)}
    records_of: dict[str, list[str]] = defaultdict(list)
    for uid, pid in truth.items():
        records_of[pid].append(uid)
    offences = vocabulary().offences
    gravity = {code: o.gravity for code, o in offences.items()}
    incident_gravity = {f"{i['source_system']}/{i['record_id']}": gravity.get(i.get("offence_code", ""), 0)
                        for i in _ndjson(base / "incident.ndjson")}  # fmt: skip
    suspect_count: dict[str, int] = defaultdict(int)
    worst: dict[str, int] = defaultdict(int)  # the gravest incident per true person, as suspect
    for inv in _ndjson(base / "involvement.ndjson"):
        if inv["role"] == "SUSPECT":
            suspect_count[inv["person_ref"]] += 1
            pid = truth.get(inv["person_ref"], "")
            worst[pid] = max(worst[pid], incident_gravity.get(inv["incident_ref"], 0))
    patterns = _ndjson(base / "truth" / "patterns.ndjson")

    def police_record(pid: str) -> str | None:
        """The person's police record with the most incidents as suspect (what a force would match to)."""
        own = [u for u in records_of.get(pid, []) if u.split("/")[0] in forces]
        return max(own, key=lambda u: (suspect_count[u], u)) if own else None

    def when(day: int) -> str:
        at = datetime.combine(first_day + timedelta(days=day), time(rng.randrange(24), rng.randrange(60)), UTC)
        return at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def new_person(force: str, sex: str) -> str:
        first = rng.choice(FEMALE_FIRST if sex == "F" else MALE_FIRST)
        dob = date(rng.randint(1965, 2004), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
        return w.add("person", force, "N", first_name=first, last_name=rng.choice(SURNAMES), dob=dob, sex=sex)

    def incident(force: str, suspect: str, victim: str, offence: str, grade: str, indicators: list[str]) -> str:
        at = when(rng.randrange(14))
        ref = w.add(
            "incident", force, "I", occurred_at=at, reported_at=at, agency_code=force, offence_code=offence,
            is_crime=offences[offence].crime, is_stalking=offences[offence].stalking,
            dash_grade=grade, risk_indicators=indicators,
        )  # fmt: skip
        for role, person in (("SUSPECT", suspect), ("VICTIM", victim)):
            w.add("involvement", force, "V", incident_ref=ref, person_ref=person, role=role)
        return ref

    # Serial perpetrators with a new partner.
    serial = sorted({p["person_id"] for p in patterns if p["pattern"] == "SERIAL_CAMPAIGN"})
    for pid in rng.sample(serial, min(per_kind, len(serial))):
        rec = police_record(pid)
        if rec is None:
            continue
        force = rec.split("/")[0]
        partner = new_person(force, "F")
        w.add("relationship", force, "R", person_ref=rec, other_ref=partner, kind="INTIMATE_PARTNER",
              start_date=(first_day - timedelta(days=rng.randint(20, 90))).isoformat())  # fmt: skip
        inc = incident(force, rec, partner, "COMMON_ASSAULT", "MEDIUM", [])
        expected.append({"kind": "KNOWN_PERPETRATOR_INCIDENT", "person_id": pid, "records": [rec, inc]})
        expected.append({"kind": "RIGHT_TO_KNOW", "person_id": pid, "records": [rec, partner]})

    # Orders still in force: an incident against the protected person.
    orders = [
        o
        for o in _ndjson(base / "order.ndjson")
        if o.get("protected_refs")
        and (_date(o.get("start_date")) or date.max) <= first_day
        and (_date(o.get("end_date")) or date.max) >= first_day + timedelta(days=14)
    ]
    for o in rng.sample(orders, min(per_kind, len(orders))):
        subject, protected = o["subject_ref"], o["protected_refs"][0]
        pid = truth.get(subject, "")
        force = rng.choice(forces)
        inc = incident(force, subject, protected, "BREACH_OF_ORDER", "HIGH", ["ORDER_BREACH"])
        order_ref = f"{o['source_system']}/{o['record_id']}"
        expected.append({"kind": "ORDER_BREACH", "person_id": pid, "records": [inc, order_ref]})

    # Escalating perpetrators: an incident graver than any before, with homicide markers.
    by_gravity = sorted((g, code) for code, g in gravity.items())
    escalating = sorted({p["person_id"] for p in patterns if p["pattern"] == "ESCALATION"})
    escalating = [pid for pid in escalating if worst[pid] < by_gravity[-1][0]]
    for pid in rng.sample(escalating, min(per_kind, len(escalating))):
        rec = police_record(pid)
        if rec is None:
            continue
        force = rec.split("/")[0]
        victim = new_person(force, "F")
        offence = next(code for g, code in by_gravity if g > worst[pid])
        inc = incident(force, rec, victim, offence, "HIGH", ["NON_FATAL_STRANGULATION", "THREATS_TO_KILL"])
        expected.append({"kind": "ESCALATION", "person_id": pid, "records": [rec, inc]})

    # People under an address notification duty seen at a new address by a force, with no notification.
    duties = sorted(
        o["subject_ref"]
        for o in _ndjson(base / "order.ndjson")
        if "ADDRESS" in (o.get("duties") or [])
        and (_date(o.get("start_date")) or date.max) <= first_day
        and (_date(o.get("end_date")) or date.max) >= first_day + timedelta(days=30)
    )
    for ref in rng.sample(duties, min(per_kind, len(duties))):
        force = rng.choice(forces)
        street = f"{rng.randint(1, 200)} {rng.choice(SURNAMES)} Road"
        moved = (first_day + timedelta(days=rng.randrange(7))).isoformat()
        addr = w.add("address", force, "A", person_ref=ref, line1=street, town="Newtown", postcode="ZZ1 1ZZ",
                     force_area=force, from_date=moved)  # fmt: skip
        expected.append({"kind": "UNNOTIFIED_ADDRESS", "person_id": truth.get(ref, ""), "records": [ref, addr]})

    planted = sum(len(v) for v in w.rows.values())
    # Ordinary incidents between people not seen before: 5 records each (2 people, incident, 2 involvements).
    for _ in range(max(0, size - planted) // 5):
        force = rng.choice(forces)
        suspect, victim = new_person(force, "M"), new_person(force, "F")
        incident(force, suspect, victim, rng.choice(_ORDINARY_OFFENCES), rng.choice(["STANDARD", "MEDIUM"]), [])

    summary = LaterSummary(out=out, first_day=first_day, records=w.save())
    (out / "truth").mkdir(exist_ok=True)
    with (out / "truth" / "expected_alerts.ndjson").open("w", encoding="utf-8") as fh:
        for e in expected:
            fh.write(json.dumps(e) + "\n")
            summary.planted[e["kind"]] = summary.planted.get(e["kind"], 0) + 1
    (out / "manifest.json").write_text(
        json.dumps({
            "format_version": manifest.get("format_version", "1.0"), "generator": "spr synthetic (later batch)",
            "base": str(base), "seed": seed, "first_day": first_day.isoformat(), "counts": summary.records,
            "planted": summary.planted,
        }, indent=2) + "\n", encoding="utf-8",
    )  # fmt: skip
    return summary
