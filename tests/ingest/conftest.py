"""Helpers for the ingest tests: hand-made record files, a full graph dump to compare states, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from spr.db import ConnectionInfo, Database

# Properties whose value is a wall-clock time: equal in kind, never in value, between two databases.
CLOCK_PROPS = frozenset(
    {"ingested_at", "started_at", "finished_at", "created_at", "decided_at", "applied_at", "scored_at", "updated_at"}
)
# Labels and types other stages own (identity matching, detection): not compared by the resume tests.
OTHER_STAGES = frozenset({"Person", "RESOLVES_TO", "Flag", "FLAGGED", "EVIDENCED_BY", "Alert", "ABOUT"})


def write_ndjson(directory: Path, record_type: str, rows: list[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{record_type}.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _r(rid: str, **fields: Any) -> dict[str, Any]:
    return {"source_system": "WMP", "record_id": rid, "record_version": 1, **fields}


def small_dataset(directory: Path) -> Path:
    """A small, valid, hand-made load touching every record type and every link the ingest writes."""
    write_ndjson(
        directory,
        "agency",
        [{"source_system": "SPR", "record_id": "COURT-WM", "code": "COURT-WM", "name": "WM Courts", "kind": "COURT"}],
    )
    write_ndjson(
        directory,
        "person",
        [
            _r("P1", first_name="Mark", last_name="Byrne", dob="1979-01-10", sex="M", pnc_id="2001/0012345A"),
            _r("P2", first_name="Leanne", last_name="Sutton", dob="1980-10-06", sex="F"),
            _r("P3", first_name="Amy", last_name="Hall", dob="1990-05-01", sex="F"),
            _r("P4", first_name="Mark", last_name="Byrne", aliases=["Marc Byrne"], pnc_id="2001/0012345A"),
        ],
    )
    write_ndjson(
        directory,
        "address",
        [_r("A1", person_ref="WMP/P2", line1="1 High St", town="Dudley", postcode="dy1 1aa", from_date="2024-01-01")],
    )
    inc = {"reported_at": "2024-12-02T10:00:00Z", "agency_code": "WMP", "is_crime": True}
    write_ndjson(
        directory,
        "incident",
        [
            _r("I1", occurred_at="2024-03-01T22:00:00Z", offence_code="COMMON_ASSAULT", dash_grade="MEDIUM", **inc),
            _r("I2", occurred_at="2024-06-01T22:00:00Z", offence_code="STRANGULATION", dash_grade="HIGH", **inc),
            _r("I3", occurred_at="2024-09-01T22:00:00Z", offence_code="BREACH_OF_ORDER", **inc),
        ],
    )
    write_ndjson(
        directory,
        "involvement",
        [
            _r("V1", incident_ref="WMP/I1", person_ref="WMP/P1", role="SUSPECT"),
            _r("V2", incident_ref="WMP/I1", person_ref="WMP/P2", role="VICTIM"),
            _r("V3", incident_ref="WMP/I2", person_ref="WMP/P4", role="SUSPECT"),
            _r("V4", incident_ref="WMP/I2", person_ref="WMP/P3", role="VICTIM"),
            _r("V5", incident_ref="WMP/I2", person_ref="WMP/P2", role="WITNESS"),
            _r("V6", incident_ref="WMP/I3", person_ref="WMP/P1", role="SUSPECT"),
        ],
    )
    write_ndjson(
        directory,
        "relationship",
        [_r("R1", person_ref="WMP/P1", other_ref="WMP/P2", kind="FORMER_PARTNER", start_date="2020-01-01")],
    )
    write_ndjson(
        directory,
        "outcome",
        [
            _r("O1", person_ref="WMP/P1", incident_ref="WMP/I1", kind="CONVICTION", outcome_date="2024-05-01",
               offence_code="COMMON_ASSAULT", sentence_months=6, sentence_type="SUSPENDED", agency_code="WMP"),
        ],
    )  # fmt: skip
    write_ndjson(
        directory,
        "order",
        [
            {"source_system": "COURT-WM", "record_id": "D1", "order_type": "DAPO", "subject_ref": "WMP/P1",
             "protected_refs": ["WMP/P2"], "start_date": "2024-05-01", "end_date": "2026-05-01",
             "duties": ["TRAVEL"], "issuing_agency": "COURT-WM", "incident_ref": "WMP/I1"},
        ],
    )  # fmt: skip
    write_ndjson(
        directory,
        "breach",
        [_r("B1", order_ref="COURT-WM/D1", incident_ref="WMP/I3", person_ref="WMP/P1", breach_date="2024-09-01")],
    )
    write_ndjson(
        directory,
        "notification",
        [_r("N1", person_ref="WMP/P1", kind="ADDRESS", notified_at="2024-07-01T09:00:00Z",
            effective_date="2024-07-02", received_by="WMP")],
    )  # fmt: skip
    write_ndjson(
        directory,
        "episode",
        [_r("E1", kind="MARAC", person_ref="WMP/P2", role="VICTIM", start_date="2024-03-10", agency_code="WMP")],
    )
    write_ndjson(
        directory,
        "assessment",
        [_r("S1", kind="DASH", person_ref="WMP/P3", incident_ref="WMP/I2", grade="HIGH", score=16,
            assessed_at="2024-06-02", agency_code="WMP")],
    )  # fmt: skip
    write_ndjson(directory, "travel", [_r("T1", person_ref="WMP/P1", departure_date="2024-08-01", destination="ES")])
    return directory


def graph_dump(db: Database, *, normalise_clock: bool = False, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Every node and relationship with all its properties, in a form two states can be compared by."""

    def clean(props: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in props.items():
            if normalise_clock and k in CLOCK_PROPS:
                out[k] = f"<time {type(v).__name__}>"  # the value differs between runs; its type must not
            else:
                out[k] = str(v) if hasattr(v, "iso_format") else v
        return out

    nodes = db.read(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props, "
        "coalesce(n.uid, n.code, n.person_id, n.batch_id, n.name, n.nomination_id, n.alert_id) AS key"
    )
    rels = db.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, properties(r) AS props, "
        "coalesce(a.uid, a.code, a.person_id) AS a, coalesce(b.uid, b.code, b.person_id) AS b"
    )
    node_list = sorted(
        json.dumps([sorted(n["labels"]), n["key"], clean(n["props"])], sort_keys=True, default=str)
        for n in nodes
        if not set(n["labels"]) & skip
    )
    rel_list = sorted(
        json.dumps([r["type"], r["a"], r["b"], clean(r["props"])], sort_keys=True, default=str)
        for r in rels
        if r["type"] not in skip
    )
    return {"nodes": node_list, "rels": rel_list}


def assert_same_graph(a: dict[str, Any], b: dict[str, Any]) -> None:
    for part in ("nodes", "rels"):
        ca, cb = Counter(a[part]), Counter(b[part])
        missing, extra = ca - cb, cb - ca
        assert not missing and not extra, f"{part} differ: missing {list(missing)[:3]}, extra {list(extra)[:3]}"


def cli_env(info: ConnectionInfo) -> dict[str, str]:
    env = dict(os.environ)
    env.update(NEO4J_URI=info.uri, NEO4J_USER=info.user, NEO4J_PASSWORD=info.password, NEO4J_DATABASE=info.database)
    env.pop("SPR_DEMO", None)
    env["COLUMNS"] = "200"  # rich wraps at the terminal width; keep messages on one line for the asserts
    return env


def spr_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from spr.cli import main; main()", *args]


def run_spr(info: ConnectionInfo, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(spr_command(*args), env=cli_env(info), capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return small_dataset(tmp_path / "small")


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's tiny scale (a few thousand records), made once per test run."""
    from synthetic import generate

    out = tmp_path_factory.mktemp("tiny")
    generate(scale="tiny", seed=1, out=out, progress=False)
    return out
