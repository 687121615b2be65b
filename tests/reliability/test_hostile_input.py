"""Hostile input, property-based (hypothesis), against the real Neo4j.

Ingest: for every record type, files (NDJSON and CSV) of records with malformed, oversized and wrong-typed
fields, Cypher and HTML fragments, control characters, NULs, unknown fields and lines in another encoding.
Every record is either refused with a reject naming the file, its line and the field, or stored exactly as
validated (free text verbatim, read back from the graph); nothing crashes the load, and no fragment runs
as Cypher: every node and relationship that was there before is still there, and nothing else appears.

Search: the people search (library and API) with arbitrary parameters is refused with a clear error or
answered; it never fails on the server, and what it finds is stored text matched as text.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from graph_schema import vocabulary
from ingest import identity_exact, load
from ingest.reader import discover, read
from ingest.records import LIST_SEPARATOR, RECORD_TYPES
from ingest.writes import NODE_PLANS
from queries.people import PersonSearch, search_people
from spr.db import Database
from tests.ingest.conftest import small_dataset

# Bounded: the whole module adds well under a minute to the suite.
EXAMPLES_PER_TYPE = 8
SEARCH_EXAMPLES = 30
HYPOTHESIS = settings(
    max_examples=EXAMPLES_PER_TYPE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = datetime(2025, 1, 15, tzinfo=UTC)

# Text that would do damage if it ever reached Cypher, a page or a terminal as code.
FRAGMENTS = [
    "x'}) DETACH DELETE n //",
    'x"}) MATCH (m) DETACH DELETE m //',
    "`) DETACH DELETE n //",
    "'; MATCH (n) DETACH DELETE n; //",
    "$rows",
    "{uid: 'WMP/P1'}",
    "\\' OR 1=1 --",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt;&amp;",
    "\x00",
    "nul\x00inside",
    "\x1b[31mred\x1b[0m",
    "bell\x07",
    "line\r\nbreak",
    "cr\ronly",
    "tab\there",
    "\u2028sep\u2029",
    "\u202eevil",
    "zero\u200bwidth",
    "e\u0301\u0301",
    "\ufeffbom",
    "😀🏳️‍🌈",
    "a|b",
    'quote"inside',
    "comma,inside",
    "  padded  ",
    "O'Brien-Ó Súilleabháin",
]
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)
HOSTILE_TEXT = st.one_of(
    st.sampled_from(FRAGMENTS),
    _TEXT,
    st.tuples(st.sampled_from(FRAGMENTS), _TEXT).map("".join),
)
OVERSIZED = st.sampled_from([101, 201, 2001, 20_000, 140_000]).flatmap(
    lambda n: st.sampled_from(FRAGMENTS).map(lambda f: (f * (n // len(f) + 1))[:n])
)
WRONG_TYPE = st.sampled_from(
    [None, 0, -1, 7, 2**63, 2**70, 3.5, float("nan"), True, False, [], ["a", 1], {"$ne": 1}, {"a": {"b": []}}]
)
VALUES = st.one_of(HOSTILE_TEXT, HOSTILE_TEXT, OVERSIZED, WRONG_TYPE, st.lists(HOSTILE_TEXT, max_size=3))
UNKNOWN_FIELD = "<unknown>"
LATIN1 = "@@latin-1@@"  # replaced by bytes that are not UTF-8 (ISO 8859-1 "café") in the written file

# A valid record of each type, referring to the hand-made dataset loaded first (tests/ingest/conftest.py).
BASE: dict[str, dict[str, Any]] = {
    "agency": {"code": "CODE", "name": "Hostile Input Probation", "kind": "PROBATION_REGION", "area": "North"},
    "person": {"first_name": "Ann", "middle_names": "Marie", "last_name": "Lee", "aliases": ["Annie Lee"],
               "dob": "1990-02-03", "sex": "F", "other_ids": ["CRN:X1"], "postcode": "CV1 2AB"},
    "address": {"person_ref": "WMP/P2", "line1": "2 Low St", "town": "Dudley", "postcode": "DY1 1AA",
                "from_date": "2024-02-01"},
    "incident": {"occurred_at": "2024-10-01T20:00:00Z", "reported_at": "2024-10-01T21:00:00Z",
                 "agency_code": "WMP", "offence_code": "COMMON_ASSAULT", "is_crime": True, "description": "text"},
    "involvement": {"incident_ref": "WMP/I1", "person_ref": "WMP/P3", "role": "WITNESS"},
    "relationship": {"person_ref": "WMP/P1", "other_ref": "WMP/P3", "kind": "FORMER_PARTNER",
                     "start_date": "2021-01-01"},
    "outcome": {"person_ref": "WMP/P1", "incident_ref": "WMP/I2", "kind": "ARREST", "outcome_date": "2024-06-02",
                "court": "Dudley Magistrates", "agency_code": "WMP"},
    "order": {"order_type": "DAPO", "subject_ref": "WMP/P1", "protected_refs": ["WMP/P3"],
              "start_date": "2024-07-01", "end_date": "2025-07-01", "conditions": ["no contact"],
              "issuing_agency": "COURT-WM"},
    "breach": {"order_ref": "COURT-WM/D1", "incident_ref": "WMP/I2", "breach_date": "2024-09-02", "details": "text"},
    "notification": {"person_ref": "WMP/P1", "kind": "ADDRESS", "notified_at": "2024-08-01T09:00:00Z",
                     "effective_date": "2024-08-02", "details": "text", "received_by": "WMP"},
    "episode": {"kind": "MARAC", "person_ref": "WMP/P3", "role": "VICTIM", "start_date": "2024-06-10",
                "decision": "ACTION_PLAN", "agency_code": "WMP"},
    "assessment": {"kind": "DASH", "person_ref": "WMP/P2", "incident_ref": "WMP/I1", "grade": "MEDIUM", "score": 9,
                   "assessed_at": "2024-03-02", "notes": "text", "agency_code": "WMP"},
    "travel": {"person_ref": "WMP/P1", "departure_date": "2024-09-10", "destination": "FR"},
}  # fmt: skip
assert set(BASE) == set(RECORD_TYPES)

# Record fields kept as a property of the record's node (or, for relationship and breach, of its edge), by
# the same name. The rest are links (refs, agency codes), dates (compared as dates elsewhere) or fields the
# format accepts and the graph does not keep (NOT_KEPT: not mutated here, see docs/reliability.md).
STORED: dict[str, tuple[str, ...]] = {
    "agency": ("name", "kind", "jurisdiction", "area"),
    "person": ("first_name", "middle_names", "last_name", "aliases", "sex", "pnc_id", "other_ids", "postcode"),
    "address": ("line1", "town", "postcode", "force_area"),
    "incident": ("agency_code", "offence_code", "is_crime", "is_stalking", "dash_grade", "risk_indicators",
                 "location_postcode", "description"),
    "involvement": (),
    "relationship": ("kind",),
    "outcome": ("kind", "offence_code", "sentence_months", "sentence_type", "court"),
    "order": ("order_type", "conditions", "jurisdiction", "issuing_agency"),
    "breach": ("kind", "details"),
    "notification": ("kind", "details"),
    "episode": ("kind", "category", "level", "decision", "case_id"),
    "assessment": ("kind", "grade", "score", "at_risk_of_offending", "notes"),
    "travel": ("destination",),
}  # fmt: skip
NOT_KEPT = {"person": ("address_line1", "town"), "travel": ("port",), "order": ("incident_ref",),
            "notification": ("order_ref",)}  # fmt: skip
# Free text: stored as sent, only surrounding whitespace removed.
FREE_TEXT = {"name", "area", "first_name", "middle_names", "last_name", "line1", "town", "description", "court",
             "details", "notes"}  # fmt: skip
LINK_TYPES = {"involvement", "relationship", "breach"}
_counter = itertools.count(1)


def mutations(record_type: str) -> st.SearchStrategy[list[tuple[str, Any]]]:
    fields = [f for f in RECORD_TYPES[record_type].model_fields if f not in NOT_KEPT.get(record_type, ())]
    return st.lists(st.tuples(st.sampled_from([*fields, UNKNOWN_FIELD]), VALUES), max_size=2)


@st.composite
def hostile_file(draw: st.DrawFn, record_type: str) -> dict[str, Any]:
    n = next(_counter)
    records = []
    for i in range(draw(st.integers(1, 4))):
        rec: dict[str, Any] = {"source_system": "WMP", "record_id": f"H{n}X{i}", "record_version": 1}
        rec.update(BASE[record_type])
        if record_type == "agency":
            rec["code"] = f"H{n}X{i}"  # agencies are keyed on their code
        payloads: dict[str, Any] = {}
        for field, value in draw(mutations(record_type)):
            if field == UNKNOWN_FIELD:
                field = draw(st.sampled_from(FRAGMENTS[:8] + ["extra_field"]))
            if field in ("record_id", "code") and isinstance(value, str):
                value = f"H{n}X{i}{value}"  # stays unique, so a record can never land on another's key
            rec[field] = value
            payloads[field] = value
        records.append({"data": rec, "payloads": payloads})
    latin1 = draw(st.sampled_from([None, *range(len(records))]))
    if latin1 is not None:
        text_fields = [f for f in FREE_TEXT if f in records[latin1]["data"]]
        if text_fields:
            records[latin1]["data"][text_fields[0]] = LATIN1
            records[latin1]["payloads"].pop(text_fields[0], None)
            records[latin1]["latin1"] = True
    return {"format": draw(st.sampled_from(["ndjson", "csv"])), "records": records, "ascii": draw(st.booleans())}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


_NEWLINES = re.compile(r"\r\n|\r|\n")


def write_file(directory: Path, record_type: str, spec: dict[str, Any]) -> Path:
    """Write the records; set each one's "line" (CSV: the row's first physical line, as the reader counts)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{record_type}.{spec['format']}"
    if spec["format"] == "ndjson":
        lines = []
        for k, r in enumerate(spec["records"], start=1):
            r["line"] = k
            lines.append(json.dumps(r["data"], ensure_ascii=spec["ascii"]))
        text = "\n".join(lines) + "\n"
    else:
        columns: list[str] = []
        for r in spec["records"]:
            columns += [c for c in r["data"] if c not in columns]
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for r in spec["records"]:
            r["line"] = len(_NEWLINES.findall(buf.getvalue())) + 1
            writer.writerow([_cell(r["data"].get(c)) for c in columns])
        text = buf.getvalue()
    data = text.encode("utf-8", "surrogatepass").replace(LATIN1.encode(), "café".encode("latin-1"))
    path.write_bytes(data)
    return path


