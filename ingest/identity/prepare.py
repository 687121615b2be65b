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


# --------------------------------------------------------------------------------------------------
# The same frame prepared in DuckDB: for millions of records (a national load, the benchmarks), where a
# Python function per record costs minutes. Name cleaning, nicknames and Soundex stay the Python functions
# above, applied once per distinct name; everything else is SQL. ``prepare_row`` is the definition: the
# tests hold the two to the same output.
# --------------------------------------------------------------------------------------------------

# The raw columns ``prepare_duckdb`` reads (interchange field names; aliases, other_ids and events as lists).
RAW_COLUMNS = {
    "uid": "VARCHAR", "source_system": "VARCHAR", "first_name": "VARCHAR", "middle_names": "VARCHAR",
    "last_name": "VARCHAR", "aliases": "VARCHAR[]", "dob": "VARCHAR", "sex": "VARCHAR", "pnc_id": "VARCHAR",
    "other_ids": "VARCHAR[]", "postcode": "VARCHAR", "address_line1": "VARCHAR", "town": "VARCHAR",
    "events": "VARCHAR[]",
}  # fmt: skip

_TRIM = r"regexp_replace({x}, '^\s+|\s+$', '', 'g')"
_SQL_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y%m%d", "%d %b %Y", "%d %B %Y", "%Y/%m/%d", "%d/%m/%y",
                     "%d-%b-%Y", "%d %b %y", "%d-%m-%y")  # fmt: skip


def _trim(x: str) -> str:
    return _TRIM.format(x=x)


