"""Backups of the local Neo4j: ``neo4j-admin database dump`` and ``database load``, with the care they need.

Neo4j Community dumps and loads only a database that is not running (online backup is an Enterprise
feature), so a backup stops the local server, dumps, and starts it again; a restore stops it, loads and
starts it. Each backup file ``X.dump`` gets a manifest ``X.dump.json`` (size, SHA-256, Neo4j version, node
and relationship counts): a restore checks the file against it before it touches the database, and
checks the counts after. A restore never destroys the database in place before the new one has loaded:
the old store is moved aside and put back if the load fails (``neo4j-admin database load`` with
``--overwrite-destination`` would have deleted it first, leaving half a database after a bad file).

Only the local server the project runs is handled here. A server at ``NEO4J_URI`` (another machine, a
cluster, Aura) is backed up by its own means: docs/operations.md and docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

from spr.db import ConnectionInfo, Database
from spr.localserver import Instance, LocalServerError, ServerStatus, installed_version
from spr.settings import Settings

MANIFEST_FORMAT = "spr-neo4j-backup/1"
# Neo4j database names: a letter, then letters, digits, dots and dashes (no globbing characters).
DATABASE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9.\-]{0,62}")

# Nodes every freshly set-up register holds (`spr schema apply`): they do not make a database "hold data".
HOLDS_DATA: LiteralString = (
    "MATCH (n) WHERE NOT n:SchemaVersion AND NOT (n:Agency AND n.source_system = 'REFERENCE') RETURN 1 AS any LIMIT 1"
)
# Both counts come from Neo4j's count store: constant time at any size.
NODE_COUNT: LiteralString = "MATCH (n) RETURN count(n) AS n"
RELATIONSHIP_COUNT: LiteralString = "MATCH ()-[r]->() RETURN count(r) AS n"


class BackupError(LocalServerError):
    """A backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: Path
    bytes: int
    sha256: str
    nodes: int | None
    relationships: int | None
    stopped_and_started: bool
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    nodes: int
    relationships: int
    replaced_data: bool
    manifest_checked: bool
    stopped_for_load: bool  # False: the server was not running and has been started with the restored database
    seconds: float


def local_instance(settings: Settings) -> Instance:
    """The local instance backups work on; refused when the register is pointed at another server."""
    if settings.neo4j_uri:
        raise BackupError(
            f"spr backup and spr restore work on the local Neo4j this project runs, and NEO4J_URI points the "
            f"register at {settings.neo4j_uri}: back that server up by its own means (neo4j-admin on its "
            "machine, online backup on Enterprise, snapshots on Aura; see docs/operations.md), or unset NEO4J_URI"
        )
    from spr.localserver import main_instance

    return main_instance(settings.neo4j_dir)


# ---------------------------------------------------------------------------------------------------- backup