def graph_state(db: Database) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    nodes = db.read(
        "MATCH (n) RETURN labels(n) AS labels, coalesce(n.uid, n.code, n.person_id, n.batch_id, n.name, n.seq) AS key"
    )
    rels = db.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.uid, a.code, a.person_id) AS a, "
        "coalesce(b.uid, b.code, b.person_id) AS b"
    )
    return (
        {(*sorted(n["labels"]), str(n["key"])) for n in nodes},
        {(r["type"], str(r["a"]), str(r["b"])) for r in rels},
    )


def _stored(db: Database, record_type: str, rec: Any) -> dict[str, Any] | None:
    """The properties the graph holds for one accepted record, or None when it holds nothing for it."""
    if record_type == "involvement":
        rows = db.read(
            "MATCH (p:PersonRecord {uid: $p})-[r]->(i:Incident {uid: $i}) WHERE type(r) = $t RETURN properties(r) AS x",
            p=rec.person_ref, i=rec.incident_ref, t=f"{rec.role}_IN",
        )  # fmt: skip
    elif record_type == "relationship":
        rows = db.read("MATCH ()-[r:RELATIONSHIP_WITH {uid: $uid}]->() RETURN properties(r) AS x", uid=rec.uid)
    elif record_type == "breach":
        rows = db.read(
            "MATCH (:Incident {uid: $i})-[r:BREACH_OF]->(:Order {uid: $o}) RETURN properties(r) AS x",
            i=rec.incident_ref, o=rec.order_ref,
        )  # fmt: skip
    else:
        plan = NODE_PLANS[record_type]
        label = vocabulary().model.label(plan.label)
        key = rec.code if record_type == "agency" else rec.uid
        rows = db.read(
            "MATCH (n) WHERE $label IN labels(n) AND n[$key] = $value RETURN properties(n) AS x",
            label=label, key=plan.key, value=key,
        )  # fmt: skip
    return rows[0]["x"] if rows else None


