"""Finding interchange files and reading them record by record, turning every unreadable line into a
reject rather than an exception: wrong encodings, truncated or malformed lines, unknown record types.

A file's record type is its name up to the first dot: ``person.ndjson``, ``incident.2025-03.csv``.
Folders are read one level deep (a generator's ``truth/`` folder beside the data is never loaded).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.records import CSV_SUFFIX, LIST_SEPARATOR, NDJSON_SUFFIX, RECORD_TYPES
from ingest.report import Reject

# Record types in dependency order: every reference points to a type earlier in this list.
LOAD_ORDER: tuple[str, ...] = (
    "agency",
    "person",
    "address",
    "incident",
    "involvement",
    "relationship",
    "outcome",
    "order",
    "breach",
    "notification",
    "episode",
    "assessment",
    "travel",
)
assert set(LOAD_ORDER) == set(RECORD_TYPES), "LOAD_ORDER must list every record type"

SUFFIXES = (NDJSON_SUFFIX, CSV_SUFFIX)


class InputError(ValueError):
    """A path given to the ingest cannot be used at all (missing, unreadable, no data files)."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    record_type: str | None  # None: the name matches no record type
    fmt: str  # "ndjson" | "csv"
    lines: int  # physical lines, for progress and time-left estimates
    sha256: str

    @functools.cached_property
    def name(self) -> str:
        return str(self.path)


@dataclass
class RawRecord:
    """One record as read: its data, or the reason it could not be read."""

    file: str
    line: int
    data: dict[str, Any] | None
    raw: str
    error: Reject | None = None


def record_type_of(path: Path) -> str | None:
    stem = path.name.split(".", 1)[0].strip().lower()
    return stem if stem in RECORD_TYPES else None