def backup(
    instance: Instance, out: Path | str, *, database: str = "neo4j", log: Callable[[str], None] = print
) -> BackupResult:
    """Dump the local database to a file (``out`` a file, or a folder to put a dated file in) and a manifest.

    A running server is stopped for the dump and started again; a stopped one is left stopped.
    """
    t0 = time.monotonic()
    _check_name(database)
    st = _usable(instance)
    if not _store_dir(instance, database).is_dir():
        raise BackupError(
            f"the local Neo4j has no database '{database}' yet (it has never been started): nothing to back up"
        )
    target = _target_file(out, database)
    nodes = relationships = None
    if st.running:
        with _connect(instance, database) as db:
            nodes, relationships = _counts(db)
    staging = Path(tempfile.mkdtemp(prefix=".spr-backup-", dir=target.parent))
    try:
        if st.running:
            log(
                "Stopping the local Neo4j for the dump: Neo4j Community can dump only a stopped database, "
                "so the register is unavailable until it has started again"
            )
            instance.stop(log=log)
        try:
            proc = instance.admin(["database", "dump", database, f"--to-path={staging}"])
        finally:
            if st.running:
                log("Starting the local Neo4j again")
                instance.start(log=log)
        if proc.returncode != 0:
            raise BackupError(_admin_failure("dump", database, proc.stdout + proc.stderr))
        dumped = staging / f"{database}.dump"
        if not dumped.is_file():
            raise BackupError(f"neo4j-admin reported success but wrote no {dumped.name}")
        size, digest = dumped.stat().st_size, _sha256(dumped)
        os.replace(dumped, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    manifest = _manifest_path(target)
    manifest.write_text(
        json.dumps(
            {
                "format": MANIFEST_FORMAT,
                "file": target.name,
                "bytes": size,
                "sha256": digest,
                "database": database,
                "neo4j_version": installed_version(instance.neo4j_dir),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "nodes": nodes,
                "relationships": relationships,
            },
            indent=2,
        )
        + "\n"
    )
    return BackupResult(
        target, manifest, size, digest, nodes, relationships, st.running, round(time.monotonic() - t0, 1)
    )


def _target_file(given: Path | str, database: str) -> Path:
    """``given`` names the file, or a folder (one that exists, or any path written with a trailing slash)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(given)
    if out.is_dir() or str(given).endswith(("/", os.sep)):
        out.mkdir(parents=True, exist_ok=True)
        out = out / f"spr-{database}-{stamp}.dump"
    if out.exists():
        raise BackupError(f"{out} already exists: a backup never overwrites a file; choose another name or a folder")
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    return out.resolve()


# --------------------------------------------------------------------------------------------------- restore


def restore(
    instance: Instance,
    file: Path | str,
    *,
    database: str = "neo4j",
    force: bool = False,
    log: Callable[[str], None] = print,
) -> RestoreResult:
    """Replace the local database with a dump written by ``backup`` (or by ``neo4j-admin database dump``).

    Refused when the database holds data unless ``force``. The file is checked (its manifest's size and
    SHA-256 when there is one, and the archive header with neo4j-admin) before the server is touched; the
    server is started afterwards and the restored counts are checked against the manifest.
    """
    t0 = time.monotonic()
    _check_name(database)
    path = Path(file)
    if not path.exists():
        raise BackupError(f"{path}: no such file")
    if path.is_dir():
        raise BackupError(f"{path} is a folder: give the backup file itself (the .dump file spr backup wrote)")
    st = _usable(instance)
    manifest = _read_manifest(path)
    if manifest is not None:
        _check_against_manifest(path, manifest)
    with _staged(path, database) as source:
        info = instance.admin(["database", "load", "--info", f"--from-path={source}", database])
        if info.returncode != 0:
            why = _admin_reason(info.stdout + info.stderr)
            raise BackupError(f"{path} is not a Neo4j database dump ({why})")
        if manifest is None:
            log(
                f"No manifest ({_manifest_path(path).name}) beside {path.name}: only the archive's header can be "
                "checked before loading; the database in place is kept until the load has succeeded"
            )
        running = st.running
        if not force and (running or _store_dir(instance, database).is_dir()):
            if not running:
                log("Starting the local Neo4j to check that its database holds no data")
                instance.start(log=log)
                running = True
            with _connect(instance, database) as db:
                if db.read(HOLDS_DATA):
                    nodes, rels = _counts(db)
                    raise BackupError(
                        f"the local database '{database}' holds data ({nodes:,} nodes, {rels:,} relationships) "
                        "and a restore replaces all of it: back it up first (spr backup), then run the restore "
                        "again with --force"
                    )
        replaced = _store_dir(instance, database).is_dir()
        if running:
            log(
                "Stopping the local Neo4j for the load: Neo4j Community can load only into a stopped database, "
                "so the register is unavailable until it has started again"
            )
            instance.stop(log=log)
        try:
            _load_keeping_previous(instance, source, database, log)
        finally:
            log("Starting the local Neo4j")
            instance.start(log=log)
    with _connect(instance, database) as db:
        nodes, rels = _counts(db)
    recorded = (manifest or {}).get("nodes"), (manifest or {}).get("relationships")
    if recorded[0] is not None and (nodes, rels) != recorded:
        raise BackupError(
            f"the restored database holds {nodes:,} nodes and {rels:,} relationships, but the backup recorded "
            f"{recorded[0]:,} and {recorded[1]:,}: the restore is not trustworthy"
        )
    seconds = round(time.monotonic() - t0, 1)
    return RestoreResult(path.resolve(), nodes, rels, replaced, manifest is not None, running, seconds)


def _load_keeping_previous(instance: Instance, source: Path, database: str, log: Callable[[str], None]) -> None:
    """Load into a stopped instance; the previous store is moved aside first and put back if the load fails."""
    parts = [_store_dir(instance, database), _tx_dir(instance, database)]
    aside = instance.home / "data" / f".spr-restore-previous-{database}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    moved: list[tuple[Path, Path]] = []
    for part in parts:
        if part.exists():
            keep = aside / part.parent.name
            keep.mkdir(parents=True, exist_ok=True)
            part.rename(keep / part.name)
            moved.append((part, keep / part.name))
    proc = instance.admin(["database", "load", "--overwrite-destination=true", f"--from-path={source}", database])
    if proc.returncode != 0:
        for part, kept in moved:
            shutil.rmtree(part, ignore_errors=True)
            kept.rename(part)
        shutil.rmtree(aside, ignore_errors=True)
        reason = _admin_failure("load", database, proc.stdout + proc.stderr)
        raise BackupError(f"{reason}. The database that was in place is unchanged")
    shutil.rmtree(aside, ignore_errors=True)
    if moved:
        log(f"Replaced the previous database '{database}'")


# --------------------------------------------------------------------------------------------------- helpers


def _check_name(database: str) -> None:
    if not DATABASE_NAME.fullmatch(database):
        raise BackupError(f"{database!r} is not a Neo4j database name")


def _usable(instance: Instance) -> ServerStatus:
    """The instance's status, when it is installed, set up, and not run by a process spr does not know."""
    st = instance.status()
    if not st.installed:
        raise BackupError("Neo4j is not installed: run `spr neo4j install` (or `make neo4j`)")
    if not st.configured:
        raise BackupError(
            f"the local Neo4j instance '{instance.name}' has not been set up: run `spr neo4j start` (or `make neo4j`)"
        )
    if not st.running and instance.bolt_answers():
        raise BackupError(
            f"a Neo4j answers on port {st.bolt_port}, but it is not the one spr started for instance "
            f"'{instance.name}' (it runs elsewhere: started by hand or from another checkout?); stop it first"
        )
    if st.running and not st.bolt_answers:
        raise BackupError("the local Neo4j is starting or not answering; wait, and check `spr neo4j status`")
    return st


def _store_dir(instance: Instance, database: str) -> Path:
    return instance.home / "data" / "databases" / database


def _tx_dir(instance: Instance, database: str) -> Path:
    return instance.home / "data" / "transactions" / database


def _connect(instance: Instance, database: str) -> Database:
    return Database.connect(ConnectionInfo(instance.bolt_uri("bolt"), "neo4j", instance.password(), database, True))


def _counts(db: Database) -> tuple[int, int]:
    return int(db.read(NODE_COUNT)[0]["n"]), int(db.read(RELATIONSHIP_COUNT)[0]["n"])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _read_manifest(path: Path) -> dict[str, Any] | None:
    mpath = _manifest_path(path)
    if not mpath.is_file():
        return None
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"the manifest {mpath} cannot be read ({exc}); move it away to restore without it") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{mpath} is not a backup manifest written by spr backup; move it away to restore without it")
    return manifest


