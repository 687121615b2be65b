"""`spr ingest --bulk` (neo4j-admin database import) builds the same graph as the online load."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graph_schema.apply import apply_schema
from ingest import identity_exact, load
from ingest.bulk import BulkImportError, bulk_load, write_import_files
from ingest.identity import resolve
from ingest.identity.graph import stored_outcome
from ingest.reader import discover
from ingest.report import RejectsWriter
from spr.db import ConnectionInfo, Database
from spr.localserver import throwaway_instance
from spr.settings import Settings
from tests.ingest.conftest import assert_same_graph, graph_dump


def _without_batch(dump: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: [x for x in v if "IngestBatch" not in x and "SchemaVersion" not in x] for k, v in dump.items()}


@pytest.mark.slow
def test_bulk_import_equals_online_load_and_refuses_a_full_database(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Later versions of two records, read in a later chunk than their first versions (chunks of two records
    # here): the import files hold the first version and the later one is written online afterwards.
    monkeypatch.setattr("ingest.bulk.CHUNK", 2)
    later = {"source_system": "WMP", "record_id": "P2", "record_version": 2, "first_name": "Leanne"}
    later |= {"last_name": "Sutton-Reid", "dob": "1980-10-06", "sex": "F"}
    with (small / "person.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(later) + "\n")
    tmp = Path(tempfile.mkdtemp(prefix="spr-test-bulk-"))
    inst = throwaway_instance(Settings().neo4j_dir, tmp / "bulk")
    try:
        inst.start(log=lambda _m: None)
        info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True)
        with Database.connect(info) as db:
            apply_schema(db)
        report = bulk_load(inst, [small], progress=False, log=lambda _m: None)
        assert report.ok and report.total.loaded == 24
        with Database.connect(info) as db:
            bulk = graph_dump(db, normalise_clock=True)
            with pytest.raises(BulkImportError, match="empty database"):
                bulk_load(inst, [small], progress=False, log=lambda _m: None)
            db.run_auto("MATCH (n) DETACH DELETE n")
            apply_schema(db)
            load(db, [small], progress=False, resolver=identity_exact.resolve)
            online = graph_dump(db, normalise_clock=True)
        assert any("Sutton-Reid" in x for x in bulk["nodes"]) and not any('"Sutton"' in x for x in bulk["nodes"])
        assert_same_graph(_without_batch(online), _without_batch(bulk))
        # With the server stopped the import would overwrite the register unseen: it is refused all the same.
        inst.stop(log=lambda _m: None)
        with pytest.raises(BulkImportError, match="empty database"):
            bulk_load(inst, [small], progress=False, log=lambda _m: None)
        assert not inst.status().running  # left as it was found
        inst.start(log=lambda _m: None)
        with Database.connect(info) as db:
            assert graph_dump(db, normalise_clock=True) == online
    finally:
        inst.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


def _with_rejects_and_versions(small: Path) -> Path:
    """The small load with records refused for every kind of reason, blank lines, a CSV file and later
    versions of records in the same and in later chunks."""
    with (small / "person.ndjson").open("a", encoding="utf-8") as fh:
        fh.write('{"source_system":"WMP","record_id":"B1","last_name":"X","dob":"20240101"}\n\n   \n')
        fh.write('{"source_system":"WMP","record_id":"B2","last_name":"X","last_name":"Y"}\n')
        fh.write('{"source_system":"WMP","record_id":"B3","last_name":"X"\n[1]\n')
        fh.write('{"source_system":"WMP","record_id":"P5","last_name":"Ng","shoe":"9"}\n')
        fh.write('{"source_system":"WMP","record_id":"P3","record_version":2,"last_name":"Hall-Day","sex":"F"}\n')
        fh.write('{"source_system":"WMP","record_id":"P1","last_name":"Byrne","sex":"M","pnc_id":"2001/0012345A"}\n')
        fh.write('{"source_system":"NOWHERE","record_id":"P6","last_name":"Agencyless"}\n')
    with (small / "involvement.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(
            '{"source_system":"WMP","record_id":"V7","incident_ref":"WMP/I1","person_ref":"WMP/B1","role":"VICTIM"}\n'
        )
        fh.write(
            '{"source_system":"WMP","record_id":"V8","incident_ref":"WMP/I1","person_ref":"WMP/P1","role":"VICTIM"}\n'
        )
        fh.write(
            '{"source_system":"WMP","record_id":"V9","incident_ref":"WMP/I3","person_ref":"WMP/P3","role":"OTHER"}\n'
        )
        fh.write('{"source_system":"WMP","record_id":"V5","record_version":2,"incident_ref":"WMP/I2",'
                 '"person_ref":"WMP/P2","role":"VICTIM"}\n')  # fmt: skip
    (small / "travel.csv").write_text(
        "source_system,record_id,person_ref,departure_date,destination\n"
        'WMP,T1,WMP/P2,2025-01-02,ES\nWMP,T2,WMP/P9,2025-01-02,FR\nWMP,T3,"WMP/P1",not-a-date,DE\nWMP,T4\n',
        encoding="utf-8",
    )
    return small


def test_import_files_and_rejects_are_the_same_with_any_number_of_workers(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ingest.bulk.CHUNK", 3)  # many chunks: versions and references across them
    files = discover([_with_rejects_and_versions(small)])
    at = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    out: dict[int, tuple[dict[str, bytes], str, Any]] = {}
    for workers in (1, 2, 3):
        root, rejects_path = tmp_path / f"w{workers}", tmp_path / f"rejects-{workers}.ndjson"
        root.mkdir()
        rejects = RejectsWriter(rejects_path)
        stage = write_import_files(files, root, batch_id="b", at=at, rejects=rejects, progress=False, workers=workers)
        rejects.close()
        stage.args = [a.replace(str(root), "ROOT") for a in stage.args]
        late = {t: [r.model_dump() for r in rs] for t, rs in stage.late.items()}
        summary = (stage.report.model_dump(), stage.args, late, stage.persons)
        out[workers] = ({p.name: p.read_bytes() for p in sorted(root.iterdir())}, rejects_path.read_text(), summary)
    report = out[1][2][0]
    assert report["counts"]["person"] == {"read": 12, "loaded": 6, "rejected": 6, "skipped": 0}
    assert [(r["field"], r["reason"][:20]) for r in report["rejects"]][:3] == [
        ("dob", "expected an ISO 8601"), ("last_name", "the field appears tw"), ("(record)", "truncated line: Expe"),
    ]  # fmt: skip
    assert {t: [r["record_id"] for r in rs] for t, rs in out[1][2][2].items()} == {
        "person": ["P3"],
        "involvement": ["V5"],
    }
    assert out[2] == out[1] and out[3] == out[1]


@pytest.mark.slow
def test_bulk_load_with_two_workers_loads_what_one_would_and_rejects_the_same(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The import files, rejects, report and later versions are byte for byte the same with any number of
    # workers (test_import_files_and_rejects_are_the_same_with_any_number_of_workers, no server needed), so
    # the graph neo4j-admin builds from them is too; here the whole load runs once, end to end, with two.
    monkeypatch.setattr("ingest.bulk.CHUNK", 3)
    data = _with_rejects_and_versions(small)
    tmp = Path(tempfile.mkdtemp(prefix="spr-test-bulk-"))
    inst = throwaway_instance(Settings().neo4j_dir, tmp / "bulk")
    try:
        inst.start(log=lambda _m: None)
        info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True)
        with Database.connect(info) as db:
            apply_schema(db)
        rejects = tmp_path / "rejects.ndjson"
        report = bulk_load(inst, [data], rejects_path=rejects, progress=False, log=lambda _m: None, workers=2)
        with Database.connect(info) as db:
            dump = graph_dump(db, normalise_clock=True)
        assert report.counts["involvement"].model_dump() == {"read": 10, "loaded": 7, "rejected": 2, "skipped": 1}
        assert report.counts["person"].model_dump() == {"read": 12, "loaded": 6, "rejected": 6, "skipped": 0}
        assert report.rejects and rejects.read_text().count("\n") == len(report.rejects)
        assert any("Hall-Day" in x for x in dump["nodes"])  # a later version from a later chunk, written online
    finally:
        inst.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.mark.slow
def test_identity_matched_in_the_import_files_builds_the_graph_an_online_resolution_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tenth of the demo scale (duplicates across forces, review-band pairs), and later versions read in a
    # later chunk: a person's new surname and an involvement's new incident, written online after the import.
    from synthetic import generate

    monkeypatch.setattr("ingest.bulk.CHUNK", 5_000)
    data = tmp_path / "data"
    generate(scale="demo", seed=1, out=data, progress=False, fraction=0.1)
    people = [json.loads(x) for x in (data / "person.ndjson").read_text(encoding="utf-8").splitlines() if x.strip()]
    involvements = [json.loads(x) for x in (data / "involvement.ndjson").read_text(encoding="utf-8").splitlines()]
    first, inv = people[0], involvements[0]
    with (data / "person.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({**first, "record_version": 2, "last_name": "Quennell-Ashby"}) + "\n")
    with (data / "involvement.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({**inv, "record_version": 2, "incident_ref": involvements[-1]["incident_ref"]}) + "\n")
    tmp = Path(tempfile.mkdtemp(prefix="spr-test-bulk-"))
    inst = throwaway_instance(Settings().neo4j_dir, tmp / "bulk")
    skip = frozenset({"IngestBatch", "SchemaVersion", "IdentityEvent", "AFFECTED"})
    try:
        inst.start(log=lambda _m: None)
        info = ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True)
        dumps, reports = [], []
        for offline in (True, False):
            with Database.connect(info) as db:
                db.run_auto("MATCH (n) DETACH DELETE n")
                apply_schema(db)
            report = bulk_load(inst, [data], progress=False, log=lambda _m: None, resolver=resolve,
                               match_offline=offline)  # fmt: skip
            with Database.connect(info) as db:
                if offline:
                    outcome = stored_outcome(db)
                    keyed = db.read("MATCH (r:PersonRecord) WHERE r.block_version IS NOT NULL RETURN count(r) AS n")
                dumps.append(graph_dump(db, normalise_clock=True, skip=skip))
            reports.append(report)
        assert reports[0].ok and reports[0].persons_linked == reports[1].persons_linked > 0
        assert outcome["pairs"] and outcome["reviews"] and any(len(p["records"]) > 1 for p in outcome["persons"])
        # every record's blocking keys, the later version's too
        assert keyed[0]["n"] == len({(x["source_system"], x["record_id"]) for x in people})
        assert any("Quennell-Ashby" in x for x in dumps[0]["nodes"])
        assert_same_graph(dumps[1], dumps[0])
    finally:
        inst.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
