"""Pattern queries: serial, repeat, high risk, RFGV priority, escalation, MAPPA+ nominations, obligations,
cross-force histories, consistency, disclosure summary, case graph, timeline and networks.

Each query is a ``.cypher`` file in ``queries/cypher`` (see ``queries.catalog``) with a typed function
beside it; every function that depends on time takes ``as_of`` and returns its evidence.
"""

from queries.casegraph import case_graph, timeline
from queries.definitions import find_high_risk, find_repeat, find_serial_campaign, find_serial_matac
from queries.detect import DetectResult, detect, person_flags, sweep
from queries.escalation import escalation_report, find_escalation
from queries.histories import consistency, disclosure_summary, find_cross_force
from queries.networks import find_networks
from queries.nominations import close, decide, find_candidates, list_nominations, nominate
from queries.obligations import check_obligations
from queries.rfgv import compute_rfgv, score_history

__all__ = [
    "DetectResult",
    "case_graph",
    "check_obligations",
    "close",
    "compute_rfgv",
    "consistency",
    "decide",
    "detect",
    "disclosure_summary",
    "escalation_report",
    "find_candidates",
    "find_cross_force",
    "find_escalation",
    "find_high_risk",
    "find_networks",
    "find_repeat",
    "find_serial_campaign",
    "find_serial_matac",
    "list_nominations",
    "nominate",
    "person_flags",
    "score_history",
    "sweep",
    "timeline",
]
