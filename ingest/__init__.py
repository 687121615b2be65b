"""Ingest: the interchange format, validation, identity resolution and idempotent graph writes.

``load(db, paths)`` is the one entry point: the `spr ingest` command and the API both call it.
"""

from ingest.pipeline import DEFAULT_BATCH_SIZE, IngestAborted, load
from ingest.reader import LOAD_ORDER, InputError
from ingest.report import IngestReport, Reject, TypeCounts

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "LOAD_ORDER",
    "IngestAborted",
    "IngestReport",
    "InputError",
    "Reject",
    "TypeCounts",
    "load",
]