def _scan(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    lines = 0
    last = b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return lines, h.hexdigest()


def discover(paths: list[Path]) -> list[SourceFile]:
    """The data files under the given files and folders, in load (dependency) order, then by name."""
    found: list[Path] = []
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        if p.is_dir():
            found.extend(sorted(c for c in p.iterdir() if c.is_file() and c.suffix.lower() in SUFFIXES))
        elif p.suffix.lower() in SUFFIXES:
            found.append(p)
        else:
            raise InputError(f"{p}: not an interchange file (expected .ndjson or .csv)")
    seen: set[Path] = set()
    files: list[SourceFile] = []
    for p in found:
        rp = p.resolve()
        if rp in seen:
            continue
        seen.add(rp)
        lines, digest = _scan(p)
        fmt = "csv" if p.suffix.lower() == CSV_SUFFIX else "ndjson"
        files.append(SourceFile(p, record_type_of(p), fmt, lines, digest))
    if not files:
        raise InputError("no .ndjson or .csv files in " + ", ".join(str(p) for p in paths))
    order = {t: i for i, t in enumerate(LOAD_ORDER)}
    files.sort(key=lambda f: (order.get(f.record_type or "", len(order)), f.name))
    return files


def _reject(f: SourceFile, line: int, field: str, reason: str, raw: str = "") -> Reject:
    return Reject(file=f.name, line=line, record_type=f.record_type, field=field, reason=reason, raw=raw or None)


def _decode(f: SourceFile, line_no: int, data: bytes) -> tuple[str | None, Reject | None]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        return None, _reject(
            f,
            line_no,
            "(record)",
            f"not UTF-8: byte 0x{bad} at position {exc.start}; files must be UTF-8 encoded",
            data.decode("utf-8", errors="replace").rstrip("\r\n"),
        )
    if line_no == 1 and text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def ndjson_lines(f: SourceFile) -> Iterator[tuple[int, bytes]]:
    """The lines of an NDJSON file that hold a record (readable or not), with their numbers: blank lines are
    left out. Each becomes exactly one RawRecord (``ndjson_record``)."""
    with f.path.open("rb") as fh:
        for line_no, data in enumerate(fh, start=1):
            if data[:1] != b"{" and _blank(data, line_no):
                continue
            yield line_no, data


def _blank(data: bytes, line_no: int) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False  # a reject, not a blank line
    if line_no == 1 and text.startswith("\ufeff"):
        text = text[1:]
    return not text.strip()


def ndjson_record(f: SourceFile, line_no: int, data: bytes) -> RawRecord:
    """One line of an NDJSON file (one that ``ndjson_lines`` gives) as a record, or the reason it cannot be read."""
    text, err = _decode(f, line_no, data)
    if err is not None:
        return RawRecord(f.name, line_no, None, err.raw or "", err)
    assert text is not None
    body = text.rstrip("\r\n")
    try:
        obj = _loads(body)
    except json.JSONDecodeError as exc:
        # The parser ran out of text: the line was cut short (a partial write, a copy that stopped).
        what = "truncated line" if exc.pos >= len(body.rstrip()) - 1 else "not valid JSON"
        reason = f"{what}: {exc.msg} at column {exc.colno}"
        return RawRecord(f.name, line_no, None, body, _reject(f, line_no, "(record)", reason, body))
    except DuplicateField as exc:
        return RawRecord(f.name, line_no, None, body, _reject(f, line_no, exc.field, str(exc), body))
    except (RecursionError, ValueError) as exc:  # nested too deeply; a number too long to read
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        return RawRecord(f.name, line_no, None, body, _reject(f, line_no, "(record)", f"not valid JSON: {why}", body))
    if not isinstance(obj, dict):
        return RawRecord(
            f.name, line_no, None, body, _reject(f, line_no, "(record)", "a record must be a JSON object", body)
        )
    return RawRecord(f.name, line_no, obj, body)


def read_ndjson(f: SourceFile) -> Iterator[RawRecord]:
    for line_no, data in ndjson_lines(f):
        yield ndjson_record(f, line_no, data)


class DuplicateField(ValueError):
    """A JSON object names the same field twice: which value was meant cannot be known."""

    def __init__(self, field: str) -> None:
        super().__init__("the field appears twice in the record")
        self.field = field


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateField(key)
            seen.add(key)
    return obj


# One decoder for every line (json.loads with a hook builds a new decoder per call, a third of its cost).
_JSON = json.JSONDecoder(object_pairs_hook=_object)


def _loads(text: str) -> Any:
    """``json.loads(text, object_pairs_hook=_object)``, with the decoder built once."""
    if text.startswith("\ufeff"):  # what json.loads refuses before decoding
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _JSON.decode(text)


# A cell far longer than any field allows is still read whole, so that its row is refused on that field (too
# long) and the next row is read from its own first line. (The csv module's default limit is 128 KiB.)
CSV_FIELD_LIMIT = 64 * 1024 * 1024


def read_csv(f: SourceFile) -> Iterator[RawRecord]:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    # surrogateescape keeps undecodable bytes visible so each bad row can be reported, not the whole file
    with f.path.open(encoding="utf-8", errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRecord(f.name, 1, None, "", _reject(f, 1, "(file)", f"unreadable CSV header: {exc}"))
            return
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        header = [h.strip() for h in header]
        if any(_has_surrogates(h) for h in header):
            yield RawRecord(f.name, 1, None, "", _reject(f, 1, "(file)", "header is not UTF-8; files must be UTF-8"))
            return
        twice = next((h for i, h in enumerate(header) if h and h in header[:i]), None)
        if twice is not None:
            yield RawRecord(f.name, 1, None, "", _reject(f, 1, twice, "the column appears twice in the header"))
            return
        line_no = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The parser stopped inside the row: where the next row starts cannot be known, and reading
                # on would take the rest of a quoted field for rows of its own. Nothing after it is read.
                reason = f"unreadable CSV row: {exc}; the rest of the file was not read"
                yield RawRecord(f.name, line_no, None, "", _reject(f, line_no, "(record)", reason))
                return
            start, line_no = line_no, reader.line_num + 1
            raw = _csv_raw(row)
            if not any(cell.strip() for cell in row):
                continue
            bad = next((i for i, c in enumerate(row) if _has_surrogates(c)), None)
            if bad is not None:
                col = header[bad] if bad < len(header) else f"column {bad + 1}"
                yield RawRecord(
                    f.name, start, None, raw, _reject(f, start, col, "not UTF-8; files must be UTF-8 encoded", raw)
                )
                continue
            if len(row) != len(header):
                why = "truncated line" if len(row) < len(header) else "too many cells"
                yield RawRecord(
                    f.name,
                    start,
                    None,
                    raw,
                    _reject(f, start, "(record)", f"{why}: {len(row)} cells where the header has {len(header)}", raw),
                )
                continue
            yield RawRecord(f.name, start, _csv_data(f, dict(zip(header, row, strict=True))), raw)


def _csv_data(f: SourceFile, row: dict[str, str]) -> dict[str, Any]:
    model = RECORD_TYPES.get(f.record_type or "")
    lists = model.list_fields() if model is not None else frozenset()
    data: dict[str, Any] = {}
    for key, value in row.items():
        if value.strip() == "":
            continue
        data[key] = [p for p in value.split(LIST_SEPARATOR) if p.strip()] if key in lists else value
    return data


def _has_surrogates(s: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in s)


def _csv_raw(row: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(
        [c.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for c in row]
    )
    return buf.getvalue()


def read(f: SourceFile) -> Iterator[RawRecord]:
    """Every record of one file, in file order, readable or not."""
    if f.record_type is None:
        known = ", ".join(LOAD_ORDER)
        yield RawRecord(
            f.name,
            0,
            None,
            "",
            _reject(
                f,
                0,
                "(file)",
                f"unknown record type {f.path.name.split('.', 1)[0]!r}: a file's name must start with one of {known}",
            ),
        )
        return
    yield from (read_csv(f) if f.fmt == "csv" else read_ndjson(f))
