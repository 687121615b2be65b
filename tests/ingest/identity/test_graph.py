"""Identity resolution against a real Neo4j: incremental linking, analysts' decisions that survive
re-runs, merges and splits that re-point facts, and explanations."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ingest.identity import decide, explain_pair, explain_person, graph, queue, queue_size, resolve
from ingest.identity.config import Thresholds, identity_settings
from ingest.identity.graph import read_frame, unresolved
from spr.db import Database

JOHN = {"uid": "WMP/1", "first_name": "John", "last_name": "Smith", "dob": date(1980, 1, 2), "sex": "M",
        "pnc_id": "1999/1234567A", "postcode": "B1 1AA"}  # fmt: skip
# nickname, day and month swapped, another force, same PNC id
JON = {"uid": "NBR/2", "first_name": "Jon", "last_name": "Smith", "dob": date(1980, 2, 1), "sex": "M",
       "pnc_id": "1999/1234567A", "postcode": "NE1 1AA"}  # fmt: skip
MARY = {"uid": "WMP/7", "first_name": "Mary", "last_name": "Jones", "dob": date(1975, 5, 5), "sex": "F",
        "postcode": "B4 4DD"}  # fmt: skip
# probation's record of John, arriving later
JOHN_PROB = {"uid": "PROB-WM/3", "first_name": "John", "last_name": "Smith", "dob": date(1980, 1, 2), "sex": "M",
             "postcode": "B1 1AA"}  # fmt: skip
GEMMA = {"uid": "CLE/8", "first_name": "Gemma", "last_name": "Hart", "dob": date(1991, 3, 14), "sex": "F",
         "postcode": "TS1 1AA"}  # fmt: skip
# a year of birth one out and no address: a pair the model is unsure of
GEMMA_IDVA = {"uid": "IDVA-CLE/9", "first_name": "Gemma", "last_name": "Hart", "dob": date(1992, 3, 14), "sex": "F"}


def add_records(db: Database, *records: dict[str, Any]) -> None:
    rows = []
    for r in records:
        src, rid = r["uid"].split("/", 1)
        rows.append({**r, "source_system": src, "source_record_id": rid})
    db.write(
        "UNWIND $rows AS row MERGE (r:PersonRecord {uid: row.uid}) "
        "SET r.source_system = row.source_system, r.source_record_id = row.source_record_id, "
        "r.first_name = row.first_name, r.last_name = row.last_name, r.dob = row.dob, r.sex = row.sex, "
        "r.pnc_id = row.pnc_id, r.postcode = row.postcode",
        rows=rows,
    )


def person_of(db: Database, uid: str) -> str | None:
    rows = db.read("MATCH (:PersonRecord {uid: $uid})-[:RESOLVES_TO]->(p:Person) RETURN p.person_id AS id", uid=uid)
    assert len(rows) <= 1, f"{uid} resolves to more than one Person"
    return rows[0]["id"] if rows else None


def link_of(db: Database, uid: str) -> dict[str, Any]:
    rows = db.read("MATCH (:PersonRecord {uid: $uid})-[x:RESOLVES_TO]->() RETURN properties(x) AS x", uid=uid)
    return rows[0]["x"]


def incidents_of_person(db: Database, person_id: str) -> list[str]:
    rows = db.read(
        "MATCH (:Person {person_id: $pid})<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident) "
        "RETURN i.uid AS uid ORDER BY uid",
        pid=person_id,
    )
    return [r["uid"] for r in rows]


def test_resolve_links_variants_and_keeps_others_apart(db: Database) -> None:
    add_records(db, JOHN, JON, MARY)
    result = resolve(db)
    assert result.records == 3
    assert person_of(db, "WMP/1") == person_of(db, "NBR/2") is not None
    assert person_of(db, "WMP/7") not in (None, person_of(db, "WMP/1"))
    link = link_of(db, "NBR/2")
    assert link["method"] == "splink"
    assert link["probability"] >= identity_settings().thresholds.link
    assert link["model_version"] == result.model_version
    assert link["decided_by"] == f"model:{result.model_version}"
    assert link["decided_at"] is not None
    # running it again changes nothing
    again = resolve(db, full=True)
    assert again.linked == 0 and again.merges == again.splits == 0 and again.affected_person_ids == []


def test_later_record_joins_existing_person_incrementally(db: Database) -> None:
    add_records(db, JOHN, JON, MARY)
    resolve(db)
    john = person_of(db, "WMP/1")
    add_records(db, JOHN_PROB)
    result = resolve(db, ["PROB-WM/3"])
    assert result.scored_records == 1
    assert person_of(db, "PROB-WM/3") == john
    assert person_of(db, "WMP/1") == john  # the Person keeps its id
    assert result.persons_created == 0
    # with no records named, the unresolved ones are taken
    add_records(db, {**MARY, "uid": "LAN/70", "postcode": "B4 4DD"})
    resolve(db)
    assert person_of(db, "LAN/70") == person_of(db, "WMP/7")


def test_analyst_reject_of_auto_link_survives_full_rerun(db: Database) -> None:
    add_records(db, JOHN, JON)
    resolve(db)
    assert person_of(db, "WMP/1") == person_of(db, "NBR/2")
    decide(db, "NBR/2", "WMP/1", "DIFFERENT", decided_by="analyst.a", reason="different fathers' names on file")
    assert person_of(db, "WMP/1") != person_of(db, "NBR/2")
    resolve(db, full=True)
    assert person_of(db, "WMP/1") != person_of(db, "NBR/2")
    # the pair is not put back on the queue either
    assert not [i for i in queue(db) if {i["left"], i["right"]} == {"NBR/2", "WMP/1"}]


def test_analyst_confirm_of_review_pair_survives_rerun(db: Database) -> None:
    cfg = identity_settings().model_copy(update={"thresholds": Thresholds(link=0.97, review=0.3)})
    add_records(db, GEMMA, GEMMA_IDVA)
    resolve(db, cfg=cfg)
    assert person_of(db, "CLE/8") != person_of(db, "IDVA-CLE/9")
    items = queue(db)
    assert [(i["left"], i["right"]) for i in items] == [("CLE/8", "IDVA-CLE/9")]
    assert 0.3 <= items[0]["probability"] < 0.97
    assert {e["comparison"] for e in items[0]["explanation"]} >= {"first_name", "last_name", "dob", "Final score"}
    decide(db, "CLE/8", "IDVA-CLE/9", "SAME", decided_by="analyst.b", reason="same DASH referral", cfg=cfg)
    assert person_of(db, "CLE/8") == person_of(db, "IDVA-CLE/9")
    assert queue_size(db).get("OPEN", 0) == 0
    assert queue_size(db).get("CONFIRMED") == 1
    resolve(db, full=True, cfg=cfg)
    assert person_of(db, "CLE/8") == person_of(db, "IDVA-CLE/9")
    links = {link_of(db, u)["method"] for u in ("CLE/8", "IDVA-CLE/9")}
    assert links == {"analyst"}
    assert link_of(db, "CLE/8")["decided_by"] == "analyst.b"


def test_merge_and_split_repoint_facts_and_keep_history(db: Database) -> None:
    add_records(db, JOHN, JON)
    resolve(db)
    decide(db, "NBR/2", "WMP/1", "DIFFERENT", decided_by="analyst.a", reason="checked custody photos")
    john, jon = person_of(db, "WMP/1"), person_of(db, "NBR/2")
    assert john and jon and john != jon
    db.write(
        "MATCH (r:PersonRecord {uid: 'NBR/2'}) "
        "CREATE (r)-[:SUSPECT_IN]->(:Incident {uid: 'NBR/I1', offence_code: 'COMMON_ASSAULT'})"
    )
    db.write("MATCH (p:Person {person_id: $pid}) CREATE (p)-[:FLAGGED]->(:Flag {uid: $pid + '|X'})", pid=jon)
    assert incidents_of_person(db, jon) == ["NBR/I1"]
    # merge: an analyst finds they are one man after all
    merged = decide(db, "NBR/2", "WMP/1", "SAME", decided_by="analyst.c", reason="fingerprints match")
    assert merged.merges == 1
    survivor = person_of(db, "WMP/1")
    assert survivor is not None and person_of(db, "NBR/2") == survivor
    assert incidents_of_person(db, survivor) == ["NBR/I1"]
    gone = jon if survivor == john else john
    assert db.read("MATCH (p:Person {person_id: $pid}) RETURN p", pid=gone) == []
    assert db.read("MATCH (f:Flag {uid: $uid}) RETURN f", uid=f"{jon}|X") == [] or survivor == jon
    assert set(merged.affected_person_ids) >= {john, jon}
    history = explain_person(db, survivor)["history"]
    # the first decision split the model's Person; this one merged the two again
    assert [h["kind"] for h in history] == ["SPLIT", "MERGE"]
    assert history[-1]["other_person_ids"] == [gone]
    # split: the decision is reversed
    split = decide(db, "NBR/2", "WMP/1", "DIFFERENT", decided_by="analyst.c", reason="fingerprints were mislabelled")
    assert split.splits == 1
    a, b = person_of(db, "WMP/1"), person_of(db, "NBR/2")
    assert a != b and survivor in (a, b)
    new = b if a == survivor else a
    assert incidents_of_person(db, person_of(db, "NBR/2") or "") == ["NBR/I1"]
    assert incidents_of_person(db, person_of(db, "WMP/1") or "") == []
    history = explain_person(db, survivor)["history"]
    assert [h["kind"] for h in history] == ["SPLIT", "MERGE", "SPLIT"]
    assert new in history[-1]["other_person_ids"]
    assert history[-1]["record_uids"] == ["NBR/2" if new == b else "WMP/1"]


def test_one_record_per_source_guard_and_explanation(db: Database) -> None:
    # two probation records that look alike: probation holds one record per person, so never joined
    twin = {**JOHN_PROB, "uid": "PROB-WM/4"}
    add_records(db, JOHN_PROB, twin)
    result = resolve(db)
    assert person_of(db, "PROB-WM/3") != person_of(db, "PROB-WM/4")
    assert result.refused == 1
    held = queue(db)
    assert len(held) == 1 and held[0]["reason"].startswith("held back")
    explained = explain_pair(db, "PROB-WM/4", "PROB-WM/3")
    assert explained is not None and explained["band"] == "LINK"
    levels = {e["comparison"]: e for e in explained["explanation"]}
    assert levels["dob"]["level"] == "Exact match on dob"
    assert levels["dob"]["match_weight"] > 0
    assert levels["Final score"]["match_weight"] == pytest.approx(explained["match_weight"], abs=1e-3)


def test_read_frame_gives_one_row_per_record_with_its_events_and_address(db: Database) -> None:
    add_records(db, JOHN, JON, MARY, GEMMA)
    db.write(
        "MATCH (j:PersonRecord {uid: 'WMP/1'}), (m:PersonRecord {uid: 'WMP/7'}), (g:PersonRecord {uid: 'CLE/8'}) "
        "CREATE (j)-[:SUSPECT_IN]->(i:Incident {uid: 'WMP/I1'})<-[:VICTIM_IN]-(m) "
        "CREATE (j)-[:SUSPECT_IN]->(:Incident {uid: 'WMP/I2'}) "
        "CREATE (g)-[:LIVES_AT]->(:Address {uid: 'CLE/A1', postcode: 'TS1 1AA', line1: '1 High St', "
        "town: 'Hartlepool'}) "
        "CREATE (g)-[:LIVES_AT]->(:Address {uid: 'CLE/A0', postcode: 'TS9 9ZZ', line1: 'old', town: 'Old'})"
    )
    frame = read_frame(db)
    rows = {r["unique_id"]: r for r in frame.table.to_pylist()}
    assert frame.table.num_rows == len(rows) == 4 == len(frame.current)
    assert rows["WMP/1"]["events"] == ["WMP/I1#S", "WMP/I2#S"]
    assert rows["WMP/7"]["events"] == ["WMP/I1#V"]
    # the latest address (highest uid); its first line only where the postcodes agree
    assert (rows["CLE/8"]["postcode"], rows["CLE/8"]["address_line1"], rows["CLE/8"]["town"]) == (
        "TS1 1AA", "1 high st", "hartlepool")  # fmt: skip
    assert frame.current["NBR/2"].pnc_id == "1999/1234567A" and frame.current["NBR/2"].person_id is None


def test_records_linked_by_the_exact_stage_are_resolved_by_the_model(db: Database) -> None:
    from ingest import identity_exact

    add_records(db, JOHN, JON, MARY, GEMMA)
    identity_exact.resolve(db, ["WMP/1", "NBR/2", "WMP/7", "CLE/8"])
    exact_person = person_of(db, "WMP/1")
    assert exact_person == person_of(db, "NBR/2") and link_of(db, "WMP/1")["method"] == "exact"
    assert sorted(unresolved(db)) == ["CLE/8", "NBR/2", "WMP/1", "WMP/7"]
    result = resolve(db)  # `spr resolve`: the records the model has not resolved
    assert result.scored_records == 4 and unresolved(db) == []
    assert person_of(db, "WMP/1") == person_of(db, "NBR/2") == exact_person  # the Person keeps its id
    assert {link_of(db, u)["method"] for u in ("WMP/1", "NBR/2")} == {"splink"}
    assert link_of(db, "WMP/7")["method"] == "singleton"
    assert result.merges == result.splits == 0
    assert result.affected_person_ids == []  # no Person gained or lost a record: no flags to re-evaluate
    assert resolve(db).scored_records == 0


def test_reclustering_reads_pairs_across_write_chunks(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    # Records are read and written a chunk at a time; a pair whose two records fall in different chunks
    # must still hold the Person together.
    monkeypatch.setattr(graph, "CHUNK", 1)
    add_records(db, JOHN, JON, MARY)
    resolve(db)
    john = person_of(db, "WMP/1")
    assert john is not None and person_of(db, "NBR/2") == john
    add_records(db, JOHN_PROB)
    result = resolve(db, ["PROB-WM/3"])
    assert person_of(db, "PROB-WM/3") == person_of(db, "WMP/1") == person_of(db, "NBR/2") == john
    assert result.splits == 0 and result.affected_person_ids == [john]


def test_a_changed_record_that_stays_with_its_person_refreshes_the_persons_name(db: Database) -> None:
    add_records(db, MARY)
    resolve(db)
    pid = person_of(db, "WMP/7")
    add_records(db, {**MARY, "last_name": "Jones-Okafor"})  # a later version: married name
    result = resolve(db, ["WMP/7"])
    assert person_of(db, "WMP/7") == pid and result.linked == 0  # the same Person, its link unchanged
    rows = db.read("MATCH (p:Person {person_id: $pid}) RETURN p.display_name AS name", pid=pid)
    assert rows == [{"name": "Mary Jones-Okafor"}]
