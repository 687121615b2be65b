"""`spr ingest` and `spr stats` as commands, and the resume guarantee: kill -9 the ingest, or Neo4j
itself, at several points, run the same command again, and the graph equals one clean run's."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from graph_schema.apply import apply_schema
from spr.db import ConnectionInfo, Database
from spr.localserver import throwaway_instance
from spr.settings import Settings
from tests.conftest import wipe
from tests.ingest.conftest import (
    OTHER_STAGES,
    assert_same_graph,
    cli_env,
    graph_dump,
    run_spr,
    spr_command,
)

if TYPE_CHECKING:
    from tests.conftest import TestServer

BATCH = "25"  # small batches: many commit points to be killed between
# The exact identity stage is deterministic: Persons and RESOLVES_TO are compared too.
OPTS = ("--batch-size", BATCH, "--no-progress", "--identity", "exact")


def _dump(db: Database) -> dict[str, list[str]]:
    return graph_dump(db, normalise_clock=True, skip=OTHER_STAGES - {"Person", "RESOLVES_TO"})


def _count(db: Database) -> int:
    return int(db.read("MATCH (n) RETURN count(n) AS n")[0]["n"])


def test_cli_exit_status_summary_and_json(db: Database, neo4j_server: TestServer, small: Path, tmp_path: Path) -> None:
    ok = run_spr(neo4j_server.info, "ingest", str(small), "--no-progress", "--rejects", str(tmp_path / "r.ndjson"))
    assert ok.returncode == 0, ok.stderr
    assert "total" in ok.stdout and "23" in ok.stdout
    (small / "travel.ndjson").write_text('{"source_system":"WMP","record_id":"T9","person_ref":"WMP/P1"}\n')
    bad = run_spr(neo4j_server.info, "ingest", str(small), "--json", "--rejects", str(tmp_path / "r.ndjson"))
    assert bad.returncode == 1, bad.stderr
    report = json.loads(bad.stdout)
    assert report["counts"]["travel"] == {"read": 1, "loaded": 0, "rejected": 1, "skipped": 0}
    assert {r["field"] for r in report["rejects"]} == {"departure_date", "destination"}
    assert "Traceback" not in bad.stderr
    assert len((tmp_path / "r.ndjson").read_text().splitlines()) == 2
    missing = run_spr(neo4j_server.info, "ingest", str(tmp_path / "nothing-here"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    stats = run_spr(neo4j_server.info, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    st = json.loads(stats.stdout)
    assert st["nodes"]["PersonRecord"] == 4 and st["relationships"]["SUSPECT_IN"] == 3
    assert st["batches"][0]["status"] == "completed"
    table = run_spr(neo4j_server.info, "stats")
    assert table.returncode == 0 and "PersonRecord" in table.stdout


@pytest.fixture(scope="module")
def reference(session_db: Database, neo4j_server: TestServer, tiny_data: Path) -> tuple[dict[str, list[str]], int]:
    """One clean run of the tiny scale: the state every interrupted-and-resumed run must end in."""
    wipe(session_db)
    apply_schema(session_db)
    clean = run_spr(neo4j_server.info, "ingest", str(tiny_data), *OPTS)
    assert clean.returncode == 0, clean.stderr
    return _dump(session_db), _count(session_db)


def _kill_ingest_when(info: ConnectionInfo, db: Database, data: Path, nodes_at_least: int) -> int:
    """Start `spr ingest`, SIGKILL it once the graph holds the given number of nodes; return the count then."""
    proc = subprocess.Popen(
        spr_command("ingest", str(data), *OPTS, "--rejects", "/dev/null"),
        env=cli_env(info),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if _count(db) >= nodes_at_least:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return _count(db)


@pytest.mark.slow
def test_kill_ingest_at_several_points_then_rerun(
    reference: tuple[dict[str, list[str]], int],
    db: Database,
    session_db: Database,
    neo4j_server: TestServer,
    tiny_data: Path,
) -> None:
    expected, full = reference
    base = len(db.read("MATCH (n:Agency) RETURN n")) + 1  # reference agencies and the schema version
    killed_at = []
    for share in (0.1, 0.5, 0.9):
        wipe(session_db)
        apply_schema(session_db)
        killed_at.append(_kill_ingest_when(neo4j_server.info, db, tiny_data, base + int((full - base) * share)))
        again = run_spr(neo4j_server.info, "ingest", str(tiny_data), *OPTS)
        assert again.returncode == 0, again.stderr
        assert "resumed" in again.stdout or killed_at[-1] >= full
        assert_same_graph(expected, _dump(db))
    assert any(base < k < full for k in killed_at), f"no kill landed mid-load: {killed_at} of {full}"


@pytest.mark.slow
def test_kill_neo4j_mid_load_then_restart_and_rerun(
    reference: tuple[dict[str, list[str]], int], tiny_data: Path
) -> None:
    expected, full = reference

    settings = Settings()
    tmp = Path(tempfile.mkdtemp(prefix="spr-test-kill-"))
    inst = throwaway_instance(settings.neo4j_dir, tmp / "victim")
    try:
        inst.start(log=lambda _m: None)
        info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True)
        with Database.connect(info) as own:
            apply_schema(own)
            base = _count(own)
            proc = subprocess.Popen(
                spr_command("ingest", str(tiny_data), *OPTS),
                env=cli_env(info),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            target = base + (full - base) // 2
            deadline = time.monotonic() + 180
            while proc.poll() is None and time.monotonic() < deadline and _count(own) < target:
                time.sleep(0.02)
            inst.kill()  # the database dies mid-load (SIGKILL)
            proc.kill()  # the driver would retry for a minute before giving up: no need to wait for it
            proc.wait(timeout=30)
        inst.start(log=lambda _m: None)
        with Database.connect(info) as own:
            mid = _count(own)
            assert base <= mid < full, f"Neo4j was killed at {mid} of {full} nodes"
            again = run_spr(info, "ingest", str(tiny_data), *OPTS)
            assert again.returncode == 0, again.stderr
            assert_same_graph(expected, _dump(own))
    finally:
        inst.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.slow
def test_database_gone_is_one_clear_message(neo4j_server: TestServer, small: Path) -> None:
    dead = ConnectionInfo("bolt://127.0.0.1:1", "neo4j", "x-not-a-placeholder", "neo4j", False)
    out = run_spr(dead, "ingest", str(small), timeout=120)
    assert out.returncode == 2
    assert "error" in out.stderr and "Traceback" not in out.stderr
