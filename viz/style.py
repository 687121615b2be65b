"""How each kind of node and relationship looks: colour, shape, label. One table for every view.

Colours come from the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies)
and every kind also has its own shape, so nothing is told by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindStyle:
    label: str
    colour: str
    shape: str  # a vis-network shape


@dataclass(frozen=True)
class EdgeStyle:
    label: str
    colour: str
    dashes: bool = False
    labelled: bool = True  # drawn with its label; bookkeeping links are explained by the legend only


SUBJECT_COLOUR = "#000000"
GROUP_STYLE = KindStyle("Grouped items", "#bbbbbb", "box")
DEFAULT_STYLE = KindStyle("Other", "#999999", "dot")

NODE_STYLES: dict[str, KindStyle] = {
    "Person": KindStyle("Person", "#0072B2", "dot"),
    "PersonRecord": KindStyle("Person record (as a source recorded it)", "#56B4E9", "dot"),
    "Incident": KindStyle("Incident (size: gravity)", "#D55E00", "diamond"),
    "Outcome": KindStyle("Outcome", "#CC79A7", "triangle"),
    "Order": KindStyle("Order", "#009E73", "square"),
    "Agency": KindStyle("Agency", "#666666", "hexagon"),
    "Address": KindStyle("Address", "#E69F00", "triangleDown"),
    "Travel": KindStyle("Travel", "#F0E442", "star"),
    "NotificationRequirement": KindStyle("Notification duty", "#009E73", "triangleDown"),
    "Notification": KindStyle("Notification", "#56B4E9", "square"),
    "Episode": KindStyle("MARAC / MATAC / MAPPA / DVDS episode", "#8c564b", "hexagon"),
    "Assessment": KindStyle("Risk assessment", "#E69F00", "dot"),
    "Nomination": KindStyle("MAPPA+ nomination", "#332288", "star"),
    "Flag": KindStyle("Flag (definition met)", "#882255", "star"),
    "Group": GROUP_STYLE,
}

# Relationship types as a panel reads them: the role a person played, or what links two things.
EDGE_STYLES: dict[str, EdgeStyle] = {
    "SUSPECT_IN": EdgeStyle("suspect", "#D55E00"),
    "VICTIM_IN": EdgeStyle("victim", "#0072B2"),
    "WITNESS_IN": EdgeStyle("witness", "#999999", dashes=True),
    "RESOLVES_TO": EdgeStyle("record of", "#56B4E9", dashes=True, labelled=False),
    "RECORDED_BY": EdgeStyle("recorded by", "#bbbbbb", dashes=True, labelled=False),
    "OUTCOME_FOR": EdgeStyle("outcome", "#CC79A7"),
    "HAS_OUTCOME": EdgeStyle("outcome", "#CC79A7"),
    "AGAINST": EdgeStyle("order against", "#009E73"),
    "PROTECTS": EdgeStyle("protects", "#009E73", dashes=True),
    "ISSUED_BY": EdgeStyle("issued by", "#bbbbbb", dashes=True, labelled=False),
    "BREACH_OF": EdgeStyle("breach of", "#B00020"),
    "RELATIONSHIP_WITH": EdgeStyle("relationship", "#882255"),
    "LIVES_AT": EdgeStyle("lives at", "#E69F00"),
    "TRAVELLED": EdgeStyle("travelled", "#999999"),
    "REQUIRES": EdgeStyle("must notify", "#009E73", dashes=True),
    "IMPOSED_BY": EdgeStyle("imposed by", "#bbbbbb", dashes=True, labelled=False),
    "NOTIFIED": EdgeStyle("notified", "#56B4E9"),
    "RECEIVED_BY": EdgeStyle("received by", "#bbbbbb", dashes=True, labelled=False),
    "SUBJECT_OF": EdgeStyle("subject of", "#8c564b"),
    "ASSESSES": EdgeStyle("assesses", "#E69F00", dashes=True, labelled=False),
    "ASSESSMENT_FOR": EdgeStyle("assessment for", "#E69F00", dashes=True, labelled=False),
    "NOMINATES": EdgeStyle("nominates", "#332288"),
    "FLAGGED": EdgeStyle("flagged", "#882255", labelled=False),
    "EVIDENCED_BY": EdgeStyle("evidence", "#882255", dashes=True, labelled=False),
    "MATCHES": EdgeStyle("scored match", "#56B4E9", dashes=True, labelled=False),
    "GROUPED": EdgeStyle("grouped", "#bbbbbb", dashes=True, labelled=False),
}
DEFAULT_EDGE = EdgeStyle("", "#999999")


def node_style(kind: str) -> KindStyle:
    return NODE_STYLES.get(kind, DEFAULT_STYLE)


def edge_style(kind: str) -> EdgeStyle:
    return EDGE_STYLES.get(kind, DEFAULT_EDGE)
