"""Typed, immutable objects for the vocabulary files, and the invariants they must keep."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PropertyType = Literal["string", "integer", "float", "boolean", "date", "datetime", "string[]"]


class UnknownVocabulary(ValueError):
    """A label, relationship type or code that the vocabulary does not define."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NodeType(_Frozen):
    name: str
    description: str
    key: str
    properties: dict[str, PropertyType]
    indexed: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    sensitive: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _props_declared(self) -> NodeType:
        for prop in (self.key, *self.indexed, *self.text, *self.sensitive):
            if prop not in self.properties:
                raise ValueError(f"node {self.name}: property {prop!r} is used but not declared")
        return self


class RelType(_Frozen):
    name: str
    from_: tuple[str, ...] = Field(alias="from")
    to: tuple[str, ...]
    properties: dict[str, PropertyType] = {}

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _as_tuple(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v


class GraphModel(_Frozen):
    schema_version: int
    provenance_types: dict[str, PropertyType]  # the provenance every sourced node and relationship carries
    nodes: dict[str, NodeType]
    relationships: dict[str, RelType]

    @property
    def provenance(self) -> tuple[str, ...]:
        return tuple(self.provenance_types)

    @model_validator(mode="after")
    def _ends_exist(self) -> GraphModel:
        for rel in self.relationships.values():
            for end in (*rel.from_, *rel.to):
                if end not in self.nodes:
                    raise ValueError(f"relationship {rel.name}: end label {end!r} is not a node type")
        return self

    def label(self, name: str) -> str:
        """A node label, checked against the schema: the only way a label enters Cypher text."""
        if name not in self.nodes:
            raise UnknownVocabulary(f"unknown node label {name!r}")
        return name

    def rel_type(self, name: str) -> str:
        """A relationship type, checked against the schema."""
        if name not in self.relationships:
            raise UnknownVocabulary(f"unknown relationship type {name!r}")
        return name


class Offence(_Frozen):
    code: str
    name: str
    gravity: int = Field(ge=1, le=10)
    crime: bool = True
    stalking: bool = False
    schedule15: bool = False
    coercive_control: bool = False
    breach: bool = False


class OrderDuty(_Frozen):
    duty: str
    deadline_days: int = Field(ge=0)


class OrderType(_Frozen):
    code: str
    name: str
    statute: str
    made_by: str
    min_days: int | None = None
    max_days: int | None = None
    breach_offence: bool
    qualifies_serial: bool
    proposed: bool = False
    duties: tuple[OrderDuty, ...] = ()


class Duty(_Frozen):
    code: str
    name: str
    deadline_days: int = Field(ge=0)
    in_advance: bool
    notification_kind: str


class Indicator(_Frozen):
    code: str
    name: str
    homicide_indicator: bool
    weight: int = Field(ge=0)
    source: str


class Definition(_Frozen):
    code: str
    name: str
    source: str
    params: dict[str, Any]

    def param(self, name: str) -> Any:
        if name not in self.params:
            raise UnknownVocabulary(f"definition {self.code} has no parameter {name!r}")
        return self.params[name]


class Agency(_Frozen):
    code: str
    name: str
    kind: str = "POLICE_FORCE"
    jurisdiction: str = "ENGLAND_WALES"


class Role(_Frozen):
    code: str
    name: str
    permissions: tuple[str, ...]
    agency_scoped: bool = False


class Purpose(_Frozen):
    code: str
    name: str


class Vocabulary(_Frozen):
    model: GraphModel
    offences: dict[str, Offence]
    orders: dict[str, OrderType]
    duties: dict[str, Duty]
    renotify_days: int
    indicators: dict[str, Indicator]
    dash_grades: tuple[str, ...]
    definitions: dict[str, Definition]
    jurisdictions: tuple[str, ...]
    agency_kinds: tuple[str, ...]
    forces: dict[str, Agency]
    permissions: dict[str, str]
    roles: dict[str, Role]
    purposes: dict[str, Purpose]

    @model_validator(mode="after")
    def _cross_references(self) -> Vocabulary:
        for order in self.orders.values():
            for d in order.duties:
                if d.duty not in self.duties:
                    raise ValueError(f"order {order.code}: duty {d.duty!r} is not in obligations.yaml")
        for role in self.roles.values():
            for perm in role.permissions:
                if perm not in self.permissions:
                    raise ValueError(f"role {role.code}: unknown permission {perm!r}")
        for code, definition in self.definitions.items():
            for sub in definition.params.get("qualifying_definitions", []):
                if sub not in self.definitions:
                    raise ValueError(f"definition {code}: unknown qualifying definition {sub!r}")
        return self

    def offence(self, code: str) -> Offence:
        try:
            return self.offences[code]
        except KeyError:
            raise UnknownVocabulary(f"unknown offence code {code!r}") from None

    def order(self, code: str) -> OrderType:
        try:
            return self.orders[code]
        except KeyError:
            raise UnknownVocabulary(f"unknown order type {code!r}") from None

    def definition(self, code: str) -> Definition:
        try:
            return self.definitions[code]
        except KeyError:
            raise UnknownVocabulary(f"unknown definition {code!r}") from None

    @property
    def serial_qualifying_orders(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.orders.values() if o.qualifies_serial)

    @property
    def homicide_indicators(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators.values() if i.homicide_indicator)


def _load(name: str) -> dict[str, Any]:
    text = resources.files("graph_schema").joinpath("vocabulary", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"vocabulary/{name} is not a mapping")
    return data


def _keyed(items: list[dict[str, Any]], what: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        code = item["code"]
        if code in out:
            raise ValueError(f"{what}: code {code!r} is defined twice")
        out[code] = item
    return out


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary, read once per process."""
    model = _load("model.yaml")
    nodes = {name: {"name": name, **spec} for name, spec in model["nodes"].items()}
    rels = {name: {"name": name, **spec} for name, spec in model["relationships"].items()}
    obligations = _load("obligations.yaml")
    indicators = _load("risk_indicators.yaml")
    definitions = _load("definitions.yaml")["definitions"]
    agencies = _load("agencies.yaml")
    roles = _load("roles.yaml")
    return Vocabulary.model_validate(
        {
            "model": {
                "schema_version": model["schema_version"],
                "provenance_types": model["provenance"],
                "nodes": nodes,
                "relationships": rels,
            },
            "offences": _keyed(_load("offences.yaml")["offences"], "offences.yaml"),
            "orders": _keyed(_load("orders.yaml")["orders"], "orders.yaml"),
            "duties": _keyed(obligations["duties"], "obligations.yaml"),
            "renotify_days": obligations["renotify_days"],
            "indicators": _keyed(indicators["indicators"], "risk_indicators.yaml"),
            "dash_grades": indicators["dash_grades"],
            "definitions": {code: {"code": code, **spec} for code, spec in definitions.items()},
            "jurisdictions": agencies["jurisdictions"],
            "agency_kinds": agencies["kinds"],
            "forces": _keyed(agencies["forces"], "agencies.yaml"),
            "permissions": roles["permissions"],
            "roles": {code: {"code": code, **spec} for code, spec in roles["roles"].items()},
            "purposes": _keyed(roles["purposes"], "roles.yaml"),
        }
    )


# -- alert rules (alert_rules.yaml) ------------------------------------------------------------------
RoutingTarget = Literal["INCIDENT_FORCE", "MANAGING_AGENCY", "ORDER_ISSUER", "RECORDING_AGENCY", "NOTIFICATION_AGENCY"]
AlertIdentity = Literal["EVIDENCE", "PERSON_DEFINITION"]


class AlertRule(_Frozen):
    code: str
    name: str
    trigger: str
    severity: str
    high_risk_severity: str
    route_to: tuple[RoutingTarget, ...] = Field(min_length=1)
    identity: AlertIdentity
    params: dict[str, Any] = {}

    def param(self, name: str) -> Any:
        if name not in self.params:
            raise UnknownVocabulary(f"alert rule {self.code} has no parameter {name!r}")
        return self.params[name]


class AlertRules(_Frozen):
    version: int
    severities: tuple[str, ...]
    statuses: tuple[str, ...]
    high_risk_grades: tuple[str, ...]
    routing_targets: dict[RoutingTarget, str]
    rules: dict[str, AlertRule]

    @model_validator(mode="after")
    def _consistent(self) -> AlertRules:
        if len(set(self.severities)) != len(self.severities):
            raise ValueError("alert_rules.yaml: severities repeat")
        if self.statuses[:1] != ("OPEN",) or "CLOSED" not in self.statuses:
            raise ValueError("alert_rules.yaml: statuses must start with OPEN and include CLOSED")
        for rule in self.rules.values():
            for sev in (rule.severity, rule.high_risk_severity):
                if sev not in self.severities:
                    raise ValueError(f"alert rule {rule.code}: unknown severity {sev!r}")
            if self.severities.index(rule.high_risk_severity) < self.severities.index(rule.severity):
                raise ValueError(f"alert rule {rule.code}: high_risk_severity is lower than severity")
            for target in rule.route_to:
                if target not in self.routing_targets:
                    raise ValueError(f"alert rule {rule.code}: routing target {target!r} is not described")
        return self

    def rule(self, code: str) -> AlertRule:
        try:
            return self.rules[code]
        except KeyError:
            raise UnknownVocabulary(f"unknown alert rule {code!r}") from None

    def severity_rank(self, severity: str) -> int:
        return self.severities.index(severity)


@cache
def alert_rules() -> AlertRules:
    """The alert rules, read once per process and checked against the rest of the vocabulary."""
    data = _load("alert_rules.yaml")
    rules = AlertRules.model_validate(
        {**data, "rules": {code: {"code": code, **spec} for code, spec in data["rules"].items()}}
    )
    v = vocabulary()
    for rule in rules.rules.values():
        named = list(rule.params.get("serial_definitions", []))
        if "definition" in rule.params:
            named.append(rule.params["definition"])
        for code in named:
            if code not in v.definitions:
                raise ValueError(f"alert rule {rule.code}: unknown definition {code!r}")
    for grade in rules.high_risk_grades:
        if grade not in v.dash_grades:
            raise ValueError(f"alert_rules.yaml: unknown DASH grade {grade!r}")
    return rules
