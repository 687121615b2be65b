"""Configuration mistakes: each gives one clear message and a non-zero exit from `spr` (run as its own process,
pointed at the real test server with the wrong values), never a traceback, never the password; and the API's
readiness endpoint answers 503 naming the cause, without the address, user or password."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graph_schema import vocabulary
from spr.db import ConnectionInfo, Database, close_database, get_database
from spr.settings import get_settings
from tests.ingest.conftest import small_dataset
from tests.reliability.conftest import run_spr

if TYPE_CHECKING:
    from tests.conftest import TestServer

PASSWORD_MARK = "pw-that-must-never-be-printed-7f3a"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _one_clear_message(out: object, *words: str) -> str:
    """Exit status 2, one line on stderr starting 'error:', nothing like a traceback, no password."""
    rc, stdout, stderr = out.returncode, out.stdout, out.stderr  # type: ignore[attr-defined]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert rc == 2, f"exit {rc}: {stdout}{stderr}"
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stdout + stderr and PASSWORD_MARK not in stdout + stderr
    for w in words:
        assert w in lines[0], lines[0]
    return str(lines[0])


def _with(info: ConnectionInfo, **changes: str) -> ConnectionInfo:
    return ConnectionInfo(
        changes.get("uri", info.uri),
        changes.get("user", info.user),
        changes.get("password", info.password),
        changes.get("database", info.database),
        False,
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"password": PASSWORD_MARK}, ["refused the credentials of user 'neo4j'", "NEO4J_PASSWORD"]),
        ({"user": "nobody", "password": PASSWORD_MARK}, ["refused the credentials of user 'nobody'"]),
        ({"database": "nosuchdb"}, ["has no database 'nosuchdb'", "NEO4J_DATABASE"]),
        ({"uri": "http://127.0.0.1:7474"}, ["is not a usable Neo4j URI: use one of bolt://"]),
        ({"uri": "127.0.0.1:7687"}, ["is not a usable Neo4j URI"]),
        ({"uri": "bolt://"}, ["is not a usable Neo4j URI: it names no host"]),
        ({"uri": "bolt://127.0.0.1:notaport"}, ["is not a usable Neo4j URI", "notaport"]),
        ({"uri": "bolt://127.0.0.1:70000"}, ["is not a usable Neo4j URI", "out of range"]),
        ({"uri": "neo4j://[::1"}, ["is not a usable Neo4j URI", "IPv6"]),
        ({"uri": "UNREACHABLE"}, ["is not reachable", "spr neo4j status"]),
        ({"uri": "UNREACHABLE-ROUTING"}, ["is not reachable"]),
    ],
    ids=[
        "wrong password",
        "wrong user",
        "wrong database",
        "http scheme",
        "no scheme",
        "no host",
        "port not a number",
        "port out of range",
        "unclosed IPv6 bracket",
        "unreachable bolt",
        "unreachable neo4j routing",
    ],
)
def test_spr_on_a_misconfigured_connection(
    neo4j_server: TestServer, tmp_path: Path, change: dict[str, str], words: list[str]
) -> None:
    if change.get("uri") == "UNREACHABLE":
        change = {"uri": f"bolt://127.0.0.1:{_free_port()}"}
    elif change.get("uri") == "UNREACHABLE-ROUTING":
        change = {"uri": f"neo4j://127.0.0.1:{_free_port()}"}
    _one_clear_message(run_spr(_with(neo4j_server.info, **change), "stats", cwd=tmp_path), *words)


def test_bad_settings_name_the_variable_and_never_echo_the_password(neo4j_server: TestServer, tmp_path: Path) -> None:
    out = run_spr(
        _with(neo4j_server.info, password=PASSWORD_MARK), "stats", cwd=tmp_path, SPR_NEO4J_BOLT_PORT="not-a-port"
    )
    _one_clear_message(out, "SPR_NEO4J_BOLT_PORT: Input should be a valid integer")
    out = run_spr(_with(neo4j_server.info, password="changeme"), "stats", cwd=tmp_path)
    _one_clear_message(out, "NEO4J_PASSWORD is missing or a placeholder")
    assert "changeme" not in out.stderr


@pytest.mark.parametrize(
    "command",
    [["stats"], ["detect"], ["nominations"], ["audit", "verify"], ["ingest", "DATA", "--identity", "exact"]],
    ids=lambda c: " ".join(c[:2]),
)
def test_spr_on_a_database_without_the_schema(
    empty_db: Database, neo4j_server: TestServer, tmp_path: Path, command: list[str]
) -> None:
    args = [str(small_dataset(tmp_path / "data")) if a == "DATA" else a for a in command]
    _one_clear_message(
        run_spr(neo4j_server.info, *args, cwd=tmp_path), "the graph has no schema yet: run `spr schema apply`"
    )
    assert empty_db.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}], "nothing may be written"


def test_spr_check_reports_a_missing_schema_as_a_failed_check(
    empty_db: Database, neo4j_server: TestServer, tmp_path: Path
) -> None:
    out = run_spr(neo4j_server.info, "check", "--only", "schema", cwd=tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "no schema version: run `spr schema apply`" in out.stdout


def test_spr_on_an_older_schema_version(db: Database, neo4j_server: TestServer, tmp_path: Path) -> None:
    db.write("MATCH (v:SchemaVersion {name: 'spr'}) SET v.version = 0")
    _one_clear_message(
        run_spr(neo4j_server.info, "nominations", cwd=tmp_path),
        f"the graph's schema is version 0, this code needs {vocabulary().model.schema_version}: run `spr schema apply`",
    )
    applied = run_spr(neo4j_server.info, "schema", "apply", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert run_spr(neo4j_server.info, "stats", cwd=tmp_path).returncode == 0


# -- the API's readiness endpoint ---------------------------------------------------------------------
@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Point the process-wide settings (and so get_database) at a connection; restored afterwards."""

    def apply(info: ConnectionInfo) -> None:
        for k, v in (("NEO4J_URI", info.uri), ("NEO4J_USER", info.user), ("NEO4J_PASSWORD", info.password),
                     ("NEO4J_DATABASE", info.database)):  # fmt: skip
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("SPR_DEMO", raising=False)
        get_settings.cache_clear()
        close_database()

    yield apply
    get_settings.cache_clear()
    close_database()