def _expected(value: Any) -> Any:
    if isinstance(value, list):
        return value or None  # an empty list is not stored
    return value


def _verbatim(stored: str, payload: str) -> bool:
    """The payload, with at most its surrounding whitespace removed."""
    head, sep, tail = payload.partition(stored)
    return bool(sep) and not head.strip() and not tail.strip()


@pytest.fixture
def baseline(db: Database, tmp_path: Path) -> Iterator[Database]:
    report = load(db, [small_dataset(tmp_path / "baseline")], resolver=identity_exact.resolve, progress=False)
    assert report.ok
    yield db


@pytest.mark.parametrize("record_type", list(RECORD_TYPES))
def test_hostile_records_are_refused_or_stored_verbatim(
    baseline: Database, tmp_path_factory: pytest.TempPathFactory, record_type: str
) -> None:
    db = baseline
    labels = set(vocabulary().model.nodes)
    model = RECORD_TYPES[record_type]

    @HYPOTHESIS
    @given(spec=hostile_file(record_type))
    def check(spec: dict[str, Any]) -> None:
        before_nodes, before_rels = graph_state(db)
        path = write_file(tmp_path_factory.mktemp("hostile"), record_type, spec)
        report = load(db, [path], resolver=None, progress=False, now=NOW)  # must not raise
        after_nodes, after_rels = graph_state(db)

        # Nothing ran as Cypher: everything that was there is there, and only the schema's labels appear.
        assert before_nodes <= after_nodes, before_nodes - after_nodes
        assert before_rels <= after_rels, before_rels - after_rels
        assert {lab for n in after_nodes for lab in n[:-1]} <= labels

        for rj in report.rejects:
            assert rj.file == str(path) and rj.reason.strip()
            assert rj.line >= 1 and rj.field.strip()
            named = rj.field.split(".")[0]
            assert named in model.model_fields or named in ("(record)", "(file)") or named in spec_fields(spec), rj
        rejected_lines = {rj.line for rj in report.rejects}
        raw = {r.line: r.data for r in read(discover([path])[0])}
        unaccounted = 0
        for r in spec["records"]:
            if r["line"] in rejected_lines:
                continue
            assert not r.get("latin1"), f"line {r['line']} is not UTF-8 and was not refused"
            rec = model.model_validate(raw[r["line"]], context={"now": NOW})
            stored = _stored(db, record_type, rec)
            if stored is None:
                unaccounted += 1  # only an involvement or breach the graph model has no place for
                continue
            if record_type in LINK_TYPES and stored.get("source_record_id") != rec.record_id:
                continue  # the same link was stored before, from another record: it keeps that one's values
            for field in STORED[record_type]:
                assert stored.get(field) == _expected(getattr(rec, field)), (field, stored.get(field))
                payload = r["payloads"].get(field)
                if field in FREE_TEXT and isinstance(payload, str):
                    assert _verbatim(stored[field], payload), (field, stored[field], payload)
        assert unaccounted <= report.counts.get(record_type, report.total).skipped

    check()


