"""Ingest: an agency submits a batch of records in the interchange format (docs/data-format.md).

``POST /api/v1/ingest`` takes the batch as a multipart upload, one file part per file, each named after its
record type (``person.ndjson``, ``incident.csv``, ...), or a single file as the raw body
(``application/x-ndjson`` or ``text/csv``) with its name in ``?file_name=``. The files go to a private
temporary folder and ``ingest.load`` reads them there: the same validation, identity stage and after-batch
stage (alerts, then flags: ``queries.stages.after_batch``) as ``spr ingest``. Every batch is audited; its
report comes back with every reject.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, Query, Request
from neo4j.exceptions import DriverError, Neo4jError
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.types import Message

from api.audit import AuditEvent, append
from api.auth import User
from api.deps import DbDep, require
from api.errors import problem
from ingest import DEFAULT_BATCH_SIZE, IngestReport, InputError, Reject, TypeCounts, identity_exact, load
from ingest.pipeline import resolve_identities
from ingest.records import CSV_SUFFIX, NDJSON_SUFFIX
from queries.stages import after_batch
from spr.db import Database, DatabaseUnavailable
from spr.settings import get_settings

router = APIRouter(tags=["ingest"])

# The identity stage run on the batch's person records, as `spr ingest --identity`.
IDENTITY_STAGES: dict[str, Callable[[Database, Sequence[str]], object]] = {
    "model": resolve_identities,
    "exact": identity_exact.resolve,
}
MAX_FILES = 100
# A bare file name: no folders, no leading dot; the record type is the name up to the first dot.
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"})
CSV_TYPES = frozenset({"text/csv"})
EXAMPLE_NAMES = f"e.g. person{NDJSON_SUFFIX} or incident{CSV_SUFFIX}"


class IngestResult(BaseModel):
    """What the load did: counts per record type, every reject with its file, line, field and reason."""

    batch_id: str = Field(description="The IngestBatch; the same files (names and bytes) give the same id.")
    ok: bool = Field(description="Nothing was rejected.")
    already_loaded: bool = Field(description="The same files had been loaded completely before: nothing changed.")
    resumed: bool = Field(description="The batch had been started before and not finished; this run finished it.")
    files: list[str]
    counts: dict[str, TypeCounts] = Field(description="Per record type: read, loaded, rejected, skipped.")
    total: TypeCounts
    rejects: list[Reject]
    notes: list[str] = Field(description="Records accepted but not represented in the graph, and why.")
    persons_linked: int
    alerts_raised: int | None = Field(
        description="New alerts the batch raised; null when not evaluated: the batch was loaded before, or it is "
        "the first load into an empty register (history, not news; a note says so)."
    )
    seconds: float


class _TooLarge(Exception):
    pass


class _Unsupported(Exception):
    pass


class _Unreadable(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": (
        "The batch: a multipart upload with one file part per file (field `files`, repeated), each file named "
        f"after its record type ({EXAMPLE_NAMES}); or one file as the raw body, with its name in `file_name`."
    ),
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "properties": {
                    "files": {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": f"Interchange files, each named after its record type ({EXAMPLE_NAMES}).",
                    }
                },
            }
        },
        "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
        "text/csv": {"schema": {"type": "string", "format": "binary"}},
    },
}


@router.post(
    "/ingest",
    response_model=IngestResult,
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        413: {"description": "The upload is larger than SPR_INGEST_MAX_BYTES"},
        415: {"description": "Neither a multipart upload nor NDJSON or CSV"},
        422: {"description": "The upload cannot be read (no files, a bad file name, broken multipart)"},
        503: {"description": "The database is unavailable (Retry-After)"},
    },
)
async def submit_batch(
    request: Request,
    db: DbDep,
    user: Annotated[User, Depends(require("ingest"))],
    identity: Annotated[
        Literal["model", "exact"],
        Query(description="Identity stage: 'model' (probabilistic matching) or 'exact' (PNC id only)"),
    ] = "model",
    file_name: Annotated[
        str | None,
        Query(max_length=200, description=f"The file's name when the body is one raw file ({EXAMPLE_NAMES})"),
    ] = None,
) -> Any:
    """Validate and load a batch of records; rejects come back with file, line, field and reason.

    A batch with rejects is still a 200: the good records are loaded and `ok` is false. Submitting the same
    files again changes nothing (`already_loaded`), and raises no alert twice."""
    limit = get_settings().ingest_max_bytes
    with tempfile.TemporaryDirectory(prefix="spr-ingest-") as tmp:
        folder = Path(tmp)
        try:
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise _TooLarge
            names = await _receive(request, folder, limit, file_name)
        except _TooLarge:
            await _audit(db, request, user, "ingest", "refused: too large")
            return problem(
                413,
                "Content Too Large",
                f"The upload is larger than {limit:,} bytes, the most one request may carry "
                "(SPR_INGEST_MAX_BYTES). Split the batch into several requests, or load it with `spr ingest`.",
                instance=request.url.path,
            )
        except _Unreadable as exc:
            await _audit(db, request, user, "ingest", f"refused: {exc.message}"[:500])
            return problem(
                422,
                "Unprocessable Content",
                f"The upload cannot be read: {exc.message}",
                instance=request.url.path,
                errors=[{"field": exc.field, "message": exc.message, "type": "upload"}],
            )
        except _Unsupported as exc:
            return problem(415, "Unsupported Media Type", str(exc), instance=request.url.path)

        try:
            report = await run_in_threadpool(
                load,
                db,
                [folder],
                batch_size=DEFAULT_BATCH_SIZE,
                rejects_path=None,
                progress=False,
                resolver=IDENTITY_STAGES[identity],
                after_load=after_batch,
            )
        except InputError as exc:
            message = str(exc).replace(f"{folder}{os.sep}", "").replace(str(folder), "the upload")
            await _audit(db, request, user, "ingest: " + ", ".join(names), f"refused: {message}"[:500])
            return problem(
                422,
                "Unprocessable Content",
                f"The upload cannot be read: {message}",
                instance=request.url.path,
                errors=[{"field": "files", "message": message, "type": "upload"}],
            )
        except (DatabaseUnavailable, Neo4jError, DriverError) as exc:
            await _audit(db, request, user, "ingest: " + ", ".join(names), f"failed: {exc.__class__.__name__}")
            raise
    result = _result(report, folder)
    t = result.total
    outcome = (
        "already loaded: nothing changed"
        if result.already_loaded
        else f"read {t.read}, loaded {t.loaded}, rejected {t.rejected}, skipped {t.skipped}; "
        + ("alerts not evaluated" if result.alerts_raised is None else f"{result.alerts_raised} new alert(s)")
    )
    await _audit(db, request, user, f"{result.batch_id}: " + ", ".join(result.files), outcome)
    return result


async def _receive(request: Request, folder: Path, limit: int, file_name: str | None) -> list[str]:
    """Write the uploaded files into ``folder``; returns their names. The body is read at most to ``limit``."""
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
        return message

    # Without "app" in its scope, Starlette raises the parser's own errors rather than a 400.
    bounded = Request({k: v for k, v in request.scope.items() if k != "app"}, receive)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        if file_name is not None:
            raise _Unreadable("file_name", "file_name is for a single raw file; a multipart upload names its files")
        return await _receive_multipart(bounded, folder)
    if media in NDJSON_TYPES or media in CSV_TYPES:
        suffix = NDJSON_SUFFIX if media in NDJSON_TYPES else CSV_SUFFIX
        name = _check_name("file_name", file_name or "")
        if not name.lower().endswith(suffix):
            raise _Unreadable("file_name", f"{name!r} does not end in {suffix}, as a {media} body must")
        with (folder / name).open("wb") as out:
            async for chunk in bounded.stream():
                await run_in_threadpool(out.write, chunk)
        return [name]
    raise _Unsupported(
        f"Send the batch as multipart/form-data (one part per file, {EXAMPLE_NAMES}) or one file as "
        f"application/x-ndjson or text/csv with ?file_name=; got {media or 'no Content-Type'}"
    )


async def _receive_multipart(request: Request, folder: Path) -> list[str]:
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
    except MultiPartException as exc:
        raise _Unreadable("files", f"not a readable multipart upload ({exc.message})") from exc
    try:
        names: list[str] = []
        for i, (field, value) in enumerate(form.multi_items()):
            where = f"files[{i}]" if field == "files" else field
            if not isinstance(value, UploadFile):
                raise _Unreadable(
                    where,
                    f"part {field!r} is not a file; send each file as a file part with its name "
                    f"(curl -F files=@person{NDJSON_SUFFIX})",
                )
            name = _check_name(where, value.filename or "")
            if name.lower() in (n.lower() for n in names):
                raise _Unreadable(where, f"{name!r} is in the upload twice")
            await run_in_threadpool(_save, value.file, folder / name)
            names.append(name)
        if not names:
            raise _Unreadable("files", f"no files in the upload; send one file part per file ({EXAMPLE_NAMES})")
        return names
    finally:
        await form.close()


def _check_name(field: str, raw: str) -> str:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        raise _Unreadable(field, f"a file needs a name, after its record type ({EXAMPLE_NAMES})")
    if not FILE_NAME.match(name):
        raise _Unreadable(
            field, f"{name[:200]!r} is not a usable file name: letters, digits, '.', '_' and '-' only ({EXAMPLE_NAMES})"
        )
    if not name.lower().endswith((NDJSON_SUFFIX, CSV_SUFFIX)):
        raise _Unreadable(field, f"{name!r} is not an interchange file (expected {NDJSON_SUFFIX} or {CSV_SUFFIX})")
    return name


def _save(src: BinaryIO, dest: Path) -> None:
    src.seek(0)
    with dest.open("wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)


def _result(report: IngestReport, folder: Path) -> IngestResult:
    """The report with the temporary folder taken out of file names and messages (the uploads' names stay)."""
    prefix = f"{folder}{os.sep}"

    def strip(text: str) -> str:
        return text.replace(prefix, "")

    rejects = [rj.model_copy(update={"file": strip(rj.file), "reason": strip(rj.reason)}) for rj in report.rejects]
    return IngestResult(
        batch_id=report.batch_id,
        ok=report.ok,
        already_loaded=report.already_loaded,
        resumed=report.resumed,
        files=[strip(f) for f in report.files],
        counts=report.counts,
        total=report.total,
        rejects=rejects,
        notes=report.notes,
        persons_linked=report.persons_linked,
        alerts_raised=report.alerts_raised,
        seconds=round(report.seconds, 3),
    )


async def _audit(db: Database, request: Request, user: User, subject: str, outcome: str) -> None:
    event = AuditEvent(
        username=user.username,
        roles=list(user.roles),
        action=f"{request.method} {request.url.path}",
        subject=subject[:500],
        client=request.client.host if request.client else None,
        outcome=outcome,
    )
    try:
        await run_in_threadpool(append, db, event)
    except (DatabaseUnavailable, Neo4jError, DriverError):
        if not outcome.startswith("failed"):
            raise
