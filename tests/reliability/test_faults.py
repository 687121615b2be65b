"""Neo4j killed (-9) under the API's load and during a sweep, on a server of the tests' own.

While it is down the API answers 503 with a Retry-After hint (never a 500, never a hang), and once it is
back the API recovers by itself, with no restart; a sweep cut short says so, and running it again ends in
exactly the flags of one clean sweep."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.auth import create_user, signing_key
from graph_schema.apply import apply_schema
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance
from spr.settings import get_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queries"))
from factories import GraphFactory

PASSWORD = "correct-horse-battery-staple"
PURPOSE = {"X-SPR-Purpose": "INTELLIGENCE_ANALYSIS", "X-SPR-Purpose-Detail": "fault test"}


def _connect(inst: Instance, retry_seconds: float = 2.0) -> Database:
    return Database.connect(
        ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True, retry_seconds)
    )


def _case(db: Database) -> None:
    db.run_auto("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
    apply_schema(db)
    g = GraphFactory(db)
    p, v1, v2 = g.person("P1"), g.person("V1"), g.person("V2")
    i1 = g.incident(p, v1, "2024-01-10", agency="WMP")
    g.outcome(p, "CONVICTION", "2024-03-01", incident=i1)
    g.incident(p, v2, "2025-02-10", agency="LAN", offence="STRANGULATION", dash_grade="HIGH")
    create_user(db, "analyst", PASSWORD, ["POLICE_ANALYST"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_api_answers_503_while_neo4j_is_down_and_recovers_by_itself(
    own_server: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setenv("SPR_SECRET_KEY", "k" * 16 + "a-test-signing-key-of-48-characters")
    get_settings.cache_clear()
    signing_key.cache_clear()
    db = _connect(own_server)
    _case(db)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(lambda: db), host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/api/v1"
    token = httpx.post(f"{base}/auth/token", data={"username": "analyst", "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}", **PURPOSE}

    seen: list[tuple[float, int, str | None]] = []  # (time, status, Retry-After)
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
            while not stop.is_set():
                try:
                    r = c.get("/persons/P1")
                    seen.append((time.monotonic(), r.status_code, r.headers.get("retry-after")))
                except httpx.HTTPError as exc:  # the API itself must never drop a connection
                    seen.append((time.monotonic(), -1, repr(exc)))
                time.sleep(0.05)

    clients = [threading.Thread(target=client, daemon=True) for _ in range(8)]
    try:
        for t in clients:
            t.start()
        warm = time.monotonic() + 90
        while time.monotonic() < warm and sum(1 for _, st, _ in seen if st == 200) < 20:
            time.sleep(0.1)
        killed_at = time.monotonic()
        own_server.kill()  # SIGKILL
        time.sleep(6)
        own_server.start(log=lambda _m: None)
        back_at = time.monotonic()
        deadline = back_at + 60
        while time.monotonic() < deadline and not _recovered(seen, back_at):
            time.sleep(0.2)
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=40)
        server.should_exit = True
        db.close()
        get_settings.cache_clear()
        signing_key.cache_clear()

    statuses = Counter(s for _, s, _ in seen)
    assert not {s for s in statuses if s not in (200, 503)}, statuses  # no 500, no dropped connection
    before = [s for t, s, _ in seen if t < killed_at]
    assert before and set(before) == {200}
    down = [(s, ra) for t, s, ra in seen if killed_at + 1 < t < back_at - 1]
    timeline = [(round(t - killed_at, 1), s) for t, s, _ in seen]
    assert down and all(s == 503 and ra for s, ra in down), (Counter(down), back_at - killed_at, timeline[-80:])
    assert _recovered(seen, back_at), statuses  # by itself: the same app and driver, no restart


def _recovered(seen: list[tuple[float, int, str | None]], after: float) -> bool:
    latest = [s for t, s, _ in seen if t > after][-10:]
    return len(latest) == 10 and set(latest) == {200}


def test_a_sweep_cut_short_by_a_killed_server_says_so_and_running_it_again_ends_as_one_clean_sweep(
    own_server: Instance,
) -> None:
    from neo4j.exceptions import ServiceUnavailable, SessionExpired

    from queries.detect import detect
    from spr.db import DatabaseUnavailable

    if not own_server.status().running:
        own_server.start(log=lambda _m: None)
    db = _connect(own_server)
    try:
        _case(db)
        g = GraphFactory(db, source="CLE")
        for n in range(60):  # enough people that the sweep takes a moment
            s, a, b = g.person(f"S{n}"), g.person(f"A{n}"), g.person(f"B{n}")
            i = g.incident(s, a, "2024-01-10", agency="CLE")
            g.outcome(s, "CONVICTION", "2024-03-01", incident=i)
            g.incident(s, b, "2025-02-10", agency="CLE")
        clean = detect(db)
        expected = db.read("MATCH (f:Flag) RETURN f.uid AS uid, f.first_met AS first_met ORDER BY uid")
        db.run_auto("MATCH (f:Flag) DETACH DELETE f")
        db.run_auto("MATCH (s:PriorityScore) DETACH DELETE s")

        errors: list[BaseException] = []

        def sweep() -> None:
            try:
                detect(db)
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=sweep)
        t.start()
        time.sleep(0.3)
        own_server.kill()
        t.join(timeout=120)
        own_server.start(log=lambda _m: None)
        if errors:  # cut short: the driver's connection error (`spr` prints it as one line, exit 2)
            assert isinstance(errors[0], DatabaseUnavailable | ServiceUnavailable | SessionExpired), errors[0]
        again = detect(db)
        got = db.read("MATCH (f:Flag) RETURN f.uid AS uid, f.first_met AS first_met ORDER BY uid")
        assert got == expected and again.flags == clean.flags
    finally:
        db.close()