def spec_fields(spec: dict[str, Any]) -> set[str]:
    return {k for r in spec["records"] for k in r["data"]}


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_a_whole_file_in_another_encoding_is_refused_line_by_line(
    baseline: Database, tmp_path: Path, encoding: str, fmt: str
) -> None:
    db = baseline
    rows = [{"source_system": "WMP", "record_id": f"E{k}", "last_name": "Ó Súilleabháin"} for k in range(3)]
    path = tmp_path / f"person.{fmt}"
    if fmt == "ndjson":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        text = "source_system,record_id,last_name\n" + "".join(f"WMP,E{k},Ó Súilleabháin\n" for k in range(3))
    path.write_bytes(text.encode(encoding))
    before = graph_state(db)
    report = load(db, [path], resolver=None, progress=False)
    assert report.counts["person"].loaded == 0 and report.rejects
    assert all("UTF-8" in rj.reason or "JSON" in rj.reason or "truncated" in rj.reason for rj in report.rejects)
    nodes, rels = graph_state(db)
    assert before[0] <= nodes and before[1] <= rels
    assert not db.read("MATCH (n:PersonRecord) WHERE n.uid STARTS WITH 'WMP/E' RETURN n")


_P = '"source_system": "WMP", "record_id": "R1"'
# Inputs that crashed the load or were stored as something else before they were refused: (file name,
# content, line, field, words in the reason).
REGRESSIONS = [
    ("person.ndjson", "{" + _P + ', "last_name": ' + "[" * 50_000 + "]" * 50_000 + "}\n", 1, "(record)",
     "nested too deeply"),
    ("person.ndjson", "{" + _P + ', "last_name": "x", "record_version": ' + "9" * 5000 + "}\n", 1, "(record)",
     "not valid JSON"),
    ("person.ndjson", "{" + _P + ', "last_name": "x", "record_version": 9223372036854775808}\n', 1,
     "record_version", "less than or equal to 9223372036854775807"),
    ("person.ndjson", "{" + _P + ', "last_name": "x", "last_name": "y"}\n', 1, "last_name",
     "appears twice"),
    ("person.ndjson", "{" + _P + ', "last_name": "x", "dob": 631152000}\n', 1, "dob",
     "expected an ISO 8601 date"),
    ("incident.ndjson", "{" + _P + ', "occurred_at": "20240101", "reported_at": "2024-01-02T00:00:00Z", '
     '"agency_code": "WMP", "offence_code": "COMMON_ASSAULT", "is_crime": true}\n', 1, "occurred_at",
     "expected an ISO 8601 date-time"),
    ("incident.ndjson", "{" + _P + ', "occurred_at": "0001-01-01T00:00:00+01:00", '
     '"reported_at": "2024-01-02T00:00:00Z", "agency_code": "WMP", "offence_code": "COMMON_ASSAULT", '
     '"is_crime": true}\n', 1, "occurred_at", "out of range once converted to UTC"),
    ("person.csv", "source_system,record_id,last_name,last_name\nWMP,R1,x,y\n", 1, "last_name",
     "appears twice in the header"),
    # A quoted cell longer than the csv module's limit: its tail used to be read as rows of their own.
    ("person.csv", "source_system,record_id,last_name\nWMP,R1,\"" + "a\n" * 70_000
     + 'WMP,SMUGGLED,Evil\n"\nWMP,R2,Fine\n', 2, "last_name", "at most 100 characters"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "line", "field", "words"), REGRESSIONS, ids=range(len(REGRESSIONS)))
