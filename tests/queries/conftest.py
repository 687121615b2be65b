"""Fixtures for the query tests: a clean real database and the graph factory on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from factories import GraphFactory

from spr.db import Database


@pytest.fixture
def g(db: Database) -> GraphFactory:
    return GraphFactory(db)
