"""The online load against a real Neo4j: mapping, idempotency, versions, rejects, identity stage, stats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ingest
from ingest import identity_exact
from ingest.records import RECORD_TYPES
from ingest.stats import register_stats
from spr.db import Database
from tests.ingest.conftest import assert_same_graph, graph_dump, small_dataset, write_ndjson


def _load(db: Database, *paths: Path, **kw: object) -> ingest.IngestReport:
    kw.setdefault("resolver", identity_exact.resolve)
    return ingest.load(db, list(paths), progress=False, **kw)  # type: ignore[arg-type]


def _one(db: Database, query: str, **params: object) -> object:
    rows = db.read(query, **params)  # type: ignore[arg-type]
    return rows[0] if rows else None


def test_small_load_maps_every_record_type(db: Database, small: Path) -> None:
    report = _load(db, small)
    assert report.ok, report.rejects
    assert report.total.loaded == report.total.read == 23
    stats = register_stats(db)
    assert stats.nodes["PersonRecord"] == 4
    assert stats.nodes["Incident"] == 3
    assert stats.relationships["SUSPECT_IN"] == 3
    assert stats.relationships["VICTIM_IN"] == 2
    assert stats.relationships["WITNESS_IN"] == 1
    assert stats.relationships["BREACH_OF"] == 1
    # DAPO statutory duties (NAME, ADDRESS) plus the one the record adds (TRAVEL)
    duties = db.read(
        "MATCH (:PersonRecord {uid: 'WMP/P1'})-[:REQUIRES]->(q:NotificationRequirement)-[:IMPOSED_BY]->"
        "(:Order {uid: 'COURT-WM/D1'}) RETURN q.duty AS duty, q.deadline_days AS days ORDER BY duty"
    )
    assert [d["duty"] for d in duties] == ["ADDRESS", "NAME", "TRAVEL"]
    inc = _one(
        db, "MATCH (i:Incident {uid: 'WMP/I2'})-[:RECORDED_BY]->(a:Agency) RETURN properties(i) AS i, a.code AS code"
    )
    assert isinstance(inc, dict)
    assert inc["code"] == "WMP" and inc["i"]["gravity"] == 8
    assert str(inc["i"]["occurred_at"]).startswith("2024-06-01T22:00:00")
    assert (
        _one(
            db,
            "MATCH (:PersonRecord {uid: 'WMP/P2'})-[r:LIVES_AT]->(a:Address) RETURN a.postcode AS p, r.from_date AS f",
        )
        is not None
    )
    # exact identity: P1 and P4 share a PNC id; the others stand alone
    persons = db.read(
        "MATCH (r:PersonRecord)-[x:RESOLVES_TO]->(p:Person) RETURN r.uid AS r, p.person_id AS p, properties(x) AS x"
    )
    by = {row["r"]: row["p"] for row in persons}
    assert by["WMP/P1"] == by["WMP/P4"] and len(set(by.values())) == 3
    assert all(row["x"]["method"] == "exact" and row["x"]["probability"] == 1.0 for row in persons)


def test_provenance_on_every_node_and_relationship(db: Database, small: Path) -> None:
    report = _load(db, small)
    missing = db.read(
        "MATCH (n) WHERE n.ingest_batch IS NOT NULL AND "
        "(n.source_system IS NULL OR n.source_record_id IS NULL OR n.ingested_at IS NULL) RETURN n LIMIT 5"
    )
    assert not missing
    rels = db.read(
        "MATCH ()-[r]->() WHERE NOT type(r) IN ['RESOLVES_TO'] AND "
        "(r.source_system IS NULL OR r.source_record_id IS NULL OR r.ingest_batch IS NULL OR r.ingested_at IS NULL) "
        "RETURN type(r) AS t LIMIT 5"
    )
    assert not rels
    n = _one(db, "MATCH (n:PersonRecord {uid: 'WMP/P1'}) RETURN n.ingest_batch AS b, n.source_record_id AS id")
    assert n == {"b": report.batch_id, "id": "P1"}


def test_loading_twice_changes_nothing(db: Database, small: Path) -> None:
    first = _load(db, small)
    before = graph_dump(db)
    second = _load(db, small)
    assert second.batch_id == first.batch_id and second.already_loaded
    assert second.total == first.total
    assert_same_graph(before, graph_dump(db))


def test_same_records_in_another_file_keep_first_provenance(db: Database, small: Path, tmp_path: Path) -> None:
    _load(db, small)
    before = graph_dump(db)
    extra = write_ndjson(tmp_path / "more", "travel", [{"source_system": "WMP", "record_id": "T2",
                         "person_ref": "WMP/P3", "departure_date": "2024-08-05", "destination": "FR"}])  # fmt: skip
    report = _load(db, small, extra)  # different files: a new batch; unchanged records keep the first batch
    assert not report.already_loaded
    after = graph_dump(db)
    new = set(after["nodes"]) - set(before["nodes"])
    assert {json.loads(n)[1] for n in new} == {"WMP/T2", report.batch_id}


def test_later_version_updates_and_older_is_ignored(db: Database, small: Path, tmp_path: Path) -> None:
    first = _load(db, small)
    v2 = tmp_path / "v2"
    write_ndjson(v2, "person", [{"source_system": "WMP", "record_id": "P3", "record_version": 2,
                                 "first_name": "Amy", "last_name": "Hall-Jones", "sex": "F"}])  # fmt: skip
    write_ndjson(v2, "involvement", [{"source_system": "WMP", "record_id": "V5", "record_version": 2,
                                      "incident_ref": "WMP/I2", "person_ref": "WMP/P2", "role": "VICTIM"}])  # fmt: skip
    second = _load(db, v2)
    assert second.ok, second.rejects
    p3 = _one(db, "MATCH (n:PersonRecord {uid: 'WMP/P3'}) RETURN properties(n) AS n")
    assert isinstance(p3, dict)
    node = p3["n"]
    assert node["last_name"] == "Hall-Jones" and node["record_version"] == 2
    assert "dob" not in node  # the later version has no date of birth: the property goes
    assert node["ingest_batch"] == second.batch_id != first.batch_id
    roles = db.read("MATCH (:PersonRecord {uid: 'WMP/P2'})-[r]->(:Incident {uid: 'WMP/I2'}) RETURN type(r) AS t")
    assert [r["t"] for r in roles] == ["VICTIM_IN"]
    # the first version again: older, ignored
    before = graph_dump(db)
    third = _load(db, small)
    assert third.ok
    assert_same_graph(before, graph_dump(db))


def test_csv_and_ndjson_load_the_same_graph(db: Database, small: Path, tmp_path: Path, session_db: Database) -> None:
    _load(db, small)
    from_ndjson = graph_dump(db, normalise_clock=True)
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    for f in small.glob("*.ndjson"):
        model = RECORD_TYPES[f.stem]
        rows = [model.model_validate_json(line).to_csv_row() for line in f.read_text().splitlines()]
        import csv

        with (csv_dir / f"{f.stem}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=model.columns())
            w.writeheader()
            w.writerows(rows)
    from graph_schema.apply import apply_schema
    from tests.conftest import wipe

    wipe(session_db)
    apply_schema(session_db)
    report = _load(db, csv_dir)
    assert report.ok, report.rejects
    from_csv = graph_dump(db, normalise_clock=True)
    # the batch id differs (other files): compare everything else
    strip = lambda d: {k: [x.replace(report.batch_id, "B") for x in v] for k, v in d.items()}  # noqa: E731
    nd = {k: [x for x in v if "IngestBatch" not in x] for k, v in from_ndjson.items()}
    cs = {k: [x for x in v if "IngestBatch" not in x] for k, v in strip(from_csv).items()}
    nd_batch = json.loads([x for x in from_ndjson["nodes"] if "IngestBatch" in x][0])[1]
    nd = {k: [x.replace(nd_batch, "B") for x in v] for k, v in nd.items()}
    assert_same_graph(nd, cs)


BAD_CASES = [
    # (file name, line text, field, reason fragment)
    ("incident.ndjson", '{"source_system":"WMP","record_id":"X1","occurred_at":"2099-01-01T00:00:00Z",'
     '"reported_at":"2099-01-02T00:00:00Z","agency_code":"WMP","offence_code":"COMMON_ASSAULT","is_crime":true}',
     "occurred_at", "in the future"),
    ("incident.ndjson", '{"source_system":"WMP","record_id":"X2","occurred_at":"2024-01-01T00:00:00Z",',
     "(record)", "truncated line"),
    ("person.ndjson", '{"source_system":"WMP","record_id":"X3","last_name":"Smith","sex":"Q"}', "sex", "'M'"),
    ("person.ndjson", '{"source_system":"WMP","record_id":"X4","last_name":"Smith","shoe_size":9}', "shoe_size",
     "unknown field"),
    ("involvement.ndjson", '{"source_system":"WMP","record_id":"X5","incident_ref":"WMP/I1",'
     '"person_ref":"WMP/NOPE","role":"VICTIM"}', "person_ref", "neither in this load nor in the register"),
    ("involvement.ndjson", '{"source_system":"WMP","record_id":"X6","incident_ref":"WMP/I1",'
     '"person_ref":"WMP/P1","role":"VICTIM"}', "role", "already the suspect of WMP/I1"),
    ("outcome.ndjson", '{"source_system":"WMP","record_id":"X7","person_ref":"WMP/P1","kind":"NFA",'
     '"outcome_date":"2024-01-01","agency_code":"NOWHERE"}', "agency_code", "unknown agency"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "line", "field", "reason"), BAD_CASES, ids=[c[2] + ":" + c[3] for c in BAD_CASES])
def test_bad_records_are_rejected_with_reason_and_good_ones_load(
    db: Database, tmp_path: Path, name: str, line: str, field: str, reason: str
) -> None:
    data = small_dataset(tmp_path / "d")
    target = data / name
    good_lines = target.read_text().count("\n")
    target.write_text(target.read_text() + line + "\n", encoding="utf-8")
    rejects_file = tmp_path / "rejects.ndjson"
    report = _load(db, data, rejects_path=rejects_file)
    assert not report.ok
    rtype = name.split(".")[0]
    assert report.counts[rtype].rejected == 1
    assert report.counts[rtype].loaded == good_lines
    [rj] = report.rejects
    assert rj.file == str(target) and rj.line == good_lines + 1
    assert rj.field == field and reason in rj.reason, rj
    written = [json.loads(x) for x in rejects_file.read_text().splitlines()]
    assert written[0]["line"] == good_lines + 1 and written[0]["field"] == field


def test_file_level_problems(db: Database, tmp_path: Path) -> None:
    data = small_dataset(tmp_path / "d")
    (data / "vehicle.ndjson").write_text('{"x": 1}\n')
    bad = (data / "travel.ndjson").read_bytes() + b'{"source_system":"WMP","record_id":"T9","person_ref":"WMP/P1",'
    bad += b'"departure_date":"2024-08-01","destination":"ES","port":"M\xe1laga"}\n'
    (data / "travel.ndjson").write_bytes(bad)
    (data / "episode.ndjson").write_text(
        (data / "episode.ndjson").read_text() + (data / "episode.ndjson").read_text()
    )  # the same record twice
    report = _load(db, data)
    reasons = {(r.file.rsplit("/", 1)[-1], r.field): r.reason for r in report.rejects}
    assert "unknown record type 'vehicle'" in reasons[("vehicle.ndjson", "(file)")]
    assert "not UTF-8" in reasons[("travel.ndjson", "(record)")]
    assert "duplicate" in reasons[("episode.ndjson", "record_id")]
    assert report.counts["travel"].loaded == 1 and report.counts["episode"].loaded == 1


def test_missing_path_is_an_input_error(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ingest.InputError, match="no such file"):
        _load(db, tmp_path / "nope")


def test_rejected_reference_target_is_named(db: Database, tmp_path: Path) -> None:
    data = small_dataset(tmp_path / "d")
    lines = (data / "person.ndjson").read_text().splitlines()
    lines[1] = lines[1].replace('"1980-10-06"', '"2199-10-06"')  # P2 now rejected: DOB in the future
    (data / "person.ndjson").write_text("\n".join(lines) + "\n")
    report = _load(db, data)
    reasons = [r.reason for r in report.rejects if r.uid == "WMP/V2"]
    assert reasons and "which was rejected" in reasons[0] and "person.ndjson:2" in reasons[0]


def test_batches_commit_whole(db: Database, small: Path) -> None:
    """A batch whose transaction fails leaves nothing of itself behind."""
    from ingest.writes import write_batch

    _load(db, small)
    count_before = _one(db, "MATCH (n) RETURN count(n) AS n")
    from ingest.records import TravelRecord

    recs = [TravelRecord(source_system="WMP", record_id=f"TX{i}", person_ref="WMP/P1", departure_date="2024-01-01",
                         destination="FR") for i in range(5)]  # fmt: skip

    class Boom(Exception):
        pass

    from ingest.writes import batch_work

    work = batch_work("travel", recs, batch_id="b", at=__import__("datetime").datetime.now())

    def failing(tx):  # type: ignore[no-untyped-def]
        work(tx)
        raise Boom

    with pytest.raises(Boom):
        db.execute_write(failing)
    assert _one(db, "MATCH (n) RETURN count(n) AS n") == count_before
    write_batch(db, "travel", recs, batch_id="b", at=__import__("datetime").datetime.now())
    assert _one(db, "MATCH (n:Travel) WHERE n.uid STARTS WITH 'WMP/TX' RETURN count(n) AS n") == {"n": 5}


def test_generated_tiny_scale_loads_without_rejects(db: Database, tiny_data: Path) -> None:
    manifest = json.loads((tiny_data / "manifest.json").read_text())
    report = _load(db, tiny_data)
    assert report.ok, report.rejects[:5]
    for rtype, n in manifest["counts"].items():
        assert report.counts[rtype].read == n
    stats = register_stats(db)
    incidents = {json.loads(x)["record_id"] for x in (tiny_data / "incident.ndjson").read_text().splitlines()}
    assert stats.nodes["Incident"] == len(incidents)  # later versions of a record update it
    assert stats.batches[0].batch_id == report.batch_id and stats.batches[0].status == "completed"
