"""Person records -> the frame the matching model reads: one row per record, names cleaned, nickname
and phonetic forms derived, dates split for the day/month swap, postcodes cut into district and area.

The input is the interchange format's person fields (ingest/records.py); ``spr link`` maps outside
columns onto the same fields first. The output is a pyarrow table with a fixed schema, so a column
that is empty in every row still has its type.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.identity.config import nicknames

SCHEMA = pa.schema(
    [
        ("unique_id", pa.string()),
        ("source_system", pa.string()),
        ("first_name", pa.string()),
        ("first_name_canon", pa.string()),
        ("first_name_sound", pa.string()),
        ("forenames", pa.list_(pa.string())),
        ("last_name", pa.string()),
        ("last_name_sound", pa.string()),
        ("surnames", pa.list_(pa.string())),
        ("dob", pa.string()),
        ("dob_swapped", pa.string()),
        ("dob_date", pa.date32()),
        ("sex", pa.string()),
        ("pnc_id", pa.string()),
        ("other_ids", pa.list_(pa.string())),
        ("other_ids_key", pa.string()),
        ("postcode", pa.string()),
        ("postcode_district", pa.string()),
        ("postcode_area", pa.string()),
        ("address_line1", pa.string()),
        ("town", pa.string()),
        ("events", pa.list_(pa.string())),
    ]
)
COLUMNS = tuple(SCHEMA.names)

_NON_LETTERS = re.compile(r"[^a-z]")
_SPACES = re.compile(r"\s+")
_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556")


@lru_cache(maxsize=100_000)
def clean_name(value: str | None) -> str | None:
    """Lower case, accents and punctuation dropped ("O'Brien" -> "obrien")."""
    if not value:
        return None
    ascii_ = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    out = _NON_LETTERS.sub("", ascii_)
    return out or None


@lru_cache(maxsize=100_000)
def soundex(name: str | None) -> str | None:
    """American Soundex of a cleaned name (letter + three digits)."""
    if not name:
        return None
    first = name[0].upper()
    digits = name.translate(_SOUNDEX)
    out: list[str] = []
    prev = digits[0] if digits[0].isdigit() else ""
    for ch, orig in zip(digits[1:], name[1:], strict=True):
        if ch.isdigit():
            if ch != prev:
                out.append(ch)
            prev = ch
        elif orig not in "hw":  # vowels separate equal codes; h and w do not
            prev = ""
    return (first + "".join(out) + "000")[:4]


def canonical_first_name(name: str | None, sex: str | None = None) -> str | None:
    """The canonical form of a cleaned given name (``bob`` -> ``robert``), sex-aware where a form is shared."""
    if not name:
        return None
    table = nicknames()
    if sex in ("M", "F") and (name, sex) in table:
        return table[(name, sex)]
    return table.get((name, ""), table.get((name, "M"), table.get((name, "F"), name)))


def _split_alias(alias: str) -> tuple[str | None, str | None]:
    parts = alias.split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return None, clean_name(parts[0])
    return clean_name(parts[0]), clean_name(parts[-1])


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%d %B %Y", "%Y/%m/%d",
                 "%d/%m/%y", "%d-%b-%Y", "%d %b %y", "%d-%m-%y")  # fmt: skip


def parse_date(value: Any) -> date | None:
    """A date from a date, an ISO string or a common UK written form (day before month)."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    text = str(value).strip()
    if not text:
        return None
    if "T" in text:
        text = text.split("T", 1)[0]
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date in a known format: {value!r}")


_POSTCODE = re.compile(r"^([A-Z]{1,2})([0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def split_postcode(value: str | None) -> tuple[str | None, str | None, str | None]:
    """(normalised postcode, district, area); an unparseable value is kept whole as the postcode."""
    if not value:
        return None, None, None
    compact = _SPACES.sub("", str(value).upper())
    m = _POSTCODE.match(compact)
    if not m:
        return compact or None, None, None
    return f"{m.group(1)}{m.group(2)} {m.group(3)}", m.group(1) + m.group(2), m.group(1)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = _SPACES.sub(" ", str(value)).strip().lower()
    return s or None


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split("|") if p.strip()]
    return [str(v).strip() for v in value if v is not None and str(v).strip()]


