"""Streaming writers: one file per record type, rows written as they are made."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from ingest.records import LIST_SEPARATOR, RECORD_TYPES, csv_name, ndjson_name

FORMATS = ("ndjson", "csv")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


class RecordWriter:
    """Writes records of every type under one directory, in NDJSON or CSV."""

    def __init__(self, directory: Path, fmt: str = "ndjson", *, header: bool = True) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}")
        self.directory = directory
        self.fmt = fmt
        self.header = header
        self.counts: dict[str, int] = dict.fromkeys(RECORD_TYPES, 0)
        self._files: dict[str, IO[str]] = {}
        self._csv: dict[str, Any] = {}
        directory.mkdir(parents=True, exist_ok=True)

    def _open(self, rtype: str) -> IO[str]:
        name = ndjson_name(rtype) if self.fmt == "ndjson" else csv_name(rtype)
        fh = (self.directory / name).open("w", encoding="utf-8", newline="")
        self._files[rtype] = fh
        if self.fmt == "csv":
            w = csv.writer(fh, lineterminator="\n")
            if self.header:
                w.writerow(RECORD_TYPES[rtype].columns())
            self._csv[rtype] = w
        return fh

    def write(self, rtype: str, row: dict[str, Any]) -> None:
        """Write one record. ``row`` holds JSON-ready values; missing optional fields may be absent."""
        fh = self._files.get(rtype) or self._open(rtype)
        self.counts[rtype] += 1
        if self.fmt == "ndjson":
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
        else:
            self._csv[rtype].writerow([_cell(row.get(c)) for c in RECORD_TYPES[rtype].columns()])

    def write_many(self, rtype: str, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.write(rtype, row)

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()
        self._files.clear()


def file_name(rtype: str, fmt: str) -> str:
    return ndjson_name(rtype) if fmt == "ndjson" else csv_name(rtype)
