"""One real Neo4j for the whole test session, and a clean database for every graph test.

Where the server comes from, first that applies:
1. NEO4J_URI (with NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE): any Neo4j 5.26+ server, cluster or Aura.
   The database named there is wiped by the tests: never point this at data you keep.
2. A Docker engine that answers: testcontainers' Neo4j module with the neo4j:5.26-community image.
3. Otherwise the project's own Neo4j (installed from Maven Central if missing) as a throwaway instance on
   a free port, with its own data folder, reached through a neo4j:// routing URI so that reads and writes
   are routed exactly as they are against a cluster.
Every graph test in this suite runs against that real server; nothing stands in for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graph_schema.apply import apply_schema
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, install, throwaway_instance
from spr.settings import Settings


@dataclass
class TestServer:
    info: ConnectionInfo
    origin: str
    instance: Instance | None = None
    container: Any = None
    tmpdir: Path | None = None
    version: str = "?"
    edition: str = "?"

    def close(self) -> None:
        if self.instance is not None:
            self.instance.destroy()
        if self.container is not None:
            self.container.stop()
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


_server: TestServer | None = None
_server_error: str | None = None


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _provision() -> TestServer:
    settings = Settings()
    if settings.neo4j_uri:
        pw = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
        info = ConnectionInfo(settings.neo4j_uri, settings.neo4j_user, pw, settings.neo4j_database, False)
        return TestServer(info, f"NEO4J_URI {settings.neo4j_uri}")
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        container = Neo4jContainer("neo4j:5.26-community", password="spr-test-" + os.urandom(6).hex())
        container.start()
        info = ConnectionInfo(container.get_connection_url(), "neo4j", container.password, "neo4j", False)
        return TestServer(info, "testcontainers neo4j:5.26-community", container=container)
    install(settings.neo4j_dir, settings.neo4j_version, log=lambda _m: None)
    tmp = Path(tempfile.mkdtemp(prefix="spr-test-neo4j-"))
    inst = throwaway_instance(settings.neo4j_dir, tmp / "instance")
    inst.start(log=lambda _m: None)
    info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True)
    return TestServer(info, f"throwaway local server {inst.home}", instance=inst, tmpdir=tmp)


def get_test_server() -> TestServer:
    global _server, _server_error
    if _server is None:
        if _server_error is not None:
            pytest.fail(f"no Neo4j for the tests: {_server_error}", pytrace=False)
        try:
            _server = _provision()
            with Database.connect(_server.info) as db:
                meta = db.server_info()
            _server.version, _server.edition = meta.get("version", "?"), meta.get("edition", "?")
        except Exception as exc:  # report once, fail every graph test with the reason
            _server_error = f"{exc.__class__.__name__}: {exc}"
            pytest.fail(f"no Neo4j for the tests: {_server_error}", pytrace=False)
    return _server


def pytest_report_header(config: pytest.Config) -> list[str]:
    if os.environ.get("SPR_TEST_NO_SERVER"):
        return ["neo4j: not started (SPR_TEST_NO_SERVER set)"]
    try:
        srv = get_test_server()
    except BaseException as exc:  # pytest.fail raises an OutcomeException
        return [f"neo4j: unavailable: {exc}"]
    return [f"neo4j: {srv.version} {srv.edition} via {srv.info.uri} ({srv.origin})"]


def pytest_unconfigure(config: pytest.Config) -> None:
    global _server
    if _server is not None:
        _server.close()
        _server = None


@pytest.fixture(scope="session")
def neo4j_server() -> TestServer:
    return get_test_server()


@pytest.fixture(scope="session")
def session_db(neo4j_server: TestServer) -> Iterator[Database]:
    db = Database.connect(neo4j_server.info)
    yield db
    db.close()


@pytest.fixture(scope="module")
def own_server(neo4j_server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """A throwaway server of the test module's own, to be stopped, restarted or killed (-9) while the suite's
    server stays up. Skipped when the suite runs against NEO4J_URI or a container."""
    if neo4j_server.instance is None:
        pytest.skip("the project's own Neo4j is not in use (NEO4J_URI or a container)")
    inst = throwaway_instance(Settings().neo4j_dir, tmp_path_factory.mktemp("own-server") / "instance")
    try:
        inst.start(log=lambda _m: None)
        yield inst
    finally:
        inst.destroy()


def wipe(db: Database) -> None:
    db.run_auto("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")


@pytest.fixture
def db(session_db: Database) -> Database:
    """A clean database with the schema applied (constraints, indexes, reference agencies)."""
    wipe(session_db)
    apply_schema(session_db)
    return session_db


@pytest.fixture
def empty_db(session_db: Database) -> Database:
    """A database with no nodes and no constraints or indexes at all."""
    wipe(session_db)
    for row in session_db.read("SHOW CONSTRAINTS YIELD name RETURN name"):
        _drop(session_db, "CONSTRAINT", row["name"])
    for row in session_db.read("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"):
        _drop(session_db, "INDEX", row["name"])
    return session_db


def _drop(db: Database, kind: str, name: str) -> None:
    # Schema names cannot be parameters; these come from SHOW output, quoted as identifiers.
    quoted = "`" + name.replace("`", "``") + "`"
    db.run_auto(f"DROP {kind} {quoted} IF EXISTS")  # type: ignore[arg-type]
