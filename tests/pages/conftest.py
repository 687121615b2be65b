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
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queries"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pagecase import PASSWORD, Case, build_case

from api.app import create_app
from api.auth import create_user, signing_key
from spr.db import Database
from spr.settings import get_settings

CHROMIUM = os.environ.get("SPR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SPR_SECRET_KEY", "k" * 16 + "a-test-signing-key-of-48-characters")
    get_settings.cache_clear()
    signing_key.cache_clear()
    yield
    get_settings.cache_clear()
    signing_key.cache_clear()


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
