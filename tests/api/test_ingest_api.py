"""The ingest endpoint against a real Neo4j: the same load as `spr ingest`, rejects with file, line and field,
idempotent re-submission without duplicate alerts, permissions, size limit, unreadable uploads, audit, 503."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import audit
from api.app import create_app
from api.auth import create_user, issue_token
from graph_schema import vocabulary
from ingest import IngestAborted
from spr.db import ConnectionInfo, Database
from spr.settings import get_settings
from tests.ingest.conftest import assert_same_graph, graph_dump, small_dataset

PASSWORD = "correct-horse-battery-staple"
URL = "/api/v1/ingest?identity=exact"
AUDIT_LABELS = frozenset({"AuditEntry", "AuditHead"})


@pytest.fixture
def world(db: Database, secret: None) -> TestClient:
    for role in vocabulary().roles:
        create_user(db, role.lower(), PASSWORD, [role], agency_code="WMP")
    return TestClient(create_app(lambda: db))


def token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def upload(folder: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Every file of a folder as multipart parts named `files`, as an agency's integration sends them."""
    return [("files", (p.name, p.read_bytes(), "application/x-ndjson")) for p in sorted(folder.iterdir())]


def ndjson(*rows: dict[str, object]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def person(rid: str, **fields: object) -> dict[str, object]:
    return {"source_system": "WMP", "record_id": rid, "first_name": "Amy", "last_name": "Hall", **fields}


def history() -> list[tuple[str, tuple[str, bytes, str]]]:
    """An earlier delivery: alerts are raised only once the register holds one."""
    return [("files", ("person.ndjson", ndjson(person("H1", first_name="Old")), "application/x-ndjson"))]


def alert_count(db: Database) -> int:
    return int(db.read("MATCH (a:Alert) RETURN count(a) AS n")[0]["n"])


@pytest.mark.parametrize("role", list(vocabulary().roles))
def test_every_role_cell(world: TestClient, role: str) -> None:
    allowed = "ingest" in vocabulary().roles[role].permissions
    files = [("files", ("person.ndjson", ndjson(person("P1")), "application/x-ndjson"))]
    r = world.post(URL, headers=token(world, role.lower()), files=files)
    assert r.status_code == (200 if allowed else 403), r.text
    if not allowed:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "ingest" in r.json()["detail"]


def test_batch_loads_reports_counts_raises_alerts_and_is_audited(
    world: TestClient, db: Database, tmp_path: Path
) -> None:
    headers = token(world, "police_analyst")
    # the first load into an empty register is history: no alerts, and the report says so
    first = world.post(URL, headers=headers, files=history()).json()
    assert first["ok"] and first["alerts_raised"] is None and first["notes"] and alert_count(db) == 0
    folder = small_dataset(tmp_path / "batch")
    r = world.post(URL, headers=headers, files=upload(folder))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["rejects"] == [] and not body["already_loaded"]
    assert body["batch_id"].startswith("ingest-")
    assert body["total"] == {"read": 23, "loaded": 23, "rejected": 0, "skipped": 0}
    assert body["counts"]["person"]["loaded"] == 4 and body["counts"]["incident"]["loaded"] == 3
    assert sorted(body["files"]) == sorted(p.name for p in folder.iterdir())
    assert body["persons_linked"] == 4
    # the alert triggers ran for the batch: the DAPO breach, the travel not notified, newly serial ...
    assert body["alerts_raised"] == alert_count(db) > 0
    kinds = {row["k"] for row in db.read("MATCH (a:Alert) RETURN a.kind AS k")}
    assert {"ORDER_BREACH", "NEWLY_SERIAL"} <= kinds
    # the records are in the graph with the batch's provenance
    rows = db.read(
        "MATCH (r:PersonRecord) WHERE r.uid <> 'WMP/H1' RETURN r.uid AS uid, r.ingest_batch AS b ORDER BY uid"
    )
    assert [row["uid"] for row in rows] == ["WMP/P1", "WMP/P2", "WMP/P3", "WMP/P4"]
    assert {row["b"] for row in rows} == {body["batch_id"]}
    # audited as a write: who, when, what (the batch, its files) and the outcome
    entries, _ = audit.query(db, username="police_analyst")
    entry = next(e for e in entries if e["action"] == "POST /api/v1/ingest")
    assert entry["subject"].startswith(body["batch_id"] + ": ") and "person.ndjson" in entry["subject"]
    assert entry["outcome"].startswith("read 23, loaded 23, rejected 0") and entry["at"] is not None
    assert entry["roles"] == ["POLICE_ANALYST"]
    assert audit.verify(db).ok


def test_same_batch_twice_changes_nothing_and_raises_no_alert_twice(
    world: TestClient, db: Database, tmp_path: Path
) -> None:
    folder = small_dataset(tmp_path / "batch")
    headers = token(world, "police_analyst")
    assert world.post(URL, headers=headers, files=history()).status_code == 200
    first = world.post(URL, headers=headers, files=upload(folder)).json()
    alerts, before = alert_count(db), graph_dump(db, skip=AUDIT_LABELS)
    assert alerts > 0
    second = world.post(URL, headers=headers, files=list(reversed(upload(folder))))  # any order: same batch
    assert second.status_code == 200, second.text
    again = second.json()
    assert again["batch_id"] == first["batch_id"] and again["already_loaded"] is True
    assert again["alerts_raised"] is None
    assert alert_count(db) == alerts
    assert_same_graph(before, graph_dump(db, skip=AUDIT_LABELS))
    entries, _ = audit.query(db, username="police_analyst")
    assert [e["outcome"] for e in entries if e["action"] == "POST /api/v1/ingest"][0] == (
        "already loaded: nothing changed"
    )
    # a new version of one record in a later batch is a new batch, and is loaded
    changed = folder / "person.ndjson"
    changed.write_text(
        changed.read_text() + json.dumps(person("P9", last_name="Newman", sex="F")) + "\n", encoding="utf-8"
    )
    third = world.post(URL, headers=headers, files=upload(folder)).json()
    assert third["batch_id"] != first["batch_id"] and not third["already_loaded"]
    assert third["counts"]["person"]["read"] == 5


def test_rejects_name_file_line_field_and_reason(world: TestClient, db: Database) -> None:
    people = ndjson(
        person("P1", dob="1980-01-02"),
        {"source_system": "WMP", "record_id": "P2", "first_name": "No", "surname": "Field"},
        person("P3", dob="2999-01-01"),
    )
    involvement_csv = b"source_system,record_id,incident_ref,person_ref,role\nWMP,V1,WMP/I404,WMP/P1,SUSPECT\n"
    files = [
        ("files", ("person.ndjson", people, "application/x-ndjson")),
        ("files", ("involvement.csv", involvement_csv, "text/csv")),
        ("files", ("vehicle.ndjson", ndjson({"reg": "AB12CDE"}), "application/x-ndjson")),
    ]
    r = world.post(URL, headers=token(world, "police_analyst"), files=files)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is False
    assert body["counts"]["person"] == {"read": 3, "loaded": 1, "rejected": 2, "skipped": 0}
    found = {(rj["file"], rj["line"], rj["field"]): rj for rj in body["rejects"]}
    assert found[("person.ndjson", 2, "surname")]["reason"] == "unknown field (not in the interchange format)"
    assert found[("person.ndjson", 2, "last_name")]["reason"] == "required field is missing"
    assert found[("person.ndjson", 2, "last_name")]["uid"] == "WMP/P2"
    assert "is in the future" in found[("person.ndjson", 3, "dob")]["reason"]
    assert "WMP/I404" in found[("involvement.csv", 2, "incident_ref")]["reason"]
    assert found[("vehicle.ndjson", 0, "(file)")]["reason"].startswith("unknown record type 'vehicle'")
    # the temporary folder the upload was read from never shows
    assert "spr-ingest-" not in r.text and "/tmp" not in r.text
    assert db.read("MATCH (r:PersonRecord) RETURN collect(r.uid) AS u")[0]["u"] == ["WMP/P1"]
    entries, _ = audit.query(db, username="police_analyst")
    assert body["total"] == {"read": 5, "loaded": 1, "rejected": 4, "skipped": 0}
    assert entries[0]["outcome"].startswith("read 5, loaded 1, rejected 4, skipped 0")


def test_one_raw_file_as_the_body(world: TestClient, db: Database) -> None:
    headers = token(world, "police_analyst")
    data = ndjson(person("P1"), person("P2", first_name="Zoe"))
    r = world.post(
        URL + "&file_name=person.ndjson", headers={**headers, "Content-Type": "application/x-ndjson"}, content=data
    )
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["person"]["loaded"] == 2 and r.json()["files"] == ["person.ndjson"]
    # the same file sent as a multipart upload is the same batch
    again = world.post(URL, headers=headers, files=[("files", ("person.ndjson", data, "application/x-ndjson"))])
    assert again.json()["batch_id"] == r.json()["batch_id"] and again.json()["already_loaded"] is True
    csv_body = b"source_system,record_id,first_name,last_name,dob\nWMP,P7,Ann,Lee,1990-02-03\n"
    r = world.post(URL + "&file_name=person.csv", headers={**headers, "Content-Type": "text/csv"}, content=csv_body)
    assert r.status_code == 200 and r.json()["ok"], r.text
    assert db.read("MATCH (r:PersonRecord {uid: 'WMP/P7'}) RETURN r.dob AS d")[0]["d"].iso_format() == "1990-02-03"


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch, secret: None) -> Iterator[int]:
    monkeypatch.setenv("SPR_INGEST_MAX_BYTES", "2048")
    get_settings.cache_clear()
    yield 2048
    get_settings.cache_clear()