def test_inputs_that_used_to_crash_or_corrupt_the_load(
    baseline: Database, tmp_path: Path, name: str, content: str, line: int, field: str, words: str
) -> None:
    db = baseline
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", newline="")
    report = load(db, [path], resolver=None, progress=False)  # must not raise
    assert [(rj.line, rj.field) for rj in report.rejects] == [(line, field)], report.rejects
    assert words in report.rejects[0].reason
    assert not db.read("MATCH (n) WHERE n.uid IN ['WMP/R1', 'WMP/SMUGGLED'] RETURN n.uid")
    if "R2" in content:  # the row after the long cell is read from its own first line
        assert db.read("MATCH (n:PersonRecord {uid: 'WMP/R2'}) RETURN n.last_name AS x") == [{"x": "Fine"}]


def test_the_injection_names_are_stored_as_text(baseline: Database, tmp_path: Path) -> None:
    """The named example: a name written to end the statement and delete everything is a name."""
    db = baseline
    name = "x'}) DETACH DELETE n //"
    count = db.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    rows = [{"source_system": "WMP", "record_id": "INJ1", "last_name": name, "first_name": "<b>bold</b>"}]
    path = tmp_path / "person.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = load(db, [path], resolver=identity_exact.resolve, progress=False)
    assert report.ok
    got = db.read("MATCH (r:PersonRecord {uid: 'WMP/INJ1'}) RETURN r.last_name AS last, r.first_name AS first")
    assert got == [{"last": name, "first": "<b>bold</b>"}]
    # one PersonRecord, its Person, its IngestBatch: nothing else changed
    assert db.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == count + 3
    found = search_people(db, PersonSearch(last_name=name))
    assert [r.last_name for m in found.data for r in m.records] == [name]


# -- the people search ------------------------------------------------------------------------------
SEARCH_TEXT = st.one_of(st.none(), HOSTILE_TEXT, OVERSIZED)
SEARCH_INT = st.one_of(st.integers(-5, 300), st.sampled_from([2**31, 2**62, 2**63, 10**30]))


