"""Property-based tests of every operation in the OpenAPI document (schemathesis): whatever a client
sends within or around the schema, the API answers with a documented status, never a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from factories import GraphFactory
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from api.auth import create_user, issue_token
from graph_schema import vocabulary
from spr.db import Database

# The ingest endpoint also takes one raw NDJSON file as its body: sent as the bytes generated for it.
schemathesis.serializer.alias("application/x-ndjson", "application/octet-stream")

_current: dict[str, Any] = {}
app = create_app(lambda: _current["db"])
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@pytest.fixture
def headers(db: Database, secret: None) -> dict[str, str]:
    _current["db"] = db
    g = GraphFactory(db)
    a, v = g.person("A"), g.person("V")
    g.incident(a, v, "2024-01-01")
    user = create_user(db, "everyone", "correct-horse-battery-staple", list(vocabulary().roles), agency_code="WMP")
    token, _ = issue_token(user)
    return {
        "Authorization": f"Bearer {token}",
        "X-SPR-Purpose": "INTELLIGENCE_ANALYSIS",
        "X-SPR-Purpose-Detail": "schema conformance",
    }


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_with_a_server_error(case: Any, headers: dict[str, str]) -> None:
    response = case.call(headers={**headers, **(case.headers or {})})
    case.validate_response(response, checks=[not_a_server_error])
