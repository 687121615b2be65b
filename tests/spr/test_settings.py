from __future__ import annotations

import pytest
from pydantic import ValidationError

from spr.settings import Settings


def test_unset_uri_means_the_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("NEO4J_URI", "NEO4J_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.uses_local_server and s.neo4j_database == "neo4j"


@pytest.mark.parametrize("password", [None, "", "neo4j", "password", "changeme"])
def test_placeholder_secrets_are_refused_outside_demo_mode(monkeypatch: pytest.MonkeyPatch, password) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.databases.neo4j.io")
    monkeypatch.delenv("SPR_DEMO", raising=False)
    if password is None:
        monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("NEO4J_PASSWORD", password)
    with pytest.raises(ValidationError, match="NEO4J_PASSWORD"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("SPR_DEMO", "1")
    assert Settings(_env_file=None).demo_mode  # type: ignore[call-arg]


def test_a_real_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j://cluster.example:7687")
    monkeypatch.setenv("NEO4J_PASSWORD", "a-long-real-secret-1234")
    monkeypatch.setenv("NEO4J_DATABASE", "wmp")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not s.uses_local_server and s.neo4j_database == "wmp"
