"""A small register in the shape the product writes it (ingest, identity, sweep, alerts, a nomination, audit
entries), and the `spr` command run as a separate process, for the reliability tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from api.audit import AuditEvent, append
from ingest import identity_exact, load
from queries.alerts import evaluate_alerts
from queries.detect import detect
from queries.models import NominationCreate
from queries.nominations import nominate
from spr.db import ConnectionInfo, Database
from tests.ingest.conftest import small_dataset

AS_OF = date(2025, 1, 1)
SPR = str(Path(sys.executable).with_name("spr"))


@dataclass
class Register:
    """The ids the tests break things by."""

    suspect: str  # the Person behind WMP/P1 and WMP/P4 (same PNC id)
    victim: str  # the Person behind WMP/P2
    nomination: str
    alerts: dict[str, str]  # kind -> alert_id
    flags: list[str]


def person_of(db: Database, record_uid: str) -> str:
    rows = db.read(
        "MATCH (:PersonRecord {uid: $uid})-[:RESOLVES_TO]->(p:Person) RETURN p.person_id AS id", uid=record_uid
    )
    return str(rows[0]["id"])


def build_register(db: Database, directory: Path) -> Register:
    """Load the hand-made dataset, resolve on PNC ids, run the sweep and the alert rules, nominate the
    suspect and write a few audit entries: every kind of node `spr check` looks at, consistent."""
    report = load(db, [small_dataset(directory)], resolver=identity_exact.resolve, progress=False)
    assert report.ok, report.rejects
    detect(db, AS_OF)
    suspect = person_of(db, "WMP/P1")
    people = [r["id"] for r in db.read("MATCH (p:Person) RETURN p.person_id AS id ORDER BY id")]
    fired = evaluate_alerts(db, people, batch_id=report.batch_id, since=None, as_of=AS_OF)
    assert fired.alerts, "the dataset should raise alerts"
    nomination = nominate(
        db, NominationCreate(person_id=suspect, reasons=["SERIAL_CAMPAIGN"], nominated_by="panel-chair")
    )
    for action in ("LOGIN", "GET /api/v1/persons/{person_id}", "LOGIN"):
        append(db, AuditEvent(username="analyst", roles=["POLICE_ANALYST"], action=action, subject=suspect))
    alerts = {r["kind"]: r["id"] for r in db.read("MATCH (a:Alert) RETURN a.kind AS kind, a.alert_id AS id")}
    flags = [r["uid"] for r in db.read("MATCH (f:Flag) RETURN f.uid AS uid ORDER BY uid")]
    return Register(suspect, person_of(db, "WMP/P2"), nomination.nomination_id, alerts, flags)


@pytest.fixture
def register(db: Database, tmp_path: Path) -> Register:
    return build_register(db, tmp_path / "data")


def spr_env(info: ConnectionInfo, **override: str) -> dict[str, str]:
    """The environment of a `spr` process pointed at ``info``, with some settings replaced."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "SPR_"))}
    env.update(NEO4J_URI=info.uri, NEO4J_USER=info.user, NEO4J_PASSWORD=info.password, NEO4J_DATABASE=info.database)
    env["COLUMNS"] = "200"  # rich wraps at the terminal width; keep each message on one line
    env.update(override)
    return env


def run_spr(
    info: ConnectionInfo, *args: str, cwd: Path, timeout: float = 120, **override: str
) -> subprocess.CompletedProcess[str]:
    """Run the installed `spr` command (not in this process) with the settings of ``info``."""
    return subprocess.run(
        [SPR, *args], env=spr_env(info, **override), cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
