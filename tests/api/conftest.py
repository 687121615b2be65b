"""API test helpers: a signing key, users of every role, and the graph factory from the query tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queries"))

from api.auth import signing_key
from spr.settings import get_settings

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SPR_SECRET_KEY", "k" * 16 + "a-test-signing-key-of-48-characters")
    get_settings.cache_clear()
    signing_key.cache_clear()
    yield
    get_settings.cache_clear()
    signing_key.cache_clear()
