"""The identity resolution settings (settings.yaml) and the nickname table (nicknames.csv), read once
into typed, immutable objects."""

from __future__ import annotations

import fnmatch
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

LevelKind = Literal[
    "missing", "exact", "jaro_winkler", "damerau_levenshtein", "array_intersect", "date_within_days", "custom", "else"
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Level(_Frozen):
    kind: LevelKind
    column: str | None = None
    threshold: float | None = None
    days: int | None = None
    sql: str | None = None
    label: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Level:
        if self.kind not in ("else", "custom") and not self.column:
            raise ValueError(f"a {self.kind} level needs a column")
        if self.kind == "custom" and not self.sql:
            raise ValueError("a custom level needs sql")
        if self.kind in ("jaro_winkler", "damerau_levenshtein") and self.threshold is None:
            raise ValueError(f"a {self.kind} level needs a threshold")
        if self.kind == "date_within_days" and self.days is None:
            raise ValueError("a date_within_days level needs days")
        return self


class ComparisonSpec(_Frozen):
    name: str
    needs: tuple[str, ...]
    unless: tuple[str, ...] = ()  # left out when the data has any of these (a better comparison covers it)
    levels: tuple[Level, ...]

    @model_validator(mode="after")
    def _shape(self) -> ComparisonSpec:
        if not self.levels or self.levels[0].kind != "missing":
            raise ValueError(f"comparison {self.name}: the first level must be the missing (null) level")
        if self.levels[-1].kind != "else":
            raise ValueError(f"comparison {self.name}: the last level must be else")
        return self


class BlockingRuleSpec(_Frozen):
    name: str
    sql: str
    explode: tuple[str, ...] = ()  # list columns whose elements are compared one by one (shared incidents)


class Thresholds(_Frozen):
    link: float = Field(gt=0, lt=1)
    review: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.review >= self.link:
            raise ValueError("thresholds: review must be below link")
        return self


class Training(_Frozen):
    seed: int
    u_max_pairs: float
    prior_rules: tuple[str, ...]
    prior_recall: float = Field(gt=0, le=1)
    em_rules: tuple[str, ...]
    m_floor: float = Field(default=0.0, ge=0, lt=0.1)
    em_max_pairs: float | None = None


class IdentitySettings(_Frozen):
    thresholds: Thresholds
    one_record_per_person_sources: tuple[str, ...] = ()
    conflicting_identifiers: tuple[str, ...] = ()
    training: Training
    blocking_rules: tuple[BlockingRuleSpec, ...]
    comparisons: tuple[ComparisonSpec, ...]

    def one_per_person(self, source_system: str) -> bool:
        """Whether ``source_system`` holds at most one record per person (a cluster check)."""
        return any(fnmatch.fnmatchcase(source_system, p) for p in self.one_record_per_person_sources)

    def band(self, probability: float) -> str:
        if probability >= self.thresholds.link:
            return "LINK"
        if probability >= self.thresholds.review:
            return "REVIEW"
        return "APART"


def _read(name: str) -> str:
    return resources.files("ingest.identity").joinpath(name).read_text(encoding="utf-8")


@cache
def identity_settings() -> IdentitySettings:
    data: Any = yaml.safe_load(_read("settings.yaml"))
    return IdentitySettings.model_validate(data)


@cache
def nicknames() -> dict[tuple[str, str], str]:
    """(lower-case form, sex or "") -> canonical lower-case name, from nicknames.yaml."""
    out: dict[tuple[str, str], str] = {}
    data: Any = yaml.safe_load(_read("nicknames.yaml"))
    for key, canonical in data["forms"].items():
        form, _, sex = str(key).partition("/")
        if sex not in ("", "M", "F"):
            raise ValueError(f"nicknames.yaml: {key!r}: the part after / must be M or F")
        out[(form.strip().lower(), sex)] = str(canonical).strip().lower()
    return out