def _ready(info: ConnectionInfo) -> tuple[int, dict[str, object], str]:
    r = TestClient(create_app(get_database)).get("/api/v1/ready")
    body = r.json()
    if r.status_code == 503:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["Retry-After"] == "5" and body["status"] == 503
        for secret in (info.password, info.uri, f"'{info.user}'"):
            assert secret not in r.text, f"{secret!r} leaked into {r.text}"
    return r.status_code, body, r.text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"password": PASSWORD_MARK}, "credentials refused"),
        ({"database": "nosuchdb"}, "database not found"),
        ({"uri": "http://127.0.0.1:7474"}, "URI not usable"),
        ({"uri": "bolt://127.0.0.1:notaport"}, "URI not usable"),
        ({"uri": "UNREACHABLE"}, "not reachable"),
        ({"password": "changeme"}, "settings invalid"),
    ],
    ids=["wrong password", "wrong database", "http scheme", "port not a number", "unreachable", "placeholder"],
)
def test_ready_fails_cleanly_on_a_misconfigured_connection(
    neo4j_server: TestServer, configure: object, change: dict[str, str], reason: str
) -> None:
    if change.get("uri") == "UNREACHABLE":
        change = {"uri": f"bolt://127.0.0.1:{_free_port()}"}
    info = _with(neo4j_server.info, **change)
    configure(info)  # type: ignore[operator]
    status, body, _ = _ready(info)
    assert status == 503 and body["reason"] == reason, body
    assert body["detail"] == f"The register is not ready: {reason}."


def test_ready_fails_cleanly_without_the_schema_or_with_an_older_one(
    empty_db: Database, neo4j_server: TestServer, configure: object
) -> None:
    configure(neo4j_server.info)  # type: ignore[operator]
    status, body, _ = _ready(neo4j_server.info)
    assert status == 503 and body["reason"] == "the graph has no schema yet: run `spr schema apply`", body
    from graph_schema.apply import apply_schema

    apply_schema(empty_db)
    assert _ready(neo4j_server.info)[0] == 200
    empty_db.write("MATCH (v:SchemaVersion {name: 'spr'}) SET v.version = 0")
    status, body, _ = _ready(neo4j_server.info)
    want = vocabulary().model.schema_version
    assert status == 503 and f"schema is version 0, this code needs {want}" in str(body["reason"]), body
