"""Routing and retries against real servers through neo4j:// routing URIs: the suite's reads reach the
server as read transactions (it refuses a write inside one), and a load survives a clean restart of the
server in the middle of it, ending in exactly the state of one clean run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import neo4j
import pytest
from neo4j.exceptions import ClientError

from graph_schema.apply import apply_schema
from ingest import IngestAborted, IngestReport, identity_exact, load
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance
from spr.settings import Settings
from tests.conftest import wipe
from tests.ingest.conftest import OTHER_STAGES, assert_same_graph, graph_dump

if TYPE_CHECKING:
    from tests.conftest import TestServer

ACCESS_MODE = "Neo.ClientError.Statement.AccessMode"
BATCH = 25  # small batches: many transactions, so the restart lands between and inside them


def test_the_suites_reads_are_routed_as_reads(db: Database, neo4j_server: TestServer) -> None:
    if neo4j_server.instance is not None:
        assert db.uri.startswith("neo4j://")
    if db.uri.startswith(("neo4j://", "neo4j+s://", "neo4j+ssc://")):
        assert isinstance(db.driver, neo4j.Neo4jDriver)  # the routing driver, which picks servers by role
    # The server's routing table: the servers a routing driver may send reads, writes and routing to.
    table = db.read("CALL dbms.routing.getRoutingTable({}, $db) YIELD servers RETURN servers", db=db.database)
    roles = {s["role"] for s in table[0]["servers"]}
    assert {"READ", "WRITE", "ROUTE"} <= roles

    attempts: list[Callable[[], Any]] = [
        lambda: db.read("CREATE (:Person {person_id: $id})", id="read-1"),
        lambda: db.read("MERGE (p:Person {person_id: $id}) RETURN p.person_id AS id", id="read-2"),
        lambda: db.read("MATCH (a:Agency) SET a.touched = true RETURN count(a) AS n"),
        lambda: db.execute_read(lambda tx: tx.run("CREATE (:Person {person_id: $id})", id="read-3").consume()),
    ]
    for attempt in attempts:
        with pytest.raises(ClientError) as refused:
            attempt()
        assert refused.value.code == ACCESS_MODE, refused.value
    assert db.read("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]
    assert db.read("MATCH (a:Agency) WHERE a.touched RETURN count(a) AS n") == [{"n": 0}]
    # The same statement as a write is accepted: the refusals above were the access mode, nothing else.
    db.write("CREATE (:Person {person_id: $id})", id="write-1")
    assert db.read("MATCH (p:Person) RETURN p.person_id AS id") == [{"id": "write-1"}]


def test_every_idiom_chains_the_same_bookmarks(db: Database) -> None:
    """In a cluster a read may go to a secondary; it waits for the process's earlier writes only when their
    bookmarks are handed on. Every idiom shares execute_query's bookmark manager, so each write moves it on."""
    manager = db.driver.execute_query_bookmark_manager
    seen = [set(manager.get_bookmarks())]
    db.execute_write(lambda tx: tx.run("CREATE (:Person {person_id: $id})", id="bm-1").consume())
    seen.append(set(manager.get_bookmarks()))
    db.run_auto("CREATE (:Person {person_id: $id})", id="bm-2")
    seen.append(set(manager.get_bookmarks()))
    db.write("CREATE (:Person {person_id: $id})", id="bm-3")
    seen.append(set(manager.get_bookmarks()))
    assert all(seen[1:]) and all(a != b for a, b in zip(seen, seen[1:], strict=False))
    assert db.execute_read(lambda tx: tx.run("MATCH (p:Person) RETURN count(p) AS n").single()["n"]) == 3


def _state(db: Database) -> tuple[dict[str, int], dict[str, int], dict[str, list[str]]]:
    labels = db.read("MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n")
    types = db.read("MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n")
    dump = graph_dump(db, normalise_clock=True, skip=OTHER_STAGES - {"Person", "RESOLVES_TO"})
    return {r["label"]: r["n"] for r in labels}, {r["type"]: r["n"] for r in types}, dump


def _count(db: Database) -> int:
    return int(db.read("MATCH (n) RETURN count(n) AS n")[0]["n"])


def _load(db: Database, data: Path, batch_size: int = BATCH) -> IngestReport:
    return load(db, [data], batch_size=batch_size, progress=False, resolver=identity_exact.resolve)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from synthetic import generate

    data = tmp_path_factory.mktemp("tiny")
    generate(scale="tiny", seed=5, out=data, progress=False)
    return data


@pytest.fixture(scope="module")
def clean_run(session_db: Database, tiny: Path) -> tuple[Any, int]:
    """One clean load on the suite's server: the state every interrupted run must end in."""
    wipe(session_db)
    apply_schema(session_db)
    _load(session_db, tiny, batch_size=2000)  # batch size does not change the end state
    return _state(session_db), _count(session_db)


@pytest.mark.slow
# The register's retry window; a window shorter than the restart ends in "run the same command again", which
# the kill -9 tests in tests/ingest/test_cli_and_resume.py already take to the end (SPR_TEST_SHORT_RETRY=1
# adds that variant here).
@pytest.mark.parametrize(
    "retry_seconds",
    [Settings().neo4j_retry_seconds] + ([0.5] if os.environ.get("SPR_TEST_SHORT_RETRY") else []),
)
def test_a_load_survives_a_server_restart_in_the_middle(
    retry_seconds: float,
    own_server: Instance,
    clean_run: tuple[Any, int],
    tiny: Path,
    record_property: Callable[[str, object], None],
) -> None:
    expected, full = clean_run
    inst = own_server
    info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True, retry_seconds)
    with Database.connect(info) as own:
        wipe(own)
        apply_schema(own)
        base = _count(own)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["report"] = _load(own, tiny)
            except IngestAborted as exc:
                outcome["aborted"] = exc
            except BaseException as exc:  # anything else fails the test below
                outcome["error"] = exc

        loader = threading.Thread(target=run, name="load-under-restart")
        loader.start()
        target = base + (full - base) // 3
        deadline = time.monotonic() + 300
        while loader.is_alive() and time.monotonic() < deadline and _count(own) < target:
            time.sleep(0.05)
        at_restart = _count(own)
        assert loader.is_alive() and at_restart < full, f"the load ended before the restart ({at_restart})"

        t0 = time.monotonic()
        inst.stop(log=lambda _m: None)  # a clean shutdown (SIGTERM), not kill -9
        inst.start(log=lambda _m: None)
        down = time.monotonic() - t0
        loader.join(timeout=600)
        assert not loader.is_alive()
        assert "error" not in outcome, outcome.get("error")

        if "report" in outcome:
            path = "completed by itself through the driver's retries"
            assert outcome["report"].ok
        else:
            # Lost beyond the retry window: the load says so, and running it again finishes it.
            assert "run the same command again" in str(outcome["aborted"])
            path = "aborted, then run again"
            again = _load(own, tiny)
            assert again.resumed and again.ok
        if retry_seconds < 1:
            assert "aborted" in outcome, "a restart cannot fit in half a second of retries"
        summary = f"retry window {retry_seconds} s, restart at {at_restart - base} of {full - base} nodes, "
        summary += f"server down {down:.1f} s: {path}"
        record_property("restart", summary)
        print(summary)

        labels, types, dump = _state(own)
        assert labels == expected[0]
        assert types == expected[1]
        assert_same_graph(expected[2], dump)
        assert own.read("MATCH (b:IngestBatch) RETURN b.status AS status") == [{"status": "completed"}]