def _check_against_manifest(path: Path, manifest: dict[str, Any]) -> None:
    size = path.stat().st_size
    if size != manifest.get("bytes"):
        raise BackupError(
            f"{path} has {size:,} bytes but its manifest records {manifest.get('bytes')}: the file is incomplete "
            "or not the one backed up; nothing was changed"
        )
    if _sha256(path) != manifest.get("sha256"):
        raise BackupError(
            f"{path} does not match the SHA-256 in its manifest: the file is damaged or not the one backed up; "
            "nothing was changed"
        )


@contextlib.contextmanager
def _staged(path: Path, database: str) -> Iterator[Path]:
    """A folder holding the file as ``<database>.dump``: the shape neo4j-admin's --from-path reads."""
    folder = Path(tempfile.mkdtemp(prefix="spr-restore-"))
    try:
        (folder / f"{database}.dump").symlink_to(path.resolve())
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _admin_reason(output: str) -> str:
    for pattern in (r"Failed to \w+[^:]*'[^']*': (.+)", r"ERROR \[[^\]]+\] (.+)"):
        m = re.search(pattern, output)
        if m:
            return m.group(1).strip()
    lines = [ln for ln in output.strip().splitlines() if ln.strip() and not ln.startswith("Files:")]
    return lines[-1].strip() if lines else "no output"


def _admin_failure(action: str, database: str, output: str) -> str:
    reason = _admin_reason(output)
    if "in use" in reason:
        return (
            f"neo4j-admin could not {action} database '{database}': its files are in use by a Neo4j that spr did "
            "not start for this instance (started by hand or from another checkout?); stop it first"
        )
    return f"neo4j-admin could not {action} database '{database}': {reason}"