def _matches(record: Any, q: PersonSearch) -> bool:
    last, first = (record.last_name or "").lower(), (record.first_name or "").lower()
    ok_last = (
        q.last_name is None
        or last.startswith(q.last_name.lower())
        or q.last_name.lower() in " ".join(a.lower() for a in record.aliases or [])
    )
    ok_first = q.first_name is None or first.startswith(q.first_name.lower())
    return ok_last and ok_first


@pytest.fixture
def hostile_people(baseline: Database, tmp_path: Path) -> Database:
    """People whose stored names are hostile text, so a search can find them."""
    rows = [
        {"source_system": "WMP", "record_id": f"HS{k}", "last_name": name, "first_name": f"F{k}"}
        for k, name in enumerate(n for n in FRAGMENTS if n.strip() and "|" not in n and len(n.strip()) == len(n))
    ]
    path = tmp_path / "person.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = load(baseline, [path], resolver=identity_exact.resolve, progress=False)
    assert report.ok, report.rejects
    return baseline


def test_people_search_with_hostile_parameters(hostile_people: Database) -> None:
    db = hostile_people
    state = graph_state(db)

    @settings(HYPOTHESIS, max_examples=SEARCH_EXAMPLES)
    @given(
        first=SEARCH_TEXT,
        last=st.one_of(SEARCH_TEXT, st.sampled_from(FRAGMENTS)),
        identifier=SEARCH_TEXT,
        dob=st.one_of(st.none(), st.dates(date(1, 1, 1), date(9999, 12, 31))),
        skip=SEARCH_INT,
        limit=SEARCH_INT,
    )
    def check(first: str | None, last: str | None, identifier: str | None, dob: date | None, skip: int, limit: int):  # type: ignore[no-untyped-def]
        try:
            q = PersonSearch(first_name=first, last_name=last, identifier=identifier, dob=dob, skip=skip, limit=limit)
        except ValidationError as exc:
            assert exc.errors(), "refused with the fields at fault"
            return
        page = search_people(db, q)  # must not raise
        assert page.count >= len(page.data) and len(page.data) <= q.limit
        if all(t is None or t.isascii() for t in (q.first_name, q.last_name)):  # Java and Python lower alike
            for m in page.data:
                assert any(_matches(r, q) for r in m.records), (q, m)

    check()
    for name in (n for n in FRAGMENTS if n.strip() and "|" not in n and len(n.strip()) == len(n)):
        found = search_people(db, PersonSearch(last_name=name))
        assert name in {r.last_name for m in found.data for r in m.records}, name
    assert graph_state(db) == state


def test_people_search_endpoint_with_hostile_parameters(
    hostile_people: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.app import create_app
    from api.audit import verify
    from api.auth import create_user, signing_key
    from spr.settings import get_settings

    db = hostile_people
    monkeypatch.setenv("SPR_SECRET_KEY", "k" * 16 + "a-test-signing-key-of-48-characters")
    get_settings.cache_clear()
    signing_key.cache_clear()
    try:
        create_user(db, "analyst", "correct-horse-battery-staple", ["POLICE_ANALYST"])
        client = TestClient(create_app(lambda: db))
        r = client.post("/api/v1/auth/token", data={"username": "analyst", "password": "correct-horse-battery-staple"})
        headers = {
            "Authorization": f"Bearer {r.json()['access_token']}",
            "X-SPR-Purpose": "INVESTIGATION",
            "X-SPR-Purpose-Detail": "hostile input test",
        }

        @settings(HYPOTHESIS, max_examples=SEARCH_EXAMPLES)
        @given(
            params=st.dictionaries(
                st.sampled_from(["first_name", "last_name", "identifier", "dob", "skip", "limit", "x'})//"]),
                st.one_of(HOSTILE_TEXT, SEARCH_INT.map(str), st.dates().map(str)),
                max_size=4,
            )
        )
        def check(params: dict[str, str]) -> None:
            resp = client.get("/api/v1/persons", params=params, headers=headers)
            assert resp.status_code in (200, 422), (params, resp.status_code, resp.text[:300])
            body = resp.json()
            if resp.status_code == 422:
                assert body["errors"] and all(e["field"] for e in body["errors"])
            else:
                assert body["count"] >= len(body["data"])

        check()
        assert verify(db).ok, "every search was audited, hostile terms and all, and the chain still verifies"
    finally:
        get_settings.cache_clear()
        signing_key.cache_clear()