def test_an_upload_over_the_limit_is_413(world: TestClient, db: Database, small_limit: int) -> None:
    headers = token(world, "police_analyst")
    big = ndjson(*(person(f"P{i}") for i in range(60)))
    assert len(big) > small_limit
    r = world.post(URL, headers=headers, files=[("files", ("person.ndjson", big, "application/x-ndjson"))])
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    assert "2,048 bytes" in r.json()["detail"] and "SPR_INGEST_MAX_BYTES" in r.json()["detail"]

    # without a Content-Length (chunked), the body is counted as it arrives
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 500):
            yield big[i : i + 500]

    r = world.post(
        URL + "&file_name=person.ndjson", headers={**headers, "Content-Type": "application/x-ndjson"}, content=chunks()
    )
    assert r.status_code == 413, r.text
    assert db.read("MATCH (r:PersonRecord) RETURN count(r) AS n")[0]["n"] == 0
    entries, _ = audit.query(db, username="police_analyst")
    assert [e["outcome"] for e in entries[:2]] == ["refused: too large"] * 2
    # a batch within the limit still loads
    small = ndjson(person("P1"))
    r = world.post(URL, headers=headers, files=[("files", ("person.ndjson", small, "application/x-ndjson"))])
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"files": [("files", ("person.txt", b"{}\n", "text/plain"))]}, "files[0]", "not an interchange file"),
        ({"files": [("files", (".hidden.ndjson", b"{}\n", "text/plain"))]}, "files[0]", "not a usable file name"),
        ({"content": b"--x--\r\n", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, "files",
         "no files in the upload"),
        ({"files": [("files", ("", b"{}\n", "text/plain"))]}, "files[0]", "is not a file"),
        ({"data": {"files": '{"record_id": "P1"}'}, "files": [("x", ("person.ndjson", b"", "text/plain"))]},
         "files[0]", "is not a file"),
        ({"files": [("files", ("person.ndjson", b"", "a/b")), ("files", ("PERSON.ndjson", b"", "a/b"))]},
         "files[1]", "in the upload twice"),
        ({"content": b"--x\r\nnot multipart at all", "headers": {"Content-Type": "multipart/form-data; boundary=x"}},
         "files", "not a readable multipart upload"),
        ({"content": b"{}\n", "headers": {"Content-Type": "application/x-ndjson"}}, "file_name", "needs a name"),
        ({"content": b"{}\n", "headers": {"Content-Type": "text/csv"}, "params": {"file_name": "person.ndjson"}},
         "file_name", "does not end in .csv"),
        ({"content": b"{}\n", "headers": {"Content-Type": "application/x-ndjson"},
          "params": {"file_name": "../../etc/person.ndjson; rm"}}, "file_name", "not a usable file name"),
    ],
)  # fmt: skip
def test_an_unreadable_upload_is_422_naming_the_field(
    world: TestClient, db: Database, kwargs: dict[str, Any], field: str, words: str
) -> None:
    headers = {**token(world, "police_analyst"), **kwargs.pop("headers", {})}
    r = world.post(URL, headers=headers, **kwargs)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == field and words in problem["errors"][0]["message"], problem
    assert db.read("MATCH (b:IngestBatch) RETURN count(b) AS n")[0]["n"] == 0
    entries, _ = audit.query(db, username="police_analyst")
    assert entries[0]["action"] == "POST /api/v1/ingest" and entries[0]["outcome"].startswith("refused: ")