def prepare_duckdb(con: Any, raw: str, out: str = "records") -> None:
    """Prepare the raw records in table or view ``raw`` (``RAW_COLUMNS``) into table ``out`` with ``SCHEMA``,
    row for row as ``prepare`` would, in the order of ``raw``."""
    # Identifiers below are this module's constants or the caller's table names, never data.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __raw AS
        SELECT row_number() OVER () AS rid, uid AS unique_id, * FROM {raw}""")  # noqa: S608
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __alias AS
        SELECT rid, i, CASE WHEN len(parts) >= 2 THEN parts[1] END AS a_first, parts[len(parts)] AS a_last
        FROM (SELECT rid, i, list_filter(regexp_split_to_array({_trim("alias")}, '\\s+'), lambda t: t <> '') AS parts
              FROM (SELECT rid, unnest(aliases) AS alias, generate_subscripts(aliases, 1) AS i FROM __raw
                    WHERE aliases IS NOT NULL))
        WHERE len(parts) >= 1""")  # noqa: S608
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __middle AS
        SELECT rid, i, tok FROM (
            SELECT rid, unnest(parts) AS tok, generate_subscripts(parts, 1) AS i
            FROM (SELECT rid, regexp_split_to_array({_trim("middle_names")}, '\\s+') AS parts FROM __raw
                  WHERE middle_names IS NOT NULL))
        WHERE tok <> ''""")  # noqa: S608
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE __sex AS
        SELECT rid, CASE WHEN s IN ('M', 'F') THEN s END AS sex
        FROM (SELECT rid, upper(left({_trim("sex")}, 1)) AS s FROM __raw)""")  # noqa: S608
    # Names: cleaned and coded once per distinct value, in Python.
    raw_names = [
        r[0]
        for r in con.execute("""
            SELECT DISTINCT v FROM (
                SELECT first_name AS v FROM __raw UNION ALL SELECT last_name FROM __raw
                UNION ALL SELECT tok FROM __middle UNION ALL SELECT a_first FROM __alias
                UNION ALL SELECT a_last FROM __alias) WHERE v IS NOT NULL""").fetchall()
    ]
    cleaned = [clean_name(v) for v in raw_names]
    names = pa.table({"raw": raw_names, "clean": cleaned, "sound": [soundex(c) for c in cleaned]})
    con.register("__names_arrow", names)
    con.execute("CREATE OR REPLACE TEMP TABLE __names AS SELECT * FROM __names_arrow")
    con.unregister("__names_arrow")
    pairs = con.execute("""
        SELECT DISTINCT n.clean, coalesce(s.sex, '') FROM (
            SELECT rid, first_name AS v FROM __raw UNION ALL SELECT rid, a_first FROM __alias) x
        JOIN __names n ON n.raw = x.v JOIN __sex s USING (rid) WHERE n.clean IS NOT NULL""").fetchall()
    canon = pa.table({"clean": [p[0] for p in pairs], "sex": [p[1] for p in pairs],
                      "canon": [canonical_first_name(p[0], p[1] or None) for p in pairs]})  # fmt: skip
    con.register("__canon_arrow", canon)
    con.execute("CREATE OR REPLACE TEMP TABLE __canon AS SELECT * FROM __canon_arrow")
    con.unregister("__canon_arrow")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE __lists AS
        WITH m AS (
            SELECT rid, list(n.clean ORDER BY i) AS middle FROM __middle JOIN __names n ON n.raw = tok GROUP BY rid),
        a AS (
            SELECT x.rid, flatten(list([f.clean, c.canon] ORDER BY x.i)) AS a_forenames,
                   list(l.clean ORDER BY x.i) AS a_surnames
            FROM __alias x JOIN __sex s USING (rid)
            LEFT JOIN __names f ON f.raw = x.a_first
            LEFT JOIN __canon c ON c.clean = f.clean AND c.sex = coalesce(s.sex, '')
            LEFT JOIN __names l ON l.raw = x.a_last
            GROUP BY x.rid)
        SELECT coalesce(m.rid, a.rid) AS rid, m.middle, a.a_forenames, a.a_surnames FROM m FULL JOIN a USING (rid)""")
    bad = con.execute(f"""
        SELECT dob FROM (SELECT dob, {_date_sql("dob")} AS d FROM __raw WHERE {_trim("dob")} <> '')
        WHERE d IS NULL LIMIT 1""").fetchall()  # noqa: S608
    if bad:
        raise ValueError(f"not a date in a known format: {bad[0][0]!r}")
    con.execute(f"""
        CREATE OR REPLACE TABLE {out} AS
        WITH p AS (
            SELECT r.*, s.sex AS sex_, fn.clean AS first_c, fn.sound AS first_s, fc.canon AS first_canon,
                   ln.clean AS last_c, ln.sound AS last_s, {_date_sql("r.dob")} AS d,
                   [fn.clean, fc.canon] || coalesce(l.middle, []) || coalesce(l.a_forenames, []) AS fall,
                   [ln.clean] || coalesce(l.a_surnames, []) AS sall,
                   regexp_replace(upper(coalesce(r.postcode, '')), '\\s+', '', 'g') AS pc,
                   list_sort(list_distinct(list_transform(
                       list_filter(r.other_ids, lambda v: {_trim("v")} <> ''), lambda v: upper({_trim("v")})))) AS oids
            FROM __raw r JOIN __sex s USING (rid)
            LEFT JOIN __names fn ON fn.raw = r.first_name
            LEFT JOIN __canon fc ON fc.clean = fn.clean AND fc.sex = coalesce(s.sex, '')
            LEFT JOIN __names ln ON ln.raw = r.last_name
            LEFT JOIN __lists l USING (rid)),
        q AS (
            SELECT *, regexp_extract(pc, '^([A-Z]{{1,2}})([0-9][A-Z0-9]?) ?([0-9][A-Z]{{2}})$',
                                     ['area', 'district', 'sector']) AS pm
            FROM p)
        SELECT
            unique_id,
            coalesce(nullif(source_system, ''), split_part(unique_id, '/', 1)) AS source_system,
            first_c AS first_name,
            first_canon AS first_name_canon,
            first_s AS first_name_sound,
            nullif(list_filter(fall, lambda v, i: v IS NOT NULL AND list_position(fall, v) = i), []) AS forenames,
            last_c AS last_name,
            last_s AS last_name_sound,
            nullif(list_filter(sall, lambda v, i: v IS NOT NULL AND list_position(sall, v) = i), []) AS surnames,
            printf('%04d-%02d-%02d', year(d), month(d), day(d)) AS dob,
            CASE WHEN day(d) <= 12 AND day(d) <> month(d)
                 THEN printf('%04d-%02d-%02d', year(d), day(d), month(d)) END AS dob_swapped,
            d AS dob_date,
            sex_ AS sex,
            nullif(upper({_trim("pnc_id")}), '') AS pnc_id,
            nullif(oids, []) AS other_ids,
            oids[1] AS other_ids_key,
            CASE WHEN pc = '' THEN NULL WHEN pm.area = '' THEN pc
                 ELSE pm.area || pm.district || ' ' || pm.sector END AS postcode,
            nullif(pm.area || pm.district, '') AS postcode_district,
            nullif(pm.area, '') AS postcode_area,
            nullif(lower({_text_sql("address_line1")}), '') AS address_line1,
            nullif(lower({_text_sql("town")}), '') AS town,
            nullif(list_sort(list_distinct(list_transform(
                list_filter(events, lambda v: {_trim("v")} <> ''), lambda v: {_trim("v")}))), []) AS events
        FROM q ORDER BY rid""")  # noqa: S608
    for t in ("__raw", "__alias", "__middle", "__sex", "__names", "__canon", "__lists"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _text_sql(col: str) -> str:
    return _trim(f"regexp_replace({col}, '\\s+', ' ', 'g')")


def _date_sql(col: str) -> str:
    text = f"split_part({_trim(col)}, 'T', 1)"
    parts = [f"try_cast({text} AS DATE)"] + [f"try_strptime({text}, '{f}')::DATE" for f in _SQL_DATE_FORMATS]
    return f"CASE WHEN {_trim(col)} = '' THEN NULL ELSE coalesce({', '.join(parts)}) END"


RAW_SCHEMA = pa.schema(
    [(k, pa.list_(pa.string()) if v.endswith("[]") else pa.string()) for k, v in RAW_COLUMNS.items()]
)


def raw_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    """One person record (interchange field names) as a row of ``RAW_SCHEMA``."""
    row = {k: rec.get(k) for k in RAW_COLUMNS}
    row["uid"] = rec.get("uid") or f"{rec['source_system']}/{rec['record_id']}"
    for k in ("aliases", "other_ids", "events"):
        row[k] = _as_list(row[k]) or None
    dob = row["dob"]
    row["dob"] = dob.isoformat() if isinstance(dob, date) else None if dob is None else str(dob)
    for k, v in row.items():
        if v is not None and k not in ("aliases", "other_ids", "events") and not isinstance(v, str):
            row[k] = str(v)
    return row


def prepare_fast(raw: pa.Table | Iterable[Mapping[str, Any]], *, threads: int | None = None) -> pa.Table:
    """``prepare`` in DuckDB, for a table of ``RAW_SCHEMA`` (or records, converted with ``raw_row``)."""
    from ingest.identity.duck import connect

    table = raw if isinstance(raw, pa.Table) else pa.Table.from_pylist([raw_row(r) for r in raw], schema=RAW_SCHEMA)
    con = connect(threads)
    try:
        con.register("__raw_arrow", table)
        prepare_duckdb(con, "__raw_arrow", "__prepared")
        return con.sql("SELECT * FROM __prepared").to_arrow_table().cast(SCHEMA)
    finally:
        con.close()


def read_person_table(
    directory: Path, *, con: Any = None, threads: int | None = None, seconds: dict[str, float] | None = None
) -> pa.Table:
    """``prepare(read_person_ndjson(directory / "person.ndjson"))``, read and prepared in DuckDB: the
    latest version of each record, in first-seen order, with the incidents the directory ties it to.
    ``seconds`` receives the time spent reading and preparing."""
    import time

    from ingest.identity.duck import connect

    own = con is None
    con = con or connect(threads)
    try:
        t0 = time.perf_counter()
        _raw_from_directory(con, directory, "__persons")
        t1 = time.perf_counter()
        prepare_duckdb(con, "__persons", "__prepared")
        out = con.sql("SELECT * FROM __prepared").to_arrow_table().cast(SCHEMA)
        if seconds is not None:
            seconds |= {"read": t1 - t0, "prepare": time.perf_counter() - t1}
        return out
    finally:
        con.execute("DROP TABLE IF EXISTS __persons")
        con.execute("DROP TABLE IF EXISTS __prepared")
        if own:
            con.close()


def _json(path: Path, columns: dict[str, str]) -> str:
    cols = ", ".join(f"{k}: '{v}'" for k, v in columns.items())
    quoted = str(path).replace("'", "''")
    return f"read_json('{quoted}', format = 'newline_delimited', columns = {{{cols}}})"


def _raw_from_directory(con: Any, directory: Path, out: str) -> None:
    person_cols = {k: v for k, v in RAW_COLUMNS.items() if k not in ("uid", "events")}
    person_cols |= {"record_id": "VARCHAR", "record_version": "BIGINT"}
    events = []
    for name, key in (("involvement", "CASE role WHEN 'SUSPECT' THEN 'S' WHEN 'VICTIM' THEN 'V' "
                                      "WHEN 'WITNESS' THEN 'W' END"),
                      ("outcome", "'S'"),
                      ("assessment", "CASE WHEN kind IN ('DASH', 'DARA') THEN 'V' END")):  # fmt: skip
        path = directory / f"{name}.ndjson"
        if path.exists():
            cols = {"person_ref": "VARCHAR", "incident_ref": "VARCHAR"}
            cols |= (
                {"role": "VARCHAR"} if name == "involvement" else {"kind": "VARCHAR"} if name == "assessment" else {}
            )
            source = _json(path, cols)
            events.append(
                f"SELECT person_ref AS uid, incident_ref || '#' || {key} AS k FROM {source} "  # noqa: S608
                "WHERE person_ref <> '' AND incident_ref <> ''"
            )
    events_sql = " UNION ALL ".join(events) or "SELECT NULL::VARCHAR AS uid, NULL::VARCHAR AS k WHERE false"
    # Paths are quoted above; the rest is this module's text.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH p AS (
            SELECT row_number() OVER () AS seen, source_system || '/' || record_id AS uid, *
            FROM {_json(directory / "person.ndjson", person_cols)}),
        latest AS (
            SELECT *, min(seen) OVER (PARTITION BY uid) AS first_seen FROM p
            QUALIFY row_number() OVER (PARTITION BY uid ORDER BY coalesce(record_version, 1) DESC, seen DESC) = 1),
        ev AS (SELECT uid, list(DISTINCT k) AS events FROM ({events_sql}) WHERE k IS NOT NULL GROUP BY uid)
        SELECT {", ".join(f"latest.{c}" if c != "events" else "ev.events" for c in RAW_COLUMNS)}
        FROM latest LEFT JOIN ev USING (uid) ORDER BY first_seen""")  # noqa: S608
