"""Every catalog entry: a header listing its parameters, labels and types from the schema, and it runs."""

from __future__ import annotations

import re
from datetime import date

import pytest

from graph_schema.model import vocabulary
from queries import catalog
from spr.db import Database

_LABEL_RE = re.compile(r"\(\s*\w*\s*:\s*([A-Z]\w*)")
_REL_RE = re.compile(r"\[\s*\w*\s*:\s*([A-Z_|]+)")
_NEG_LABEL_RE = re.compile(r"\b\w+:(?P<label>[A-Z][a-zA-Z]+)\b")


def test_catalog_lists_the_files() -> None:
    assert "find_serial_campaign" in catalog.names()
    assert len(catalog.names()) >= 20
    with pytest.raises(catalog.UnknownQuery):
        catalog.load("no_such_query")


@pytest.mark.parametrize("name", catalog.names())
def test_query_file_is_well_formed(name: str) -> None:
    assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", name), "named verb_noun"
    head = catalog.header(name)
    assert "Parameters:" in head and "Returns" in head
    for param in catalog.parameters(name):
        assert f"${param}" in head, f"{name}: ${param} is not listed in the header"
    model = vocabulary().model
    body = catalog.load(name)
    for label in _LABEL_RE.findall(body):
        model.label(label)
    for types in _REL_RE.findall(body):
        for t in types.split("|"):
            model.rel_type(t)


def _value(param: str) -> object:
    if param in ("as_of", "since", "until", "coercive_from"):
        return date(2025, 1, 1)
    if param.endswith("_days") or param.startswith("min_") or param in ("level", "skip", "limit"):
        return 1
    if param in ("person_ids", "statuses", "force", "person_id", "since", "until", "level", "reason", "lead_agency"):
        return None
    if param in ("unknown_age_counts",):
        return True
    if param in ("gravity", "indicator_weights", "offence_indicators", "hidden"):
        return {}
    if param in ("rows", "uids", "ids", "definitions", "reasons", "schedule15", "coercive") or param.endswith("s"):
        return []
    return "X"


@pytest.mark.parametrize("name", catalog.names())
def test_query_runs_on_an_empty_graph(db: Database, name: str) -> None:
    params = {p: _value(p) for p in catalog.parameters(name)}
    if name.startswith(("create_", "decide_", "close_", "merge_", "delete_", "mark_")):
        db.write(catalog.load(name), **params)
    else:
        db.read(catalog.load(name), **params)
