"""The interchange format: every record type validates, and bad records fail on the right field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from ingest.records import (
    FORMAT_VERSION,
    RECORD_TYPES,
    BaseRecord,
    IncidentRecord,
    OrderRecord,
    PersonRecord,
    csv_name,
    ndjson_name,
    vocabulary,
)

S = {"source_system": "WMP", "record_id": "X1"}

EXAMPLES: dict[str, dict] = {
    "agency": {
        "source_system": "SPR",
        "record_id": "WMP",
        "code": "WMP",
        "name": "West Midlands Police",
        "kind": "POLICE_FORCE",
        "area": "WMP",
    },
    "person": {
        **S,
        "first_name": "Bob",
        "middle_names": "James",
        "last_name": "Smith",
        "aliases": ["Robert Smyth"],
        "dob": "1984-03-07",
        "sex": "M",
        "pnc_id": "2014/0123456K",
        "other_ids": ["CRN:X123456"],
        "address_line1": "12 Church Road",
        "town": "Coventry",
        "postcode": "CV1 2AB",
    },
    "address": {
        **S,
        "person_ref": "WMP/N1",
        "line1": "12 Church Road",
        "town": "Coventry",
        "postcode": "cv12ab",
        "force_area": "WMP",
        "from_date": "2024-01-01",
    },
    "incident": {
        **S,
        "occurred_at": "2025-02-01T21:15:00Z",
        "reported_at": "2025-02-01T22:00:00Z",
        "agency_code": "WMP",
        "offence_code": "STRANGULATION",
        "is_crime": True,
        "is_stalking": False,
        "dash_grade": "HIGH",
        "risk_indicators": ["NON_FATAL_STRANGULATION", "SEPARATION"],
        "location_postcode": "B12 9QT",
    },
    "involvement": {**S, "incident_ref": "WMP/I1", "person_ref": "WMP/N1", "role": "SUSPECT"},
    "relationship": {
        **S,
        "person_ref": "WMP/N1",
        "other_ref": "WMP/N2",
        "kind": "FORMER_PARTNER",
        "start_date": "2020-05-01",
        "end_date": "2025-01-20",
    },
    "outcome": {
        "source_system": "COURT-EW",
        "record_id": "O1",
        "person_ref": "COURT-EW/N7",
        "incident_ref": "WMP/I1",
        "kind": "CONVICTION",
        "outcome_date": "2025-06-02",
        "offence_code": "STRANGULATION",
        "sentence_months": 30,
        "sentence_type": "CUSTODY",
        "court": "Crown Court",
        "agency_code": "COURT-EW",
    },
    "order": {
        "source_system": "COURT-EW",
        "record_id": "D1",
        "order_type": "SPO",
        "subject_ref": "COURT-EW/N7",
        "protected_refs": ["COURT-EW/N8"],
        "start_date": "2025-06-02",
        "end_date": "2027-06-01",
        "conditions": ["No contact with the protected person"],
        "duties": ["NAME", "ADDRESS"],
        "jurisdiction": "ENGLAND_WALES",
        "issuing_agency": "COURT-EW",
        "incident_ref": "WMP/I1",
    },
    "breach": {
        **S,
        "order_ref": "COURT-EW/D1",
        "incident_ref": "WMP/I9",
        "person_ref": "WMP/N1",
        "breach_date": "2025-08-01",
        "kind": "CONTACT",
    },
    "notification": {
        **S,
        "person_ref": "WMP/N1",
        "kind": "ADDRESS",
        "notified_at": "2025-07-03T10:00:00Z",
        "effective_date": "2025-07-01",
        "details": "New address",
        "received_by": "WMP",
        "order_ref": "COURT-EW/D1",
    },
    "episode": {
        "source_system": "PROB-WM",
        "record_id": "E1",
        "kind": "MAPPA",
        "person_ref": "PROB-WM/N3",
        "role": "SUBJECT",
        "category": "CAT2",
        "level": 1,
        "start_date": "2025-06-10",
    },
    "assessment": {
        **S,
        "kind": "DASH",
        "person_ref": "WMP/N2",
        "incident_ref": "WMP/I1",
        "grade": "HIGH",
        "score": 17,
        "assessed_at": "2025-02-02",
        "agency_code": "WMP",
    },
    "travel": {
        "source_system": "BORDER",
        "record_id": "J1",
        "person_ref": "BORDER/N4",
        "departure_date": "2025-09-01",
        "return_date": "2025-09-14",
        "destination": "es",
        "port": "Dover",
    },
}


def test_registry_names_and_files():
    assert FORMAT_VERSION == "1.0"
    assert list(RECORD_TYPES) == [
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
    ]
    assert ndjson_name("person") == "person.ndjson"
    assert csv_name("order") == "order.csv"
    assert set(EXAMPLES) == set(RECORD_TYPES)


@pytest.mark.parametrize("rtype", list(RECORD_TYPES))
def test_example_validates_and_round_trips(rtype):
    model = RECORD_TYPES[rtype]
    rec = model.model_validate(EXAMPLES[rtype])
    assert rec.record_version == 1
    assert rec.uid == f"{rec.source_system}/{rec.record_id}"
    assert model.model_validate_json(rec.to_json_line()) == rec
    assert model.from_csv_row(rec.to_csv_row()) == rec
    assert list(rec.to_csv_row()) == model.columns()
    assert "uid" not in json.loads(rec.to_json_line())


def test_normalisation():
    p = PersonRecord.model_validate(
        EXAMPLES["person"]
        | {"first_name": "  Bob ", "sex": "m", "postcode": "cv12ab", "pnc_id": "14/123k", "middle_names": ""}
    )
    assert (p.first_name, p.sex, p.postcode, p.pnc_id, p.middle_names) == ("Bob", "M", "CV1 2AB", "14/123K", None)
    i = IncidentRecord.model_validate(EXAMPLES["incident"] | {"occurred_at": "2025-02-01T21:15:00"})
    assert i.occurred_at.tzinfo is not None


def _errors(model: type[BaseRecord], data: dict, **kw) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data, **kw)
    return [(e["loc"], e["msg"]) for e in exc.value.errors()]


@pytest.mark.parametrize(
    ("rtype", "change", "field", "text"),
    [
        ("incident", {"offence_code": "BURGLARY"}, "offence_code", "unknown offence code"),
        ("incident", {"risk_indicators": ["NFS"]}, "risk_indicators", "unknown risk indicator"),
        ("incident", {"dash_grade": "VERY_HIGH"}, "dash_grade", "unknown DASH grade"),
        ("incident", {"colour": "red"}, "colour", "Extra inputs"),
        ("incident", {"is_crime": "maybe"}, "is_crime", "boolean"),
        ("person", {"pnc_id": "12345"}, "pnc_id", "not a PNC id"),
        ("person", {"postcode": "NOWHERE"}, "postcode", "not a UK postcode"),
        ("person", {"sex": "Q"}, "sex", "Input should be"),
        ("person", {"other_ids": ["123"]}, "other_ids", "SCHEME:value"),
        ("person", {"last_name": "  "}, "last_name", "Field required"),
        ("person", {"source_system": "wmp force"}, "source_system", "pattern"),
        ("involvement", {"role": "PERPETRATOR"}, "role", "Input should be"),
        ("involvement", {"person_ref": "N1"}, "person_ref", "pattern"),
        ("order", {"order_type": "ASBO"}, "order_type", "unknown order type"),
        ("order", {"duties": ["CURFEW"]}, "duties", "unknown duty"),
        ("address", {"force_area": "PSNI"}, "force_area", "unknown force code"),
        ("episode", {"level": 4}, "level", "less than or equal"),
        ("travel", {"destination": "Spain"}, "destination", "pattern"),
        ("assessment", {"score": 40}, "score", "less than or equal"),
        ("agency", {"kind": "CHARITY"}, "kind", "unknown agency kind"),
    ],
)
def test_field_errors_name_the_field(rtype, change, field, text):
    errors = _errors(RECORD_TYPES[rtype], EXAMPLES[rtype] | change)
    assert any(loc and loc[0] == field and text in msg for loc, msg in errors), errors


@pytest.mark.parametrize(
    ("rtype", "change", "text"),
    [
        ("incident", {"reported_at": "2025-01-01T00:00:00Z"}, "reported_at is before occurred_at"),
        ("incident", {"offence_code": "DA_NON_CRIME"}, "is_crime must be false"),
        ("incident", {"offence_code": "STALKING", "is_stalking": False}, "is_stalking must be true"),
        ("order", {"order_type": "DVPO", "end_date": "2025-09-01"}, "at most 28 days"),
        ("order", {"order_type": "DVPN", "end_date": None}, "end_date is required"),
        ("order", {"protected_refs": ["COURT-EW/N7"]}, "cannot be among"),
        ("order", {"end_date": "2024-01-01"}, "before start_date"),
        ("outcome", {"kind": "NFA"}, "CONVICTION only"),
        (
            "outcome",
            {"kind": "CAUTION", "offence_code": None, "sentence_months": None, "sentence_type": None},
            "offence_code is required",
        ),
        ("assessment", {"grade": "MEDIUM"}, "must be graded HIGH"),
        ("breach", {"incident_ref": None}, "incident_ref is required"),
        ("relationship", {"other_ref": "WMP/N1"}, "same record"),
        ("episode", {"category": "CAT9"}, "MAPPA category"),
        ("agency", {"code": "XYZ"}, "43 territorial force codes"),
    ],
)
def test_record_level_consistency(rtype, change, text):
    errors = _errors(RECORD_TYPES[rtype], EXAMPLES[rtype] | change)
    assert any(text in msg for _, msg in errors), errors


def test_no_future_dates_except_where_planned():
    now = {"now": datetime(2025, 3, 1, tzinfo=UTC)}
    errors = _errors(
        IncidentRecord,
        EXAMPLES["incident"] | {"occurred_at": "2025-06-01T00:00:00Z", "reported_at": "2025-06-01T01:00:00Z"},
        context=now,
    )
    assert any("in the future" in msg for _, msg in errors)
    errors = _errors(PersonRecord, EXAMPLES["person"] | {"dob": "2031-01-01"})
    assert any("dob" in msg and "future" in msg for _, msg in errors)
    # an order's end, planned travel and a travel notification's effective date may lie ahead
    OrderRecord.model_validate(EXAMPLES["order"] | {"end_date": "2099-01-01"})
    RECORD_TYPES["travel"].model_validate(EXAMPLES["travel"] | {"departure_date": "2099-01-01", "return_date": None})
    RECORD_TYPES["notification"].model_validate(EXAMPLES["notification"] | {"effective_date": "2099-01-01"})


def test_later_version_carries_the_same_uid():
    v1 = PersonRecord.model_validate(EXAMPLES["person"] | {"pnc_id": None})
    v2 = PersonRecord.model_validate(EXAMPLES["person"] | {"record_version": 2})
    assert v1.uid == v2.uid and v2.record_version > v1.record_version
    assert _errors(PersonRecord, EXAMPLES["person"] | {"record_version": 0})


def test_csv_lists_and_empty_cells():
    row = {k: "" for k in IncidentRecord.columns()} | {
        "source_system": "LAN",
        "record_id": "I9",
        "record_version": "2",
        "occurred_at": "2024-05-05T01:00:00Z",
        "reported_at": "2024-05-05T02:00:00Z",
        "agency_code": "LAN",
        "offence_code": "COMMON_ASSAULT",
        "is_crime": "true",
        "is_stalking": "false",
        "risk_indicators": "WEAPON|SEPARATION",
    }
    rec = IncidentRecord.from_csv_row(row)
    assert rec.risk_indicators == ["WEAPON", "SEPARATION"]
    assert rec.dash_grade is None and rec.record_version == 2


def test_vocabulary_is_the_graph_vocabulary():
    voc = vocabulary()
    assert len(voc.forces) == 43
    assert "NON_FATAL_STRANGULATION" in voc.indicators
    assert voc.dash_grades == ("STANDARD", "MEDIUM", "HIGH")
    assert date.today() >= date(2025, 1, 1)
