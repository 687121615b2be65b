"""Pydantic shapes the queries take and return. Inputs validate; outputs carry their evidence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AsOf(_In):
    """A question asked as known on a date: only records dated on or before ``as_of`` count."""

    as_of: date = Field(default_factory=date.today)
    person_ids: list[str] | None = Field(default=None, description="Only these people; None for everyone.")


class Evidence(_Out):
    """What made a definition true: keys of the nodes a panel can open."""

    incidents: list[str] = []
    victims: list[str] = []
    outcomes: list[str] = []
    orders: list[str] = []
    assessments: list[str] = []

    def keys(self) -> list[tuple[str, str]]:
        """(label, key) pairs, as the Flag's EVIDENCED_BY edges point to them."""
        out = [("Incident", u) for u in self.incidents]
        out += [("Person", u) for u in self.victims]
        out += [("Outcome", u) for u in self.outcomes]
        out += [("Order", u) for u in self.orders]
        out += [("Assessment", u) for u in self.assessments]
        return sorted(set(out))


class DefinitionHit(_Out):
    """One person meeting one named definition on ``as_of``."""

    person_id: str
    definition: str
    definition_version: int
    first_met: date
    as_of: date
    evidence: Evidence
    details: dict[str, Any] = {}


# -- RFGV ------------------------------------------------------------------------------------------
class RfgvQuery(AsOf):
    force: str | None = Field(default=None, description="Rank within one force (people it recorded in the window).")
    top_n: int | None = Field(default=None, ge=1)


class RfgvScore(_Out):
    person_id: str
    as_of: date
    score: float
    recency: float
    frequency: float
    gravity: float
    victims: int
    incidents: int
    last_incident: date
    forces: list[str]
    rank: int = 0
    evidence: Evidence


class ScorePoint(_Out):
    as_of: date
    score: float
    rank: int | None
    computed_at: datetime | None


# -- escalation ------------------------------------------------------------------------------------
class PathStep(_Out):
    uid: str
    occurred_on: date
    gravity: int
    offence_code: str | None
    victim_ids: list[str]
    indicators: list[str]


class EscalationPath(_Out):
    person_id: str
    steps: list[PathStep]
    gravity_rise: int


class SeparationMarker(_Out):
    person_id: str
    separation: PathStep
    followed_by: PathStep
    days_after: int


class EscalationReport(_Out):
    person_id: str
    as_of: date
    timeline: list[PathStep]
    paths: list[EscalationPath]
    separation_markers: list[SeparationMarker]


# -- nominations -----------------------------------------------------------------------------------
NominationStatus = Literal["NOMINATED", "ACCEPTED", "DECLINED", "CLOSED"]
CATEGORY_LABEL = "MAPPA+ DA/stalking category (proposed)"


class CandidateQuery(_In):
    """The MAPPA+ nomination list. No ``as_of`` (and no ``person_ids``): the list the sweep stored (kept
    current by every ingest batch). A date: the list computed as known on that date (slow at scale)."""

    as_of: date | None = None
    person_ids: list[str] | None = Field(default=None, description="Only these people (computed); None for everyone.")
    force: str | None = None


class Candidate(_Out):
    person_id: str
    display_name: str | None
    reasons: list[str]
    first_met: date | None
    rfgv_score: float | None
    rfgv_rank: int | None
    mappa_cat2_eligible: bool
    cat2_reasons: list[str]
    forces: list[str]
    category: str = CATEGORY_LABEL


class NominationCreate(_In):
    person_id: str
    reasons: list[str] = Field(min_length=1)
    nominated_by: str = Field(min_length=1)
    lead_agency: str | None = None


class NominationDecision(_In):
    nomination_id: str
    decided_by: str = Field(min_length=1)
    accept: bool
    level: int | None = Field(default=None, ge=1, le=3)
    reason: str | None = None


class Nomination(_Out):
    nomination_id: str
    person_id: str
    status: NominationStatus
    category: str = CATEGORY_LABEL
    level: int | None = None
    reasons: list[str]
    created_at: datetime
    nominated_by: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    lead_agency: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


# -- obligations -----------------------------------------------------------------------------------
class ObligationEvent(_Out):
    duty: str
    event: str
    event_date: date
    due_by: date
    status: Literal["NOTIFIED", "LATE", "MISSING", "PENDING"]
    notification: str | None = None
    notified_on: date | None = None
    details: dict[str, Any] = {}


class DutyStatus(_Out):
    requirement: str
    duty: str
    deadline_days: int
    start_date: date | None
    end_date: date | None
    imposed_by: str | None
    events: list[ObligationEvent]


class ObligationReport(_Out):
    person_id: str
    as_of: date
    duties: list[DutyStatus]
    notifications: list[dict[str, Any]]
    breaches: list[ObligationEvent]


# -- cross-force, consistency, disclosure ----------------------------------------------------------
class ForceView(_Out):
    force: str
    incidents: int
    victims: int


class CrossForceHistory(_Out):
    person_id: str
    forces: list[ForceView]
    total_incidents: int
    total_victims: int
    max_single_force_victims: int
    max_single_force_incidents: int
    serial_visible_to_one_force: bool


class ForceConsistency(_Out):
    force: str
    people: int
    by_definition: dict[str, int]
    nominated: int
    accepted: int
    declined: int
    nomination_rate: float | None


class ConsistencyReport(_Out):
    as_of: date
    forces: list[ForceConsistency]
    spread: dict[str, dict[str, float]]


class DisclosureItem(_Out):
    kind: str
    date: date | None
    code: str | None
    uid: str
    source: str | None


class DisclosureSummary(_Out):
    person_id: str
    as_of: date
    counts: dict[str, int]
    items: list[DisclosureItem]
    sources: list[str]


# -- case graph, timeline, networks ----------------------------------------------------------------
class CaseGraphQuery(_In):
    person_id: str
    depth: int = Field(default=2, ge=1, le=6)
    since: date | None = None
    until: date | None = None
    include_sensitive: bool = False


class GraphNode(_Out):
    id: str
    kind: str
    caption: str
    time: date | None = None
    weight: float = 1.0
    properties: dict[str, Any] = {}


class GraphEdge(_Out):
    id: str
    source: str
    target: str
    kind: str
    caption: str = ""
    time: date | None = None
    weight: float = 1.0


class CaseGraph(_Out):
    person_id: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class TimelineEvent(_Out):
    date: date | None
    kind: str
    role: str | None
    uid: str
    caption: str
    source: str | None


class NetworkGroup(_Out):
    members: list[str]
    central: list[tuple[str, float]]
    edges: int
    kinds: dict[str, int]


class Network(_Out):
    groups: list[NetworkGroup]
    edges: list[GraphEdge]
