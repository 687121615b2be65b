"""The query commands, against the test database (the process-wide Database set to it)."""

from __future__ import annotations

import json

import pytest
from factories import GraphFactory
from typer.testing import CliRunner

import spr.db
from spr.cli import app
from spr.db import Database


def test_detect_person_nominations_and_report(db: Database, g: GraphFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spr.db, "_db", db)
    a, v1, v2 = g.person("A"), g.person("V1"), g.person("V2")
    i = g.incident(a, v1, "2024-01-01", agency="CLE")
    g.incident(a, v2, "2024-02-01", agency="CLE")
    g.outcome(a, "CONVICTION", "2024-03-01", incident=i)
    run = CliRunner().invoke
    r = run(app, ["detect", "--as-of", "2024-12-31", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["flags"]["SERIAL_CAMPAIGN"] == 1  # progress goes to stderr
    r = run(app, ["nominations", "--as-of", "2024-12-31", "--json"])
    assert r.exit_code == 0, r.output
    assert [c["person"] for c in json.loads(r.output)] == ["A"]
    r = run(app, ["nominations", "--as-of", "2024-12-31", "--csv"])
    assert r.output.splitlines()[0].startswith("rank,person")
    r = run(app, ["nominations", "create", "A", "--by", "cw", "--reason", "SERIAL_CAMPAIGN"])
    assert r.exit_code == 0 and "MAPPA+ DA/stalking category (proposed)" in r.output
    r = run(app, ["person", "A", "--as-of", "2024-12-31", "--json"])
    assert r.exit_code == 0, r.output
    assert {f["definition"] for f in json.loads(r.output)["flags"]} >= {"SERIAL_CAMPAIGN"}
    r = run(app, ["report", "consistency", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["forces"][0]["nominated"] == 1