def test_other_media_types_are_415(world: TestClient) -> None:
    r = world.post(URL, headers=token(world, "police_analyst"), json={"records": []})
    assert r.status_code == 415 and "multipart/form-data" in r.json()["detail"]


def test_database_down_is_503_with_retry_after(db: Database, secret: None) -> None:
    user = create_user(db, "analyst", PASSWORD, ["POLICE_ANALYST"])
    access, _ = issue_token(user)
    nowhere = ConnectionInfo("bolt://127.0.0.1:9", "neo4j", "x" * 12, "neo4j", False)
    # what the API's database factory does: connect (and verify) on first use
    client = TestClient(create_app(lambda: Database.connect(nowhere)))
    files = [("files", ("person.ndjson", ndjson(person("P1")), "application/x-ndjson"))]
    r = client.post(URL, headers={"Authorization": f"Bearer {access}"}, files=files)
    assert r.status_code == 503 and r.headers["Retry-After"].isdigit(), r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_load_lost_part_way_is_503_with_retry_after(db: Database) -> None:
    app = create_app(lambda: db)

    def lost() -> None:  # what ingest.load raises when Neo4j goes away mid-load
        raise IngestAborted("lost the connection to Neo4j during the load")

    app.add_api_route("/lost", lost)
    r = TestClient(app).get("/lost")
    assert r.status_code == 503 and r.headers["Retry-After"].isdigit()
    assert "lost the connection" not in r.text  # no internals to the client
