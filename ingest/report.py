"""What an ingest run reports: counts per record type, every reject with its reason, the batch id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from pydantic import BaseModel, Field


class Reject(BaseModel):
    """One reason one record (or one file) was not loaded."""

    file: str
    line: int = Field(description="Line number in the file (CSV: the row's first line; 0: the whole file).")
    record_type: str | None = None
    uid: str | None = None
    field: str = Field(description="The field at fault, '(record)' for the record as a whole, '(file)' for a file.")
    reason: str
    raw: str | None = Field(default=None, description="The record as it was read, for correction and resubmission.")

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class TypeCounts(BaseModel):
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    skipped: int = 0


class IngestReport(BaseModel):
    """The outcome of one `ingest.load` call."""

    batch_id: str
    resumed: bool = Field(default=False, description="The batch had been started before and not finished.")
    already_loaded: bool = Field(default=False, description="The same files had been loaded completely before.")
    files: list[str] = []
    counts: dict[str, TypeCounts] = {}
    rejects: list[Reject] = []
    notes: list[str] = Field(default=[], description="Records accepted but not represented in the graph, and why.")
    rejects_file: str | None = None
    persons_linked: int = 0
    alerts_raised: int | None = Field(default=None, description="New alerts the batch raised (None: not evaluated).")
    seconds: float = 0.0

    @property
    def total(self) -> TypeCounts:
        out = TypeCounts()
        for c in self.counts.values():
            out.read += c.read
            out.loaded += c.loaded
            out.rejected += c.rejected
            out.skipped += c.skipped
        return out

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.rejects

    @property
    def rate(self) -> float:
        return self.total.read / self.seconds if self.seconds > 0 else 0.0

    def count(self, record_type: str) -> TypeCounts:
        return self.counts.setdefault(record_type, TypeCounts())


class RejectsWriter:
    """Writes rejects as NDJSON, one object per reason, opening the file only when the first one comes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def write(self, reject: Reject) -> None:
        if self.path is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("w", encoding="utf-8")
        self._fh.write(json.dumps(reject.model_dump(), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        elif self.path is not None and self.path.exists():
            self.path.write_text("", encoding="utf-8")  # no rejects this time: no stale ones either
