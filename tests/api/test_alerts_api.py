"""Alerts through the API against a real Neo4j: role and agency scoping, acknowledge and close with notes,
the live stream (Server-Sent Events) and webhook delivery with retries to a local receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from factories import GraphFactory
from fastapi.testclient import TestClient

from api.alerts_delivery import deliver, sign
from api.app import create_app
from api.auth import create_user
from graph_schema import vocabulary
from queries.alerts import Alert, evaluate_alerts
from spr.db import Database

PASSWORD = "correct-horse-battery-staple"
PURPOSE = {"X-SPR-Purpose": "INVESTIGATION", "X-SPR-Purpose-Detail": "Operation Juniper, log 42"}


def _stamp(db: Database, batch: str) -> None:
    at = datetime.now(UTC)
    db.write("MATCH (n) WHERE n.ingest_batch IS NULL AND NOT n:Agency SET n.ingest_batch = $b, n.ingested_at = $at",
             b=batch, at=at)  # fmt: skip
    db.write(
        "MATCH ()-[r]->() WHERE r.ingest_batch IS NULL SET r.ingest_batch = $b, r.ingested_at = $at", b=batch, at=at
    )


def _raise(db: Database) -> list[Alert]:
    """A serial perpetrator (two victims, a conviction) turns up in a new NBR incident."""
    g = GraphFactory(db, source="CLE")
    s, v1, v2 = g.person("S"), g.person("V1"), g.person("V2")
    i1 = g.incident(s, v1, "2024-01-10", agency="CLE")
    g.outcome(s, "CONVICTION", "2024-03-01", incident=i1)
    g.incident(s, v2, "2025-02-10", agency="CLE")
    _stamp(db, "old")
    g.incident(s, g.person("V3"), "2026-03-01", agency="NBR")
    _stamp(db, "new")
    result = evaluate_alerts(db, ["S"], batch_id="new", since=None, as_of=date(2026, 3, 31))
    return sorted(result.alerts, key=lambda a: a.kind != "KNOWN_PERPETRATOR_INCIDENT")  # that one first


@pytest.fixture
def world(db: Database, secret: None) -> TestClient:
    for role in vocabulary().roles:
        create_user(db, role.lower(), PASSWORD, [role], agency_code="NBR")
    create_user(db, "analyst_wmp", PASSWORD, ["POLICE_ANALYST"], agency_code="WMP")
    create_user(db, "analyst_national", PASSWORD, ["POLICE_ANALYST"])
    return TestClient(create_app(lambda: db))


def token(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}", **PURPOSE}


@pytest.mark.parametrize("role", list(vocabulary().roles))
def test_role_cells(world: TestClient, db: Database, role: str) -> None:
    alert = _raise(db)[0]
    perms = set(vocabulary().roles[role].permissions)
    h = token(world, role.lower())
    r = world.get("/api/v1/alerts", headers=h)
    assert r.status_code == (200 if "read_alerts" in perms else 403), r.text
    if r.status_code == 200:
        assert alert.alert_id in [a["alert_id"] for a in r.json()["data"]]
    r = world.post(f"/api/v1/alerts/{alert.alert_id}/acknowledge", headers=h, json={"note": "seen"})
    assert r.status_code == (200 if "ack_alerts" in perms else 403), r.text


def test_agency_scope_purpose_and_lifecycle(world: TestClient, db: Database) -> None:
    alert = _raise(db)[0]
    nbr, wmp, national = token(world, "police_analyst"), token(world, "analyst_wmp"), token(world, "analyst_national")
    assert world.get("/api/v1/alerts", headers={"Authorization": nbr["Authorization"]}).status_code == 428
    assert world.get("/api/v1/alerts", headers=wmp).json()["data"] == []
    assert world.get(f"/api/v1/alerts/{alert.alert_id}", headers=wmp).status_code == 404
    assert alert.alert_id in [a["alert_id"] for a in world.get("/api/v1/alerts", headers=national).json()["data"]]
    r = world.post(f"/api/v1/alerts/{alert.alert_id}/acknowledge", headers=wmp, json={"note": "not ours"})
    assert r.status_code == 404
    one = world.get(f"/api/v1/alerts/{alert.alert_id}", headers=nbr).json()
    assert one["status"] == "OPEN" and one["routed_to"] == "NBR" and one["evidence"]
    assert world.post(f"/api/v1/alerts/{alert.alert_id}/acknowledge", headers=nbr, json={"note": ""}).status_code == 422
    r = world.post(f"/api/v1/alerts/{alert.alert_id}/acknowledge", headers=nbr, json={"note": "Officer tasked"})
    assert (
        r.status_code == 200
        and r.json()["status"] == "ACKNOWLEDGED"
        and r.json()["acknowledged_by"] == "police_analyst"
    )
    r = world.post(f"/api/v1/alerts/{alert.alert_id}/acknowledge", headers=nbr, json={"note": "again"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    r = world.post(f"/api/v1/alerts/{alert.alert_id}/close", headers=nbr, json={"note": "Arrested"})
    assert r.json()["status"] == "CLOSED" and r.json()["close_note"] == "Arrested"
    assert world.get("/api/v1/alerts?status=OPEN", headers=nbr).json()["data"] == [
        a
        for a in world.get("/api/v1/alerts?status=OPEN", headers=nbr).json()["data"]
        if a["alert_id"] != alert.alert_id
    ]
    entries = db.read("MATCH (e:AuditEntry) WHERE e.subject STARTS WITH 'alert' RETURN e.subject AS s, e.outcome AS o")
    assert any(e["s"] == f"alert:{alert.alert_id}" and e["o"].startswith("refused") for e in entries)


def _events(text: str) -> list[dict[str, Any]]:
    out = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if lines.get("event") == "alert":
            out.append({"id": lines["id"], **json.loads(lines["data"])})
    return out


def test_stream_sends_new_alerts_as_server_sent_events(world: TestClient, db: Database) -> None:
    since = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
    nbr, wmp = token(world, "police_analyst"), token(world, "analyst_wmp")
    alerts = [a for a in _raise(db) if "NBR" in a.agencies]
    with world.stream(
        "GET", "/api/v1/alerts/stream", headers=nbr,
        params={"since": since, "max_events": len(alerts), "max_seconds": 10, "poll_seconds": 0.1},
    ) as r:  # fmt: skip
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        body = "".join(r.iter_text())
    got = _events(body)
    assert {e["id"] for e in got} >= {a.alert_id for a in alerts}
    assert all("NBR" in e["agencies"] for e in got)
    with world.stream(
        "GET", "/api/v1/alerts/stream", headers=wmp, params={"since": since, "max_seconds": 0.5, "poll_seconds": 0.1}
    ) as r:
        assert _events("".join(r.iter_text())) == []  # nothing routed to WMP


def test_stream_without_a_purpose_is_refused(world: TestClient) -> None:
    h = token(world, "police_analyst")
    r = world.get("/api/v1/alerts/stream", headers={"Authorization": h["Authorization"]})
    assert r.status_code == 428


# -- webhook ---------------------------------------------------------------------------------------------
class _Receiver(BaseHTTPRequestHandler):
    statuses: list[int] = []
    bodies: list[tuple[bytes, str | None]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append((body, self.headers.get("X-SPR-Signature")))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    _Receiver.statuses, _Receiver.bodies = [], []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Receiver
    server.shutdown()
    server.server_close()


def _alert() -> Alert:
    return Alert(
        alert_id="ALR-TEST", rule="ORDER_BREACH", kind="ORDER_BREACH", person_id="S", severity="HIGH", status="OPEN",
        reason="test", agencies=["NBR"], created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip


def test_webhook_retries_transient_failures_then_delivers_signed(receiver: tuple[str, type[_Receiver]]) -> None:
    url, rec = receiver
    rec.statuses = [503, 500]
    waits: list[float] = []
    report = deliver([_alert()], url, attempts=4, backoff=0.2, secret="s3cret", sleep=waits.append)
    assert report.delivered and report.attempts == 3 and report.status == 200
    assert waits == [0.2, 0.4]
    body, signature = rec.bodies[-1]
    assert json.loads(body)["alerts"][0]["alert_id"] == "ALR-TEST"
    assert signature == sign(body, "s3cret")


def test_webhook_gives_up_after_bounded_attempts_and_on_client_errors(receiver: tuple[str, type[_Receiver]]) -> None:
    url, rec = receiver
    rec.statuses = [500, 500, 500]
    report = deliver([_alert()], url, attempts=3, backoff=0, sleep=lambda _s: None)
    assert not report.delivered and report.attempts == 3 and len(rec.bodies) == 3
    rec.statuses = [400]
    report = deliver([_alert()], url, attempts=3, backoff=0, sleep=lambda _s: None)
    assert not report.delivered and report.attempts == 1 and report.status == 400


def test_webhook_connection_refused_is_retried_then_reported() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = deliver(
        [_alert()], f"http://127.0.0.1:{port}/hook", attempts=2, backoff=0, timeout=1, sleep=lambda _s: None
    )
    assert not report.delivered and report.attempts == 2 and report.errors


def test_the_api_process_posts_new_alerts_to_the_configured_webhook(
    db: Database, secret: None, receiver: tuple[str, type[_Receiver]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The graph is the outbox: alerts raised while no API process ran, and while the receiver was down, are
    posted once it is back; each is marked delivered and not posted again by the next process."""
    import time

    def posted() -> set[str]:
        return {a["alert_id"] for body, _ in rec.bodies for a in json.loads(body)["alerts"]}

    def accepted() -> set[str]:  # the receiver answers 503 to the first two posts, 200 after
        return {a["alert_id"] for body, _ in rec.bodies[2:] for a in json.loads(body)["alerts"]}

    def wait_for(ids: set[str]) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not ids <= accepted():
            time.sleep(0.1)

    url, rec = receiver
    monkeypatch.setenv("SPR_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("SPR_ALERT_WEBHOOK_POLL_SECONDS", "0.1")
    monkeypatch.setenv("SPR_ALERT_WEBHOOK_ATTEMPTS", "1")
    alerts = _raise(db)  # no API process running
    ids = {a.alert_id for a in alerts}
    rec.statuses = [503, 503]  # the receiver is down for the first two posts
    with TestClient(create_app(lambda: db)):
        wait_for(ids)
        time.sleep(0.5)  # let the dispatcher mark them
    assert ids <= accepted() and ids <= posted()
    marked = db.read("MATCH (a:Alert) WHERE a.alert_id IN $ids AND a.delivered_at IS NOT NULL RETURN count(a) AS n",
                     ids=sorted(ids))  # fmt: skip
    assert marked[0]["n"] == len(ids)
    before = len(rec.bodies)
    with TestClient(create_app(lambda: db)):  # a restarted process posts nothing already delivered
        time.sleep(0.6)
    assert len(rec.bodies) == before
