"""`spr ingest --bulk` (neo4j-admin database import) builds the same graph as the online load."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from graph_schema.apply import apply_schema
from ingest import identity_exact, load
from ingest.bulk import BulkImportError, bulk_load
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
    finally:
        inst.destroy()
        shutil.rmtree(tmp, ignore_errors=True)
