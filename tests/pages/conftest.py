"""Page tests: a signing key, users, a small case built with the query tests' graph factory, a logged-in
test client, and for the browser tests the app served by uvicorn and Debian's Chromium (Playwright)."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queries"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from factories import GraphFactory

from api.app import create_app
from api.auth import create_user, signing_key
from queries.detect import detect
from spr.db import Database
from spr.settings import get_settings

PASSWORD = "correct-horse-battery-staple"
CHROMIUM = os.environ.get("SPR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Strings that must never reach a page for a role without view_victim_location.
VICTIM_LINE1 = "1 High Street"
VICTIM_POSTCODE = "ZZ9 9ZZ"
HOSTILE_NAME = '<img src=x onerror="alert(1)">'


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SPR_SECRET_KEY", "k" * 16 + "a-test-signing-key-of-48-characters")
    get_settings.cache_clear()
    signing_key.cache_clear()
    yield
    get_settings.cache_clear()
    signing_key.cache_clear()


@dataclass
class Case:
    perpetrator: str
    victims: list[str]


def build_case(db: Database) -> Case:
    """A serial perpetrator (two records, two forces) with two victims, escalation after a separation,
    a conviction, an order, a victim's address, and a victim whose name is hostile markup."""
    g = GraphFactory(db)
    p = g.person("P1", records=2, first_name="Darren", last_name="Vale", sources=["WMP", "LAN"])
    v1 = g.person("V1", first_name="Amy", last_name="Reed", dob="1990-02-02")
    v2 = g.person("V2", first_name="Beth", last_name=HOSTILE_NAME, dob="1992-03-03")
    g.lives_at(v1, "2022-01-01", postcode=VICTIM_POSTCODE)
    g.relationship(p, v1, start="2021-06-01", end="2023-03-01")
    i1 = g.incident(p, v1, "2023-01-05", agency="WMP", offence="VERBAL_ABUSE")
    g.incident(p, v1, "2023-03-01", agency="WMP", offence="COMMON_ASSAULT", indicators=["SEPARATION"])
    i3 = g.incident(p, v1, "2023-04-20", agency="WMP", offence="ABH", dash_grade="HIGH")
    g.outcome(p, "CONVICTION", "2023-09-01", incident=i3, offence="ABH", sentence_months=10)
    g.order(p, "DVPO", "2023-05-01", "2023-06-28", protects=v1)
    g.incident(p, v2, "2024-02-01", agency="LAN", offence="HARASSMENT", suspect_record=1)
    g.incident(p, v2, "2024-06-01", agency="LAN", offence="STRANGULATION", indicators=["NON_FATAL_STRANGULATION"],
               dash_grade="HIGH", suspect_record=1)  # fmt: skip
    del i1
    detect(db)
    return Case("P1", ["V1", "V2"])


@pytest.fixture
def case(db: Database) -> Case:
    return build_case(db)


@pytest.fixture
def users(db: Database, secret: None) -> dict[str, str]:
    create_user(db, "caseworker", PASSWORD, ["SPP_CASEWORKER"])
    create_user(db, "analyst", PASSWORD, ["POLICE_ANALYST"])
    create_user(db, "locations", PASSWORD, ["POLICE_ANALYST", "IDVA_ISAC_CASEWORKER"], agency_code="WMP")
    create_user(db, "idva", PASSWORD, ["IDVA_ISAC_CASEWORKER"], agency_code="NBR")
    create_user(db, "admin", PASSWORD, ["ADMIN"])
    return {"password": PASSWORD}


def client_for(db: Database, username: str | None) -> TestClient:
    client = TestClient(create_app(lambda: db), base_url="http://testserver")
    if username:
        r = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 303, r.text
    return client


PURPOSE = {"purpose": "MAPPA_PANEL", "purpose_detail": "Panel 12 preparation"}


# -- the browser ---------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(db: Database, secret: None) -> Iterator[str]:
    """The app on 127.0.0.1 (uvicorn in a thread) against the test database."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(lambda: db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download). Missing: skipped locally, fatal in CI."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = f"Chromium not found at {CHROMIUM}: run `make browsers`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
