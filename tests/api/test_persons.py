"""People, nominations and reports through the API: every role x endpoint cell, purpose, audit,
agency scoping and redaction, against a real Neo4j."""

from __future__ import annotations

import pytest
from factories import GraphFactory
from fastapi.testclient import TestClient

from api import audit
from api.app import create_app
from api.auth import create_user
from graph_schema import vocabulary
from queries.detect import detect
from spr.db import Database

PASSWORD = "correct-horse-battery-staple"
PURPOSE = {"X-SPR-Purpose": "INVESTIGATION", "X-SPR-Purpose-Detail": "Operation Juniper, log 42"}

# (method, path, permission): every person-level endpoint and the permission it needs.
ENDPOINTS = [
    ("GET", "/api/v1/persons?last_name=Smith", "search_people"),
    ("GET", "/api/v1/persons/A", "read_person"),
    ("GET", "/api/v1/persons/A/case-graph", "read_case_graph"),
    ("GET", "/api/v1/persons/A/disclosure", "read_disclosure"),
    ("GET", "/api/v1/persons/A/obligations", "read_obligations"),
    ("GET", "/api/v1/nominations/candidates", "read_nominations"),
    ("GET", "/api/v1/nominations", "read_nominations"),
    ("GET", "/api/v1/reports/consistency", "read_consistency"),
]


@pytest.fixture
def world(db: Database, secret: None) -> TestClient:
    g = GraphFactory(db, source="WMP")
    a, v, w = g.person("A"), g.person("V", last_name="Jones"), g.person("W", last_name="Brown")
    g.incident(a, v, "2024-01-01")
    g.incident(a, w, "2024-06-01")
    g.lives_at(v, "2023-01-01", postcode="CV1 1AA")
    other = GraphFactory(db, source="LAN")
    other.person("Z", last_name="Lancs")
    detect(db)  # the sweep stores the nomination list the candidates endpoint reads
    for role in vocabulary().roles:
        create_user(db, role.lower(), PASSWORD, [role], agency_code="WMP")
    create_user(db, "idva_lancs", PASSWORD, ["IDVA_ISAC_CASEWORKER"], agency_code="LAN")
    return TestClient(create_app(lambda: db))


def token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}", **PURPOSE}


@pytest.mark.parametrize("role", list(vocabulary().roles))
def test_every_role_endpoint_cell(world: TestClient, role: str) -> None:
    headers = token(world, role.lower())
    allowed = set(vocabulary().roles[role].permissions)
    for method, path, permission in ENDPOINTS:
        r = world.request(method, path, headers=headers)
        expected = 200 if permission in allowed else 403
        assert r.status_code == expected, f"{role} {path}: {r.status_code} {r.text[:200]}"


def test_reading_a_person_needs_a_purpose_and_is_audited(world: TestClient, db: Database) -> None:
    headers = token(world, "police_analyst")
    bare = {"Authorization": headers["Authorization"]}
    r = world.get("/api/v1/persons/A", headers=bare)
    assert r.status_code == 428 and "X-SPR-Purpose" in r.json()["detail"]
    r = world.get("/api/v1/persons/A", headers={**bare, "X-SPR-Purpose": "CURIOSITY", "X-SPR-Purpose-Detail": "x"})
    assert r.status_code == 428
    profile = world.get("/api/v1/persons/A", headers=headers).json()
    assert profile["person_id"] == "A" and profile["identities"][0]["source_system"] == "WMP"
    assert profile["disclosure"]["counts"]["VICTIMS"] == 2
    entries, _ = audit.query(db, subject="A")
    assert entries[0]["purpose"] == "INVESTIGATION" and entries[0]["purpose_detail"] == "Operation Juniper, log 42"
    assert entries[0]["username"] == "police_analyst" and entries[0]["action"] == "GET /api/v1/persons/A"
    assert audit.verify(db).ok


