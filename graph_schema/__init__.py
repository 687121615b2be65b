"""The register's vocabulary as data: labels, relationship types, offences, orders, duties, risk
indicators and the parameters of every definition, loaded once from vocabulary/*.yaml into immutable,
typed objects. Constraints and indexes are derived from the same files (see graph_schema.apply).
"""

from __future__ import annotations

from graph_schema.model import (
    Agency,
    Definition,
    Duty,
    GraphModel,
    Indicator,
    NodeType,
    Offence,
    OrderType,
    Purpose,
    RelType,
    Role,
    UnknownVocabulary,
    Vocabulary,
    vocabulary,
)

__all__ = [
    "Agency",
    "Definition",
    "Duty",
    "GraphModel",
    "Indicator",
    "NodeType",
    "Offence",
    "OrderType",
    "Purpose",
    "RelType",
    "Role",
    "UnknownVocabulary",
    "Vocabulary",
    "vocabulary",
]
