"""The interchange format every source speaks (docs/data-format.md), version ``FORMAT_VERSION``.

One pydantic model per record type. Every record carries the source system that sent it and that
system's record id; ``uid`` ("SOURCE/RECORD_ID") is how other records refer to it (fields ending
``_ref``). A later version of a record carries the same ids and a higher ``record_version``.

Validation here is per record: types, vocabulary codes (graph_schema/vocabulary/*.yaml), formats,
dates that cannot be in the future, and consistency inside one record. Checks that need several
records (a reference resolves, a victim is not the suspect of the same incident) belong to the ingest.

Files: NDJSON ``<type>.ndjson`` (one JSON object per line) or CSV ``<type>.csv`` (header row; list
fields joined with ``|``; an empty cell is a missing value).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

FORMAT_VERSION = "1.0"
LIST_SEPARATOR = "|"
NDJSON_SUFFIX = ".ndjson"
CSV_SUFFIX = ".csv"
# Clock skew and time zones: a timestamp up to this far ahead of "now" is still accepted.
FUTURE_TOLERANCE = timedelta(days=1)
MAX_AGE_YEARS = 120
# The largest integer the graph stores (a 64-bit signed integer).
MAX_RECORD_VERSION = 2**63 - 1


# --------------------------------------------------------------------------------------------------
# Vocabulary (read once from graph_schema/vocabulary)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """The codes the format accepts, read from the graph vocabulary files."""

    offences: Mapping[str, Mapping[str, Any]]
    orders: Mapping[str, Mapping[str, Any]]
    duties: Mapping[str, Mapping[str, Any]]
    indicators: Mapping[str, Mapping[str, Any]]
    dash_grades: tuple[str, ...]
    forces: Mapping[str, str]
    agency_kinds: tuple[str, ...]
    jurisdictions: tuple[str, ...]


def vocabulary_dir() -> Path:
    """Directory holding the vocabulary YAML files."""
    here = Path(__file__).resolve().parent.parent / "graph_schema" / "vocabulary"
    if here.is_dir():
        return here
    from importlib import resources

    return Path(str(resources.files("graph_schema").joinpath("vocabulary")))


@functools.cache
def vocabulary() -> Vocabulary:
    base = vocabulary_dir()

    def load(name: str) -> dict[str, Any]:
        with (base / name).open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)

    offences = load("offences.yaml")["offences"]
    orders = load("orders.yaml")["orders"]
    obligations = load("obligations.yaml")["duties"]
    risk = load("risk_indicators.yaml")
    agencies = load("agencies.yaml")
    return Vocabulary(
        offences={o["code"]: o for o in offences},
        orders={o["code"]: o for o in orders},
        duties={d["code"]: d for d in obligations},
        indicators={i["code"]: i for i in risk["indicators"]},
        dash_grades=tuple(risk["dash_grades"]),
        forces={f["code"]: f["name"] for f in agencies["forces"]},
        agency_kinds=tuple(agencies["kinds"]),
        jurisdictions=tuple(agencies["jurisdictions"]),
    )


def offence_is_crime(code: str) -> bool:
    return bool(vocabulary().offences[code].get("crime", True))


def offence_is_stalking(code: str) -> bool:
    return bool(vocabulary().offences[code].get("stalking", False))


def _check_code(value: str | None, allowed: Mapping[str, Any] | tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of: {', '.join(sorted(allowed))}")
    return value


# --------------------------------------------------------------------------------------------------
# Field types
# --------------------------------------------------------------------------------------------------

_SOURCE_RE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
SourceSystem = Annotated[str, StringConstraints(strip_whitespace=True, pattern=_SOURCE_RE, max_length=40)]
AgencyCode = SourceSystem
RecordId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^|\s]+$")]
Ref = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=141, pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*/[^|\s]+$"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^|]+$")]
Code = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=60)]
ListItem = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^|]+$")]
Sex = Literal["M", "F", "X", "U"]
Jurisdiction = Literal["ENGLAND_WALES", "SCOTLAND", "NORTHERN_IRELAND", "ABROAD"]

# UK postcode, normalised to upper case with one space before the inward code.
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
# PNC id: year of creation (2 or 4 digits), serial number, check letter, e.g. 2014/0123456K.
_PNC_RE = re.compile(r"^[0-9]{2}([0-9]{2})?/[0-9]{1,7}[A-Z]$")
# Other identifiers: SCHEME:value, e.g. CRN:X123456, NOMIS:A1234BC, PASSPORT:123456789.
_OTHER_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*:[^|\s]+$")


def normalise_postcode(value: str | None) -> str | None:
    if value is None:
        return None
    compact = value.strip().upper()
    m = _POSTCODE_RE.match(compact)
    if not m:
        raise ValueError(f"not a UK postcode: {value!r}")
    return f"{m.group(1)} {m.group(2)}"


def _now(info: ValidationInfo) -> datetime:
    ctx = info.context if isinstance(info.context, dict) else None
    now = ctx.get("now") if ctx else None
    if isinstance(now, datetime):
        return now if now.tzinfo else now.replace(tzinfo=UTC)
    if isinstance(now, date):
        return datetime(now.year, now.month, now.day, 23, 59, 59, tzinfo=UTC)
    return datetime.now(UTC)


def _not_future(value: date | datetime | None, info: ValidationInfo) -> None:
    if value is None:
        return
    limit = _now(info) + FUTURE_TOLERANCE
    if isinstance(value, datetime):
        if value > limit:
            raise ValueError(f"{value.isoformat()} is in the future")
    elif value > limit.date():
        raise ValueError(f"{value.isoformat()} is in the future")


def _utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are read as UTC; aware ones are converted to UTC."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError(f"{value.isoformat()} is out of range once converted to UTC") from None


# Dates and date-times arrive as ISO 8601 text. Anything else is refused rather than read as a Unix
# timestamp, which is what the parser would otherwise make of a number or of "20240101" (1970-08-23).
_ISO_START = re.compile(r"^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")


def _shown(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _iso_text(form: str) -> BeforeValidator:
    """Let a date (or date-time) field take ISO 8601 text or a date, and nothing else."""

    def check(value: Any) -> Any:
        if value is None or isinstance(value, date):
            return value
        if isinstance(value, str) and _ISO_START.match(value):
            return value
        raise ValueError(f"expected an ISO 8601 {form}, not {_shown(value)}")

    return BeforeValidator(check)


# The field types of dates and date-times: only those fields pay for the check (a validator on every field,
# as this once was, cost a third of a person record's validation).
IsoDate = Annotated[date, _iso_text("date (YYYY-MM-DD)")]
IsoDateTime = Annotated[datetime, _iso_text("date-time (YYYY-MM-DDThh:mm:ssZ)")]


# --------------------------------------------------------------------------------------------------
# Base record
# --------------------------------------------------------------------------------------------------


class BaseRecord(BaseModel):
    """Fields every record carries. ``uid`` is derived, never sent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    record_type: ClassVar[str] = ""
    # Fields that may lie in the future (planned travel, an order's end, a travel notification's date).
    future_ok: ClassVar[frozenset[str]] = frozenset()

    source_system: SourceSystem = Field(description="Sending system, e.g. a force code 'WMP' or 'PROB-NE'.")
    record_id: RecordId = Field(description="Unique within source_system and record type.")
    record_version: int = Field(
        default=1, ge=1, le=MAX_RECORD_VERSION, description="Later versions carry the same ids."
    )

    @property
    def uid(self) -> str:
        return f"{self.source_system}/{self.record_id}"

    @model_validator(mode="before")
    @classmethod
    def _empty_is_missing(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return _without_empty(data)
        return data

    @model_validator(mode="after")
    def _dates_not_future(self, info: ValidationInfo) -> BaseRecord:
        for name in _past_fields(type(self)):
            value = getattr(self, name)
            if value is not None:
                try:
                    _not_future(value, info)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        return self

    # -- file helpers -------------------------------------------------------------------------------

    @classmethod
    def columns(cls) -> list[str]:
        """Field names in file order (CSV header order)."""
        return list(cls.model_fields)

    @classmethod
    def list_fields(cls) -> frozenset[str]:
        return _list_fields(cls)

    @classmethod
    def from_csv_row(cls, row: Mapping[str, str | None], *, context: dict[str, Any] | None = None) -> Any:
        """Validate one CSV row: list fields split on ``|``, empty cells are missing."""
        lists = cls.list_fields()
        data: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or value == "":
                continue
            data[key] = [p for p in value.split(LIST_SEPARATOR) if p.strip()] if key in lists else value
        return cls.model_validate(data, context=context)

    def to_csv_row(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.model_dump(mode="json").items():
            if value is None:
                out[key] = ""
            elif isinstance(value, list):
                out[key] = LIST_SEPARATOR.join(str(v) for v in value)
            elif isinstance(value, bool):
                out[key] = "true" if value else "false"
            else:
                out[key] = str(value)
        return out

    def to_json_line(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def _without_empty(data: Mapping[str, Any]) -> Any:
    """The record without its empty (or blank) text values; most have none and are passed on, not copied."""
    if isinstance(data, dict):
        for v in data.values():
            if isinstance(v, str) and (not v or v.isspace()):  # v.strip() == ""
                break
        else:
            return data
    return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


@functools.cache
def _temporal_fields(cls: type[BaseRecord]) -> dict[str, str]:
    """Fields holding a date ("date") or a date-time ("datetime"), optional or not."""
    out: dict[str, str] = {}
    for name, field in cls.model_fields.items():
        kinds = {field.annotation, *get_args(field.annotation)}
        kinds |= {get_args(k)[0] for k in kinds if get_origin(k) is Annotated}  # IsoDate | None
        if datetime in kinds:
            out[name] = "datetime"
        elif date in kinds:
            out[name] = "date"
    return out


@functools.cache
def _past_fields(cls: type[BaseRecord]) -> tuple[str, ...]:
    """The date and date-time fields that cannot lie in the future, in field order."""
    return tuple(name for name in _temporal_fields(cls) if name not in cls.future_ok)


@functools.cache
def _list_fields(cls: type[BaseRecord]) -> frozenset[str]:
    names = set()
    for name, field in cls.model_fields.items():
        ann = field.annotation
        if get_origin(ann) is list or any(get_origin(a) is list for a in get_args(ann)):
            names.add(name)
    return frozenset(names)


# --------------------------------------------------------------------------------------------------
# Record types
# --------------------------------------------------------------------------------------------------


class AgencyRecord(BaseRecord):
    """A police force, probation region, prison, court, IDVA/ISAC service, MARAC or MAPPA area."""

    record_type: ClassVar[str] = "agency"

    code: AgencyCode
    name: Text
    kind: Code
    jurisdiction: Jurisdiction = "ENGLAND_WALES"
    area: Text | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return _check_code(v, vocabulary().agency_kinds, "agency kind") or v

    @model_validator(mode="after")
    def _force_code(self) -> AgencyRecord:
        if (
            self.kind == "POLICE_FORCE"
            and self.jurisdiction == "ENGLAND_WALES"
            and self.code not in vocabulary().forces
        ):
            raise ValueError(f"code: {self.code!r} is not one of the 43 territorial force codes")
        return self


class PersonRecord(BaseRecord):
    """One identity as one source recorded it."""

    record_type: ClassVar[str] = "person"

    first_name: Name | None = None
    middle_names: Name | None = None
    last_name: Name
    aliases: list[ListItem] = Field(default_factory=list, description="Other names, 'First Last'.")
    dob: IsoDate | None = None
    sex: Sex = "U"
    pnc_id: str | None = Field(default=None, description="Police National Computer id; police sources only.")
    other_ids: list[ListItem] = Field(default_factory=list, description="SCHEME:value identifiers.")
    address_line1: Text | None = None
    town: Text | None = None
    postcode: str | None = None

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("pnc_id")
    @classmethod
    def _pnc(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().upper()
        if not _PNC_RE.match(v):
            raise ValueError(f"not a PNC id (YY/NNNNNNNL or YYYY/NNNNNNNL): {v!r}")
        return v

    @field_validator("other_ids")
    @classmethod
    def _other_ids(cls, v: list[str]) -> list[str]:
        for item in v:
            if not _OTHER_ID_RE.match(item):
                raise ValueError(f"identifier {item!r} is not SCHEME:value")
        return v

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, v: str | None) -> str | None:
        return normalise_postcode(v)

    @field_validator("dob")
    @classmethod
    def _dob(cls, v: date | None, info: ValidationInfo) -> date | None:
        if v is not None and v.year < _now(info).year - MAX_AGE_YEARS:
            raise ValueError(f"{v.isoformat()} is more than {MAX_AGE_YEARS} years ago")
        return v


class AddressRecord(BaseRecord):
    """Where a person lived, from and to."""

    record_type: ClassVar[str] = "address"

    person_ref: Ref
    line1: Text
    town: Text | None = None
    postcode: str
    force_area: str | None = Field(default=None, description="Force code of the area (agencies.yaml).")
    from_date: IsoDate | None = None
    to_date: IsoDate | None = None

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, v: str) -> str:
        return normalise_postcode(v) or v

    @field_validator("force_area")
    @classmethod
    def _force(cls, v: str | None) -> str | None:
        return _check_code(v, vocabulary().forces, "force code")

    @model_validator(mode="after")
    def _order(self) -> AddressRecord:
        if self.from_date and self.to_date and self.to_date < self.from_date:
            raise ValueError("to_date is before from_date")
        return self


class IncidentRecord(BaseRecord):
    """A domestic-abuse-related crime or non-crime incident as one agency recorded it."""

    record_type: ClassVar[str] = "incident"

    occurred_at: IsoDateTime
    reported_at: IsoDateTime
    agency_code: AgencyCode
    offence_code: Code
    is_crime: bool
    is_stalking: bool = False
    dash_grade: Code | None = None
    risk_indicators: list[Code] = Field(default_factory=list)
    location_postcode: str | None = None
    description: Text | None = None

    @field_validator("occurred_at", "reported_at")
    @classmethod
    def _tz(cls, v: datetime) -> datetime:
        return _utc(v) or v

    @field_validator("offence_code")
    @classmethod
    def _offence(cls, v: str) -> str:
        return _check_code(v, vocabulary().offences, "offence code") or v

    @field_validator("dash_grade")
    @classmethod
    def _dash(cls, v: str | None) -> str | None:
        return _check_code(v, vocabulary().dash_grades, "DASH grade")

    @field_validator("risk_indicators")
    @classmethod
    def _indicators(cls, v: list[str]) -> list[str]:
        for code in v:
            _check_code(code, vocabulary().indicators, "risk indicator")
        if len(set(v)) != len(v):
            raise ValueError("risk indicator listed twice")
        return v

    @field_validator("location_postcode")
    @classmethod
    def _postcode(cls, v: str | None) -> str | None:
        return normalise_postcode(v)

    @model_validator(mode="after")
    def _consistent(self) -> IncidentRecord:
        if self.reported_at < self.occurred_at:
            raise ValueError("reported_at is before occurred_at")
        crime = offence_is_crime(self.offence_code)
        if self.is_crime != crime:
            raise ValueError(f"is_crime must be {str(crime).lower()} for offence {self.offence_code}")
        if offence_is_stalking(self.offence_code) and not self.is_stalking:
            raise ValueError(f"is_stalking must be true for offence {self.offence_code}")
        return self


class InvolvementRecord(BaseRecord):
    """A person's part in an incident."""

    record_type: ClassVar[str] = "involvement"

    incident_ref: Ref
    person_ref: Ref
    role: Literal["SUSPECT", "VICTIM", "WITNESS", "OTHER"]


class RelationshipRecord(BaseRecord):
    """A relationship between two people as a source recorded it (directed: person -> other)."""

    record_type: ClassVar[str] = "relationship"

    person_ref: Ref
    other_ref: Ref
    kind: Literal["INTIMATE_PARTNER", "FORMER_PARTNER", "FAMILY", "ASSOCIATE"]
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None

    @model_validator(mode="after")
    def _check(self) -> RelationshipRecord:
        if self.person_ref == self.other_ref:
            raise ValueError("person_ref and other_ref are the same record")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


OUTCOMES_NEEDING_OFFENCE = frozenset({"CHARGE", "CONVICTION", "CAUTION", "ACQUITTAL"})


class OutcomeRecord(BaseRecord):
    """What the justice system did: arrest, charge, conviction, caution, acquittal, no further action."""

    record_type: ClassVar[str] = "outcome"

    person_ref: Ref
    incident_ref: Ref | None = None
    kind: Literal["ARREST", "CHARGE", "CONVICTION", "CAUTION", "ACQUITTAL", "NFA"]
    outcome_date: IsoDate
    offence_code: Code | None = None
    sentence_months: int | None = Field(default=None, ge=0, le=1200)
    sentence_type: Literal["CUSTODY", "SUSPENDED", "COMMUNITY", "FINE", "DISCHARGE", "HOSPITAL"] | None = None
    court: Text | None = None
    agency_code: AgencyCode | None = None

    @field_validator("offence_code")
    @classmethod
    def _offence(cls, v: str | None) -> str | None:
        return _check_code(v, vocabulary().offences, "offence code")

    @model_validator(mode="after")
    def _check(self) -> OutcomeRecord:
        if self.kind in OUTCOMES_NEEDING_OFFENCE and self.offence_code is None:
            raise ValueError(f"offence_code is required for a {self.kind}")
        if self.kind != "CONVICTION" and (self.sentence_months is not None or self.sentence_type is not None):
            raise ValueError("sentence_months and sentence_type belong to a CONVICTION only")
        return self


class OrderRecord(BaseRecord):
    """A protective or preventive order: against whom, protecting whom, its conditions and duties."""

    record_type: ClassVar[str] = "order"
    future_ok: ClassVar[frozenset[str]] = frozenset({"end_date"})

    order_type: Code
    subject_ref: Ref
    protected_refs: list[Ref] = Field(default_factory=list)
    start_date: IsoDate
    end_date: IsoDate | None = Field(default=None, description="Missing = until further order.")
    conditions: list[ListItem] = Field(default_factory=list)
    duties: list[Code] = Field(
        default_factory=list,
        description="Notification duties imposed (obligations.yaml); the type's statutory duties always apply.",
    )
    jurisdiction: Jurisdiction = "ENGLAND_WALES"
    issuing_agency: AgencyCode
    incident_ref: Ref | None = None

    @field_validator("order_type")
    @classmethod
    def _type(cls, v: str) -> str:
        return _check_code(v, vocabulary().orders, "order type") or v

    @field_validator("duties")
    @classmethod
    def _duties(cls, v: list[str]) -> list[str]:
        for code in v:
            _check_code(code, vocabulary().duties, "duty")
        return v

    @model_validator(mode="after")
    def _length(self) -> OrderRecord:
        spec = vocabulary().orders[self.order_type]
        if self.end_date is not None:
            if self.end_date < self.start_date:
                raise ValueError("end_date is before start_date")
            max_days = spec.get("max_days")
            if max_days is not None and (self.end_date - self.start_date).days > max_days:
                raise ValueError(f"a {self.order_type} lasts at most {max_days} days")
        elif spec.get("max_days") is not None:
            raise ValueError(f"end_date is required for a {self.order_type} (at most {spec['max_days']} days)")
        if self.subject_ref in self.protected_refs:
            raise ValueError("the subject of an order cannot be among the people it protects")
        return self


class BreachRecord(BaseRecord):
    """A breach of an order, linked to the incident that records it."""

    record_type: ClassVar[str] = "breach"

    order_ref: Ref
    incident_ref: Ref | None = None
    person_ref: Ref | None = None
    breach_date: IsoDate
    kind: Literal["CONTACT", "LOCATION", "CONDITION", "FAILURE_TO_NOTIFY", "OTHER"] = "CONTACT"
    details: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> BreachRecord:
        if self.incident_ref is None and self.kind != "FAILURE_TO_NOTIFY":
            raise ValueError("incident_ref is required unless kind is FAILURE_TO_NOTIFY")
        return self


class NotificationRecord(BaseRecord):
    """A notification a person made (a change of name or address, travel, a new relationship, attendance)."""

    record_type: ClassVar[str] = "notification"
    future_ok: ClassVar[frozenset[str]] = frozenset({"effective_date"})

    person_ref: Ref
    kind: Literal["NAME", "ADDRESS", "TRAVEL", "RELATIONSHIP", "TREATMENT_ATTENDANCE"]
    notified_at: IsoDateTime
    effective_date: IsoDate = Field(description="When the change takes effect (departure date for travel).")
    details: Text | None = None
    received_by: AgencyCode | None = None
    order_ref: Ref | None = None

    @field_validator("notified_at")
    @classmethod
    def _tz(cls, v: datetime) -> datetime:
        return _utc(v) or v


MAPPA_CATEGORIES = ("CAT1", "CAT2", "CAT3", "CAT4", "MAPPA_PLUS")
DVDS_CATEGORIES = ("RIGHT_TO_ASK", "RIGHT_TO_KNOW")


class EpisodeRecord(BaseRecord):
    """A MARAC, MATAC, MAPPA or DVDS (Clare's Law) episode, one record per person taking part."""

    record_type: ClassVar[str] = "episode"

    kind: Literal["MARAC", "MATAC", "MAPPA", "DVDS"]
    person_ref: Ref
    role: Literal["VICTIM", "PERPETRATOR", "SUBJECT", "APPLICANT", "OTHER"]
    case_id: RecordId | None = Field(default=None, description="Groups the records of one episode.")
    category: Code | None = None
    level: int | None = Field(default=None, ge=1, le=3)
    start_date: IsoDate
    end_date: IsoDate | None = None
    decision: Code | None = None
    agency_code: AgencyCode | None = None

    @model_validator(mode="after")
    def _check(self) -> EpisodeRecord:
        if self.kind == "MAPPA" and self.category is not None and self.category not in MAPPA_CATEGORIES:
            raise ValueError(f"MAPPA category must be one of {', '.join(MAPPA_CATEGORIES)}")
        if self.kind == "DVDS" and self.category is not None and self.category not in DVDS_CATEGORIES:
            raise ValueError(f"DVDS category must be one of {', '.join(DVDS_CATEGORIES)}")
        if self.level is not None and self.kind != "MAPPA":
            raise ValueError("level applies to MAPPA episodes only")
        if self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


DASH_HIGH_THRESHOLD = 14
DASH_MAX_SCORE = 27


class AssessmentRecord(BaseRecord):
    """A DASH/DARA risk assessment or a recorded professional judgement."""

    record_type: ClassVar[str] = "assessment"

    kind: Literal["DASH", "DARA", "PROFESSIONAL_JUDGEMENT"]
    person_ref: Ref = Field(description="The person assessed (the victim for DASH/DARA).")
    incident_ref: Ref | None = None
    grade: Code | None = None
    score: int | None = Field(default=None, ge=0, le=DASH_MAX_SCORE)
    at_risk_of_offending: bool | None = None
    assessed_at: IsoDate
    agency_code: AgencyCode | None = None
    risk_indicators: list[Code] = Field(default_factory=list)
    notes: Text | None = None

    @field_validator("grade")
    @classmethod
    def _grade(cls, v: str | None) -> str | None:
        return _check_code(v, vocabulary().dash_grades, "grade")

    @field_validator("risk_indicators")
    @classmethod
    def _indicators(cls, v: list[str]) -> list[str]:
        for code in v:
            _check_code(code, vocabulary().indicators, "risk indicator")
        return v

    @model_validator(mode="after")
    def _check(self) -> AssessmentRecord:
        # Professional judgement can raise a grade, never lower it: 14+ "yes" answers is high risk.
        score = self.score if self.score is not None else 0
        if self.kind == "DASH" and score >= DASH_HIGH_THRESHOLD and self.grade != "HIGH":
            raise ValueError(f"a DASH score of {self.score} (14 or more) must be graded HIGH")
        if self.kind in ("DASH", "DARA") and self.grade is None:
            raise ValueError(f"grade is required for a {self.kind} assessment")
        return self


class TravelRecord(BaseRecord):
    """A journey abroad seen in an agency's records (border, carrier or police)."""

    record_type: ClassVar[str] = "travel"
    future_ok: ClassVar[frozenset[str]] = frozenset({"departure_date", "return_date"})

    person_ref: Ref
    departure_date: IsoDate
    return_date: IsoDate | None = None
    destination: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code."
    )
    port: Text | None = None

    @field_validator("destination", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _check(self) -> TravelRecord:
        if self.return_date and self.return_date < self.departure_date:
            raise ValueError("return_date is before departure_date")
        return self


RECORD_TYPES: dict[str, type[BaseRecord]] = {
    cls.record_type: cls
    for cls in (
        AgencyRecord,
        PersonRecord,
        AddressRecord,
        IncidentRecord,
        InvolvementRecord,
        RelationshipRecord,
        OutcomeRecord,
        OrderRecord,
        BreachRecord,
        NotificationRecord,
        EpisodeRecord,
        AssessmentRecord,
        TravelRecord,
    )
}


def ndjson_name(record_type: str) -> str:
    return f"{record_type}{NDJSON_SUFFIX}"


def csv_name(record_type: str) -> str:
    return f"{record_type}{CSV_SUFFIX}"


def iter_ndjson(path: Path, record_type: str, *, context: dict[str, Any] | None = None) -> Iterator[BaseRecord]:
    """Validate every line of one NDJSON file; raises pydantic.ValidationError at the first bad one."""
    model = RECORD_TYPES[record_type]
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield model.model_validate_json(line, context=context)
