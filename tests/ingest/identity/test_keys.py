"""Stored blocking keys: an incremental identity run that reads only the records sharing a key with the new
ones gives the same Persons, pairs and review items as one that reads the whole register."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from graph_schema.apply import apply_schema
from ingest import load
from ingest.identity import ResolveResult, resolve
from ingest.identity.config import identity_settings
from ingest.identity.graph import stored_outcome
from ingest.identity.keys import KEYS, RULE_KEYS, VERSION, key_version, uncovered_rules
from spr.db import Database
from tests.conftest import wipe
from tests.ingest.conftest import _r, write_ndjson

# Held-out person records come back in the later batch with their incidents, outcomes, assessments and
# addresses; records that orders, notifications, episodes, relationships, travel or breaches refer to stay.
LATER_WITH_PERSON = ("involvement", "outcome", "assessment", "address")


@pytest.fixture(scope="module")
def batches(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny data set cut in two: a first load, and a later batch of half the person records that
    nothing but their own incidents refers to (most of whom the first load holds other records of)."""
    first, later = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("later")
    rows = {f.stem: [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
            for f in sorted(tiny_data.glob("*.ndjson"))}  # fmt: skip
    pinned: set[str] = set()
    for name, items in rows.items():
        if name not in ("person", *LATER_WITH_PERSON):
            for r in items:
                for k in ("person_ref", "other_ref", "subject_ref"):
                    pinned.add(r.get(k) or "")
                pinned |= set(r.get("protected_refs") or [])
    uids = sorted(f"{r['source_system']}/{r['record_id']}" for r in rows["person"])
    held = {u for i, u in enumerate(u for u in uids if u not in pinned) if i % 2 == 0}
    for name, items in rows.items():
        if name == "person":
            late = [r for r in items if f"{r['source_system']}/{r['record_id']}" in held]
        else:
            late = [r for r in items if name in LATER_WITH_PERSON and r.get("person_ref") in held]
        early = [r for r in items if r not in late]
        write_ndjson(first, name, early)
        if late:
            write_ndjson(later, name, late)
    return first, later


def test_every_blocking_rule_has_a_stored_key() -> None:
    assert uncovered_rules(identity_settings()) == []
    assert set(RULE_KEYS.values()) - {"shared_incident"} <= set(KEYS)


def _run(db: Database, first: Path, later: Path, *, keyed: bool) -> tuple[dict[str, Any], ResolveResult]:
    wipe(db)
    apply_schema(db)
    load(db, [first], progress=False, resolver=resolve)
    # records held before keys existed (or changed since): the keyed run must still find them
    db.write(f"MATCH (r:PersonRecord) WITH r ORDER BY r.uid LIMIT 200 REMOVE r.{VERSION}")
    seen: list[ResolveResult] = []

    def stage(db: Database, uids: Sequence[str]) -> ResolveResult:
        seen.append(resolve(db, uids, keyed=keyed))
        return seen[-1]

    load(db, [later], progress=False, resolver=stage)
    assert len(seen) == 1
    return stored_outcome(db), seen[0]


def test_keyed_incremental_run_matches_reading_the_whole_register(db: Database, batches: tuple[Path, Path]) -> None:
    whole, by_all = _run(db, *batches, keyed=False)
    keyed, by_keys = _run(db, *batches, keyed=True)
    assert by_all.read_records == by_all.records == by_keys.records
    assert by_keys.scored_records == by_all.scored_records > 0
    assert by_keys.read_records < by_all.read_records / 2, (by_keys.read_records, by_all.read_records)
    assert by_keys.keys_backfilled >= 200  # the records stripped of their keys, and those whose address changed
    for part in ("persons", "pairs", "reviews", "links", "events"):
        assert keyed[part] == whole[part], part
    assert by_keys.pairs_stored == by_all.pairs_stored > 0
    assert (by_keys.linked, by_keys.merges, by_keys.splits) == (by_all.linked, by_all.merges, by_all.splits)
    # every record now carries keys of the current derivation
    version = key_version()
    left = db.read(f"MATCH (r:PersonRecord) WHERE r.{VERSION} IS NULL OR r.{VERSION} <> $v RETURN count(*) AS n",
                   v=version)  # fmt: skip
    assert left[0]["n"] == 0


def _keyed(db: Database) -> set[str]:
    rows = db.read(f"MATCH (r:PersonRecord) WHERE r.{VERSION} = $v RETURN r.uid AS uid", v=key_version())
    return {r["uid"] for r in rows}


def test_a_changed_record_or_address_loses_its_keys_until_resolved(db: Database, small: Path, tmp_path: Path) -> None:
    load(db, [small], progress=False, resolver=resolve)
    everyone = {"WMP/P1", "WMP/P2", "WMP/P3", "WMP/P4"}
    assert _keyed(db) == everyone
    load(db, [small], progress=False, resolver=None)  # the same files again change nothing, keys included
    assert _keyed(db) == everyone
    later = tmp_path / "later"
    write_ndjson(later, "person", [_r("P3", record_version=2, first_name="Amy", last_name="Hall-Jones",
                                      dob="1990-05-01", sex="F")])  # fmt: skip
    write_ndjson(later, "address", [_r("A2", person_ref="WMP/P1", line1="9 Low St", town="Dudley",
                                       postcode="DY2 2BB", from_date="2025-01-01")])  # fmt: skip
    load(db, [later], progress=False, resolver=None)
    assert _keyed(db) == {"WMP/P2", "WMP/P4"}
    result = resolve(db, ["WMP/P3"])
    assert result.keys_backfilled == 1 and _keyed(db) == everyone  # P3 as new, P1 found without keys
    row = db.read("MATCH (r:PersonRecord {uid: 'WMP/P1'}) RETURN r.block_dob_postcode AS k, "
                  "r.block_surname_postcode AS s")[0]  # fmt: skip
    assert row == {"k": "1979-01-10|DY2 2BB", "s": "byrne|DY2 2BB"}
