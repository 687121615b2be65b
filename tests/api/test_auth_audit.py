"""Authentication, roles, error shape and the tamper-evident audit chain, against a real Neo4j."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import jwt
import pytest
from fastapi.testclient import TestClient

from api import audit
from api.app import create_app
from api.auth import create_user, signing_key
from graph_schema import vocabulary
from spr.db import Database, DatabaseUnavailable

if TYPE_CHECKING:
    from tests.conftest import TestServer

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def client(db: Database, secret: None) -> TestClient:
    create_user(db, "analyst", PASSWORD, ["POLICE_ANALYST"])
    create_user(db, "admin", PASSWORD, ["ADMIN"])
    return TestClient(create_app(lambda: db))


def login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_health_needs_no_login_and_ready_checks_the_database(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    r = client.get("/api/v1/ready")
    assert r.status_code == 200 and r.json()["schema_version"] == vocabulary().model.schema_version


def test_ready_is_503_with_retry_hint_while_the_database_is_down(secret: None) -> None:
    def down() -> Database:
        raise DatabaseUnavailable("Neo4j at neo4j://127.0.0.1:1 is not reachable")

    r = TestClient(create_app(down)).get("/api/v1/ready")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["Retry-After"] == "5" and r.json()["status"] == 503


def test_login_and_token_rules(client: TestClient) -> None:
    bad = client.post("/api/v1/auth/token", data={"username": "analyst", "password": "wrong-password-123"})
    assert bad.status_code == 401 and bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/me").status_code == 401
    me = client.get("/api/v1/me", headers=login(client, "analyst")).json()
    assert me["roles"] == ["POLICE_ANALYST"] and "view_victim_location" not in me["permissions"]
    forged = jwt.encode(
        {"sub": "admin", "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(minutes=5)},
        "x" * 40,
        algorithm="HS256",
    )
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    expired = jwt.encode(
        {"sub": "admin", "iat": datetime.now(UTC) - timedelta(hours=2), "exp": datetime.now(UTC) - timedelta(hours=1)},
        signing_key(),
        algorithm="HS256",
    )
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401


def test_admin_endpoints_by_role(client: TestClient) -> None:
    analyst, admin = login(client, "analyst"), login(client, "admin")
    assert client.get("/api/v1/admin/audit", headers=analyst).status_code == 403
    page = client.get("/api/v1/admin/audit", headers=admin).json()
    assert page["count"] >= 2 and {e["action"] for e in page["data"]} == {"LOGIN"}
    r = client.post(
        "/api/v1/admin/users", headers=admin, json={"username": "x", "password": "short", "roles": ["ADMIN"]}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("password")
    r = client.post(
        "/api/v1/admin/users", headers=analyst, json={"username": "y", "password": PASSWORD, "roles": ["ADMIN"]}
    )
    assert r.status_code == 403


def _events(db: Database, n: int) -> None:
    for i in range(n):
        audit.append(
            db,
            audit.AuditEvent(
                username="analyst",
                roles=["POLICE_ANALYST"],
                action="GET person",
                subject=f"P{i}",
                purpose="INVESTIGATION",
                purpose_detail="op x",
            ),
        )


def test_the_chain_verifies_and_every_kind_of_tampering_is_caught(db: Database) -> None:
    _events(db, 5)
    assert audit.verify(db).ok and audit.verify(db).entries == 5

    db.write("MATCH (e:AuditEntry {seq: 3}) SET e.subject = 'P-someone-else'")
    assert any("entry 3" in p and "edited" in p for p in audit.verify(db).problems)
    db.write("MATCH (e:AuditEntry {seq: 3}) SET e.subject = 'P2'")
    assert audit.verify(db).ok

    db.write("MATCH (e:AuditEntry {seq: 2}) DETACH DELETE e")
    assert any("entry 2 is missing" in p for p in audit.verify(db).problems)


def test_deleting_the_newest_entries_is_caught(db: Database) -> None:
    _events(db, 3)
    db.write("MATCH (e:AuditEntry {seq: 3}) DETACH DELETE e")
    assert any("deleted at the end" in p for p in audit.verify(db).problems)


def test_concurrent_appends_keep_one_unbroken_chain(db: Database) -> None:
    threads = [threading.Thread(target=_events, args=(db, 5)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(db)
    assert result.ok, result.problems
    assert result.entries == 30


def test_appends_through_separate_drivers_keep_one_unbroken_chain(db: Database, neo4j_server: TestServer) -> None:
    """API worker processes each have their own driver and group committer: their transactions race for the
    chain's head, and each must see the entry the one before it committed."""
    event = audit.AuditEvent(username="analyst", roles=["POLICE_ANALYST"], action="GET person", subject="P1")
    dbs = [Database.connect(neo4j_server.info) for _ in range(4)]

    def appends(other: Database) -> None:
        for _ in range(10):
            other.execute_write(lambda tx: audit._append_many(tx, [event, event]))

    try:
        threads = [threading.Thread(target=appends, args=(d,)) for d in dbs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for d in dbs:
            d.close()
    result = audit.verify(db)
    assert result.ok, result.problems
    assert result.entries == 80