def prepare_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """One person record (interchange field names; ``uid`` or source_system + record_id) -> one frame row."""
    uid = rec.get("uid") or f"{rec['source_system']}/{rec['record_id']}"
    sex = str(rec.get("sex") or "").strip().upper()[:1] or None
    sex = sex if sex in ("M", "F") else None
    first = clean_name(rec.get("first_name"))
    last = clean_name(rec.get("last_name"))
    forenames: list[str] = []
    surnames: list[str] = []

    def add(bucket: list[str], name: str | None) -> None:
        if name and name not in bucket:
            bucket.append(name)

    add(forenames, first)
    add(forenames, canonical_first_name(first, sex))
    for part in str(rec.get("middle_names") or "").split():
        add(forenames, clean_name(part))
    add(surnames, last)
    for alias in _as_list(rec.get("aliases")):
        a_first, a_last = _split_alias(alias)
        add(forenames, a_first)
        add(forenames, canonical_first_name(a_first, sex))
        add(surnames, a_last)
    dob = parse_date(rec.get("dob"))
    swapped = None
    if dob is not None and dob.day <= 12 and dob.day != dob.month:
        swapped = f"{dob.year:04d}-{dob.day:02d}-{dob.month:02d}"
    postcode, district, area = split_postcode(rec.get("postcode"))
    other_ids = sorted({i.upper() for i in _as_list(rec.get("other_ids"))})
    pnc = str(rec.get("pnc_id") or "").strip().upper() or None
    return {
        "unique_id": uid,
        "source_system": rec.get("source_system") or str(uid).split("/", 1)[0],
        "first_name": first,
        "first_name_canon": canonical_first_name(first, sex),
        "first_name_sound": soundex(first),
        "forenames": forenames or None,
        "last_name": last,
        "last_name_sound": soundex(last),
        "surnames": surnames or None,
        "dob": dob.isoformat() if dob else None,
        "dob_swapped": swapped,
        "dob_date": dob,
        "sex": sex,
        "pnc_id": pnc,
        "other_ids": other_ids or None,
        "other_ids_key": other_ids[0] if other_ids else None,
        "postcode": postcode,
        "postcode_district": district,
        "postcode_area": area,
        "address_line1": _text(rec.get("address_line1")),
        "town": _text(rec.get("town")),
        "events": sorted(set(_as_list(rec.get("events")))) or None,
    }


def prepare(records: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Person records -> the model's frame (a pyarrow table with ``SCHEMA``)."""
    rows = [prepare_row(r) for r in records]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def latest_versions(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Keep only the highest ``record_version`` of each record (uid), in first-seen order."""
    best: dict[str, dict[str, Any]] = {}
    for r in records:
        uid = r.get("uid") or f"{r['source_system']}/{r['record_id']}"
        cur = best.get(uid)
        if cur is None or int(r.get("record_version") or 1) >= int(cur.get("record_version") or 1):
            best[uid] = dict(r)
    return list(best.values())


def read_person_ndjson(path: Path) -> list[dict[str, Any]]:
    """The person records of a generated or exported directory (person.ndjson), latest versions only,
    each with the incidents other records of the directory tie it to (``events``)."""
    records = latest_versions(_ndjson(path))
    events = read_events(path.parent)
    for r in records:
        ev = events.get(f"{r['source_system']}/{r['record_id']}")
        if ev:
            r["events"] = sorted(ev)
    return records


# The incidents a person record is tied to, with the part played: a court's conviction and the
# force's suspect record of the same incident carry the same key.
ROLE_KEYS = {"SUSPECT": "S", "VICTIM": "V", "WITNESS": "W"}


def event_key(incident_uid: str, role: str) -> str | None:
    code = ROLE_KEYS.get(role)
    return f"{incident_uid}#{code}" if code else None


def read_events(directory: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}

    def add(person: str | None, incident: str | None, role: str) -> None:
        key = event_key(incident, role) if person and incident else None
        if person and key:
            out.setdefault(person, set()).add(key)

    for name, role_of in (("involvement", lambda r: r.get("role", "")), ("outcome", lambda r: "SUSPECT"),
                          ("assessment", lambda r: "VICTIM" if r.get("kind") in ("DASH", "DARA") else "")):  # fmt: skip
        path = directory / f"{name}.ndjson"
        if path.exists():
            for r in _ndjson(path):
                add(r.get("person_ref"), r.get("incident_ref"), role_of(r))
    return out


def _ndjson(path: Path) -> Iterable[dict[str, Any]]:
    import json

    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
