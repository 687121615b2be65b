"""Read a generated data set back: validate every record and measure the calibrated shares.

Used by the tests and to fill the tables in docs/synthetic-data.md. It reads whole files, so it is
meant for the tiny and demo scales.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.records import RECORD_TYPES, BaseRecord
from synthetic import calibration as cal
from synthetic.writer import file_name


def iter_records(out: Path, rtype: str, fmt: str = "ndjson") -> Iterator[BaseRecord]:
    model = RECORD_TYPES[rtype]
    path = Path(out) / file_name(rtype, fmt)
    with path.open(encoding="utf-8", newline="") as fh:
        if fmt == "ndjson":
            for line in fh:
                yield model.model_validate_json(line)
        else:
            for row in csv.DictReader(fh):
                yield model.from_csv_row(row)


def latest(out: Path, rtype: str, fmt: str = "ndjson") -> dict[str, Any]:
    """uid -> the highest version of each record."""
    best: dict[str, Any] = {}
    for rec in iter_records(out, rtype, fmt):
        cur = best.get(rec.uid)
        if cur is None or rec.record_version > cur.record_version:
            best[rec.uid] = rec
    return best


def person_truth(out: Path) -> dict[str, str]:
    with (Path(out) / "truth" / "person_truth.csv").open(encoding="utf-8") as fh:
        return {row["record_uid"]: row["person_id"] for row in csv.DictReader(fh)}


def incident_truth(out: Path) -> dict[str, str]:
    with (Path(out) / "truth" / "incident_truth.csv").open(encoding="utf-8") as fh:
        return {row["record_uid"]: row["incident_id"] for row in csv.DictReader(fh)}


def patterns(out: Path) -> list[dict[str, Any]]:
    with (Path(out) / "truth" / "patterns.ndjson").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def measure(out: Path, fmt: str = "ndjson") -> dict[str, float]:
    """The shares that docs/synthetic-data.md calibrates, measured on one generated data set."""
    out = Path(out)
    incidents = latest(out, "incident", fmt)
    police_incidents = {u: i for u, i in incidents.items()}
    crimes = [i for i in police_incidents.values() if i.is_crime]
    outcomes = list(latest(out, "outcome", fmt).values())
    kinds = Counter(o.kind for o in outcomes)
    graded = [i for i in police_incidents.values() if i.dash_grade]
    n = len(police_incidents)
    result: dict[str, float] = {
        "incidents": float(n),
        "crime_share": len(crimes) / n,
        "arrests_per_crime": kinds["ARREST"] / len(crimes),
        "charges_per_crime": kinds["CHARGE"] / len(crimes),
        "cautions_per_crime": kinds["CAUTION"] / len(crimes),
        "conviction_rate": kinds["CONVICTION"] / max(1, kinds["CONVICTION"] + kinds["ACQUITTAL"]),
        "stalking_share": sum(i.is_stalking for i in police_incidents.values()) / n,
        "dash_high_share": sum(i.dash_grade == "HIGH" for i in graded) / len(graded),
        "dash_medium_share": sum(i.dash_grade == "MEDIUM" for i in graded) / len(graded),
    }
    for code in cal.INDICATOR_FREQUENCY:
        result[f"indicator:{code}"] = sum(code in i.risk_indicators for i in police_incidents.values()) / n

    # victim-offender pairs and serial share, on true people and true incidents
    people = person_truth(out)
    true_incident = incident_truth(out)
    suspects: dict[str, set[str]] = defaultdict(set)
    victims: dict[str, set[str]] = defaultdict(set)
    for inv in iter_records(out, "involvement", fmt):
        ti = true_incident[inv.incident_ref]  # type: ignore[attr-defined]
        if inv.role == "SUSPECT":  # type: ignore[attr-defined]
            suspects[ti].add(people[inv.person_ref])  # type: ignore[attr-defined]
        elif inv.role == "VICTIM":  # type: ignore[attr-defined]
            victims[ti].add(people[inv.person_ref])  # type: ignore[attr-defined]
    pair_incidents: Counter[tuple[str, str]] = Counter()
    perp_victims: dict[str, set[str]] = defaultdict(set)
    for ti, ss in suspects.items():
        for s in ss:
            for v in victims.get(ti, ()):
                pair_incidents[(s, v)] += 1
                perp_victims[s].add(v)
    result["pairs"] = float(len(pair_incidents))
    result["pairs_no_repeat"] = sum(c == 1 for c in pair_incidents.values()) / len(pair_incidents)
    result["perpetrators"] = float(len(perp_victims))
    result["serial_share"] = sum(len(v) >= 2 for v in perp_victims.values()) / len(perp_victims)
    return result


def check_references(out: Path, fmt: str = "ndjson") -> list[str]:
    """Every ``*_ref`` resolves to a record in the data set; returns the problems found."""
    uids: dict[str, set[str]] = {}
    for rtype in RECORD_TYPES:
        uids[rtype] = {r.uid for r in iter_records(out, rtype, fmt)}
    target = {
        "incident_ref": "incident",
        "person_ref": "person",
        "other_ref": "person",
        "subject_ref": "person",
        "order_ref": "order",
        "protected_refs": "person",
    }
    problems = []
    for rtype in RECORD_TYPES:
        for rec in iter_records(out, rtype, fmt):
            for fname, ttype in target.items():
                value = getattr(rec, fname, None)
                for ref in value if isinstance(value, list) else [value]:
                    if ref is not None and ref not in uids[ttype]:
                        problems.append(f"{rtype} {rec.uid}: {fname} {ref} does not resolve")
    return problems