def test_no_record_leaves_the_server_unless_its_audit_entry_commits(world: TestClient, db: Database) -> None:
    headers = token(world, "police_analyst")
    # Block the next append: an entry already holds the sequence number the chain would give it.
    seq = db.read("MATCH (h:AuditHead {name: 'audit'}) RETURN h.seq AS seq")[0]["seq"]
    db.write("CREATE (:AuditEntry {seq: $seq})", seq=seq + 1)
    for path, payload_key in (("/api/v1/persons/A", "identities"), ("/api/v1/persons/A/case-graph", "nodes")):
        r = world.get(path, headers=headers)
        assert r.status_code == 503 and r.headers["Retry-After"], (path, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json")
        assert payload_key not in r.json() and "could not be audited" in r.json()["detail"]
    db.write("MATCH (e:AuditEntry {seq: $seq}) WHERE e.hash IS NULL DELETE e", seq=seq + 1)
    r = world.get("/api/v1/persons/A", headers=headers)
    assert r.status_code == 200 and r.json()["identities"]
    assert audit.query(db, subject="A")[0][0]["outcome"] == "ok" and audit.verify(db).ok


def test_unknown_person_is_404_in_problem_shape(world: TestClient) -> None:
    r = world.get("/api/v1/persons/NOPE", headers=token(world, "police_analyst"))
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_victims_locations_never_reach_a_role_without_the_need(world: TestClient) -> None:
    r = world.get("/api/v1/persons/A/case-graph?depth=4", headers=token(world, "police_analyst"))
    assert r.status_code == 200
    assert any(n["kind"] == "Address" for n in r.json()["nodes"])
    assert "CV1 1AA" not in r.text and "High Street" not in r.text


def test_agency_scoped_roles_see_only_their_agencys_people(world: TestClient) -> None:
    wmp, lancs = token(world, "idva_isac_caseworker"), token(world, "idva_lancs")
    assert world.get("/api/v1/persons/V", headers=wmp).status_code == 200
    assert world.get("/api/v1/persons/V", headers=lancs).status_code == 404
    assert world.get("/api/v1/persons/Z", headers=lancs).status_code == 200
    found = world.get("/api/v1/persons?last_name=Jones", headers=lancs).json()
    assert found["count"] == 0
    # The agency's own people are found before the page is cut: its count and pages are its own.
    found = world.get("/api/v1/persons?dob=1985-01-01&limit=1", headers=lancs).json()
    assert (found["count"], [m["person_id"] for m in found["data"]]) == (1, ["Z"])
    found = world.get("/api/v1/persons?dob=1985-01-01&limit=2&skip=1", headers=wmp).json()
    assert (found["count"], [m["person_id"] for m in found["data"]]) == (3, ["V", "W"])


def test_search_across_recorded_identities(world: TestClient) -> None:
    headers = token(world, "police_analyst")
    page = world.get("/api/v1/persons?last_name=jon", headers=headers).json()
    assert [p["person_id"] for p in page["data"]] == ["V"]
    assert world.get("/api/v1/persons?dob=1985-01-01&limit=2", headers=headers).json()["count"] == 4
    assert world.get("/api/v1/persons?dob=not-a-date", headers=headers).status_code == 422


def test_nomination_lifecycle_through_the_api(world: TestClient, db: Database) -> None:
    panel, analyst = token(world, "mappa_panel"), token(world, "police_analyst")
    r = world.post("/api/v1/nominations", headers=panel, json={"person_id": "A", "reasons": ["SERIAL_MATAC"]})
    assert r.status_code == 201, r.text
    nid = r.json()["nomination_id"]
    assert r.json()["category"].endswith("(proposed)") and r.json()["nominated_by"] == "mappa_panel"
    assert (
        world.post(
            f"/api/v1/nominations/{nid}/decision", headers=analyst, json={"accept": True, "level": 2}
        ).status_code
        == 403
    )
    assert world.post(f"/api/v1/nominations/{nid}/decision", headers=panel, json={"accept": False}).status_code == 409
    r = world.post(f"/api/v1/nominations/{nid}/decision", headers=panel, json={"accept": True, "level": 2})
    assert r.status_code == 200 and r.json()["status"] == "ACCEPTED" and r.json()["decided_by"] == "mappa_panel"
    assert (
        world.post("/api/v1/nominations", headers=panel, json={"person_id": "A", "reasons": ["x"]}).status_code == 409
    )
    listed = world.get("/api/v1/nominations?status=ACCEPTED", headers=panel).json()
    assert listed["count"] == 1 and listed["data"][0]["level"] == 2
