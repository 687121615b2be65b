"""Invariants of the vocabulary: the data files every layer reads its labels, codes and parameters from."""

from __future__ import annotations

import pytest

from graph_schema import UnknownVocabulary, vocabulary
from graph_schema.apply import schema_statements


def test_every_relationship_end_is_a_node_type() -> None:
    v = vocabulary()
    for rel in v.model.relationships.values():
        for end in (*rel.from_, *rel.to):
            assert end in v.model.nodes, f"{rel.name} -> {end}"


def test_every_key_property_is_constrained_and_every_indexed_property_indexed() -> None:
    v = vocabulary()
    statements = schema_statements(v)
    constrained = {(s.label, s.prop) for s in statements if s.kind == "constraint"}
    indexed = {(s.label, s.prop) for s in statements if s.kind != "constraint"}
    for label, node in v.model.nodes.items():
        assert (label, node.key) in constrained
        for prop in (*node.indexed, *node.text):
            assert (label, prop) in indexed
    names = [s.name for s in statements]
    assert len(names) == len(set(names)), "schema object names must be unique"


def test_order_types_have_duties_from_the_obligations_and_proposed_ones_are_marked() -> None:
    v = vocabulary()
    for order in v.orders.values():
        for duty in order.duties:
            assert duty.duty in v.duties
        if order.min_days is not None and order.max_days is not None:
            assert order.min_days <= order.max_days
    # domain.md: DAPO and SPO carry name and address duties; DVPO carries none.
    for code in ("DAPO", "SPO"):
        assert {d.duty for d in v.orders[code].duties} >= {"NAME", "ADDRESS"}
    assert v.orders["DVPO"].duties == ()
    assert v.orders["SERIAL_PERPETRATOR_ORDER"].proposed and v.orders["RISK_OF_HARM_ORDER"].proposed
    assert not v.orders["DAPO"].proposed
    # The campaign's five positive obligations.
    assert set(v.duties) == {"TREATMENT", "NAME", "ADDRESS", "TRAVEL", "RELATIONSHIP"}


def test_definitions_are_named_and_parameterised() -> None:
    v = vocabulary()
    assert v.definition("SERIAL_CAMPAIGN").param("min_victims") == 2
    assert v.definition("SERIAL_MATAC").param("window_days") == 1095
    assert v.definition("SERIAL_MATAC").param("min_age") == 16
    assert v.definition("REPEAT").param("window_days") == 365
    assert v.definition("RFGV").param("window_days") == 730
    assert "proposed" in v.definition("MAPPA_PLUS").name
    for d in v.definitions.values():
        assert d.source, f"{d.code} must say where its definition comes from"
    with pytest.raises(UnknownVocabulary):
        v.definition("NOPE")


def test_offences_indicators_and_agencies() -> None:
    v = vocabulary()
    assert all(1 <= o.gravity <= 10 for o in v.offences.values())
    assert v.offence("STRANGULATION").gravity > v.offence("COMMON_ASSAULT").gravity
    assert "NON_FATAL_STRANGULATION" in v.homicide_indicators
    assert len(v.forces) == 43
    assert set(v.jurisdictions) >= {"ENGLAND_WALES", "SCOTLAND", "NORTHERN_IRELAND", "ABROAD"}
    assert "SERIAL_PERPETRATOR_ORDER" in v.serial_qualifying_orders


def test_labels_and_types_only_from_the_schema() -> None:
    m = vocabulary().model
    assert m.label("Person") == "Person"
    assert m.rel_type("RESOLVES_TO") == "RESOLVES_TO"
    with pytest.raises(UnknownVocabulary):
        m.label("Person) DETACH DELETE (x")
    with pytest.raises(UnknownVocabulary):
        m.rel_type("KNOWS")


def test_sensitive_properties_cover_victim_locations() -> None:
    nodes = vocabulary().model.nodes
    assert {"line1", "postcode"} <= set(nodes["Address"].sensitive)
    assert "location_postcode" in nodes["Incident"].sensitive


def test_graph_model_doc_is_generated_from_the_vocabulary() -> None:
    from pathlib import Path

    from graph_schema.docs import render

    doc = (Path(__file__).resolve().parents[2] / "docs" / "graph-model.md").read_text(encoding="utf-8")
    assert render() in doc, "docs/graph-model.md is stale: run `python -m graph_schema.docs`"
