"""`spr backup` and `spr restore` on real local servers: the tiny scale loaded into one server, backed up,
restored into a fresh server, and the two compared label by label, type by type and property by property;
the refusals and the failures that must leave the database as it was."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from graph_schema.apply import apply_schema
from ingest import identity_exact, load
from spr.backup import BackupError, backup, restore
from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, throwaway_instance
from spr.settings import Settings
from tests.ingest.conftest import assert_same_graph, graph_dump

if TYPE_CHECKING:
    from tests.conftest import TestServer

pytestmark = pytest.mark.slow


def local_layout(root: Path) -> Instance:
    """A project folder of its own (SPR_NEO4J_DIR) sharing the installed Neo4j, with a throwaway 'main'."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dist").symlink_to((Settings().neo4j_dir / "dist").resolve())
    return throwaway_instance(root, root / "instances" / "main")


def connect(inst: Instance) -> Database:
    return Database.connect(ConnectionInfo(inst.bolt_uri("neo4j"), "neo4j", inst.password(), "neo4j", True))


def spr(neo4j_dir: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_") and k != "SPR_DEMO"}
    env.update(SPR_NEO4J_DIR=str(neo4j_dir), COLUMNS="250", **env_extra)
    return subprocess.run(
        [sys.executable, "-c", "from spr.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def snapshot(db: Database) -> dict[str, Any]:
    """Node counts per label, relationship counts per type, the schema, and every property of everything."""
    labels = db.read("MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label")
    types = db.read("MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY type")
    schema = db.read("SHOW INDEXES YIELD name, type, state RETURN name, type, state ORDER BY name")
    constraints = db.read("SHOW CONSTRAINTS YIELD name RETURN name ORDER BY name")
    return {
        "labels": {r["label"]: r["n"] for r in labels},
        "types": {r["type"]: r["n"] for r in types},
        "indexes": schema,
        "constraints": [r["name"] for r in constraints],
        "dump": graph_dump(db),  # clock values too: a restore must bring back the very same values
    }


def assert_same_snapshot(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["labels"] == b["labels"]
    assert a["types"] == b["types"]
    assert a["constraints"] == b["constraints"]
    assert a["indexes"] == b["indexes"]
    assert_same_graph(a["dump"], b["dump"])


@pytest.fixture(scope="module")
def source(neo4j_server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """A local server holding the generator's tiny scale, loaded with ingest.load (exact identity stage)."""
    if neo4j_server.instance is None:
        pytest.skip("the project's own Neo4j is not in use")
    from synthetic import generate

    data = tmp_path_factory.mktemp("tiny-data")
    generate(scale="tiny", seed=3, out=data, progress=False)
    inst = local_layout(tmp_path_factory.mktemp("source") / "neo4j")
    try:
        inst.start(log=lambda _m: None)
        with connect(inst) as db:
            apply_schema(db)
            report = load(db, [data], rejects_path=None, progress=False, resolver=identity_exact.resolve)
            assert report.total.loaded > 2000, report.total
        yield inst
    finally:
        inst.destroy()


@pytest.fixture(scope="module")
def backed_up(source: Instance, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, Any]]:
    """`spr backup --out FOLDER/` run on the source server: the file, the command's result, the state then."""
    with connect(source) as db:
        before = snapshot(db)
    folder = tmp_path_factory.mktemp("backups")
    out = spr(source.neo4j_dir, "backup", "--out", f"{folder}/")
    assert out.returncode == 0, out.stderr
    dumps = list(folder.glob("*.dump"))
    assert len(dumps) == 1, list(folder.iterdir())
    return dumps[0], out, before


def test_backup_then_restore_into_a_fresh_server_gives_the_same_graph(
    source: Instance, backed_up: tuple[Path, Any, dict[str, Any]], tmp_path: Path
) -> None:
    dump, out, before = backed_up
    # The command says what it did to the server, and the server is back with the same data.
    assert "Stopping the local Neo4j for the dump" in out.stderr and "Starting the local Neo4j again" in out.stderr
    assert "stopped for the dump and has been started again" in out.stdout
    assert "Backed up database 'neo4j'" in out.stdout
    assert source.status().running
    with connect(source) as db:
        assert_same_snapshot(before, snapshot(db))
    manifest = dump.with_name(dump.name + ".json")
    assert manifest.is_file()
    recorded = json.loads(manifest.read_text())
    assert recorded["nodes"] == sum(1 for _ in before["dump"]["nodes"])
    assert recorded["relationships"] == sum(1 for _ in before["dump"]["rels"])
    assert recorded["bytes"] == dump.stat().st_size and len(recorded["sha256"]) == 64

    # A fresh server (set up, never started) gets the backup.
    fresh = local_layout(tmp_path / "fresh")
    try:
        done = spr(fresh.neo4j_dir, "restore", str(dump))
        assert done.returncode == 0, done.stderr
        assert "counts match the backup's manifest" in done.stdout
        assert "started with the restored database" in done.stdout
        assert fresh.status().running
        with connect(fresh) as db:
            after = snapshot(db)
        assert sum(before["labels"].values()) > 1500 and len(before["types"]) > 10
        assert_same_snapshot(before, after)

        # It holds data now: a second restore is refused without --force, and changes nothing.
        again = spr(fresh.neo4j_dir, "restore", str(dump))
        assert again.returncode == 2
        assert "holds data" in again.stderr and "--force" in again.stderr and "Traceback" not in again.stderr
        assert fresh.status().running
    finally:
        fresh.destroy()


def test_a_damaged_or_failing_restore_leaves_the_database_as_it_was(
    source: Instance, backed_up: tuple[Path, Any, dict[str, Any]], tmp_path: Path
) -> None:
    dump, _, before = backed_up
    half = dump.read_bytes()[: dump.stat().st_size // 2]
    pid = source.status().pid

    # Cut short, with the manifest beside it: refused before the server is touched.
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(half)
    damaged.with_name("damaged.dump.json").write_text(dump.with_name(dump.name + ".json").read_text())
    with pytest.raises(BackupError, match="manifest records .* incomplete"):
        restore(source, damaged, force=True, log=lambda _m: None)
    assert source.status().pid == pid

    # Cut short with no manifest: the header reads well, the load fails part way; the old database is kept.
    bare = tmp_path / "bare.dump"
    bare.write_bytes(half)
    messages: list[str] = []
    with pytest.raises(BackupError, match="could not load .* unchanged"):
        restore(source, bare, force=True, log=messages.append)
    assert any("No manifest" in m for m in messages)
    assert source.status().running
    with connect(source) as db:
        assert_same_snapshot(before, snapshot(db))
    assert not list((source.home / "data").glob(".spr-restore-previous-*"))


def test_clear_errors(source: Instance, backed_up: tuple[Path, Any, dict[str, Any]], tmp_path: Path) -> None:
    dump, _, _ = backed_up
    root = source.neo4j_dir

    missing = spr(root, "restore", str(tmp_path / "nothing.dump"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    folder = spr(root, "restore", str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
    text = tmp_path / "notes.dump"
    text.write_text("not a database\n" * 50)
    wrong = spr(root, "restore", str(text), "--force")
    assert wrong.returncode == 2 and "is not a Neo4j database dump" in wrong.stderr, wrong.stderr
    exists = spr(root, "backup", "--out", str(dump))
    assert exists.returncode == 2 and "already exists" in exists.stderr

    remote = spr(root, "backup", "--out", str(tmp_path), NEO4J_URI="neo4j://db.example:7687", NEO4J_PASSWORD="x" * 20)
    assert remote.returncode == 2 and "NEO4J_URI" in remote.stderr and "local Neo4j" in remote.stderr
    unset = tmp_path / "unset"
    (unset / "dist").parent.mkdir(parents=True)
    (unset / "dist").symlink_to((Settings().neo4j_dir / "dist").resolve())
    no_instance = spr(unset, "backup", "--out", str(tmp_path))
    assert no_instance.returncode == 2 and "has not been set up" in no_instance.stderr
    never = local_layout(tmp_path / "never")
    with pytest.raises(BackupError, match="never been started"):
        backup(never, tmp_path, log=lambda _m: None)

    # A Neo4j answers on the instance's port but spr has no record of starting it: it runs elsewhere.
    pid_file = source.pid_file.read_text()
    source.pid_file.unlink()
    try:
        elsewhere = spr(root, "backup", "--out", str(tmp_path))
        assert elsewhere.returncode == 2 and "runs elsewhere" in elsewhere.stderr, elsewhere.stderr
    finally:
        source.pid_file.write_text(pid_file)
    assert not list(tmp_path.glob("spr-*.dump"))  # nothing was written by the refused backups
