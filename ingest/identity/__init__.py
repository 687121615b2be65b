"""Identity resolution: PersonRecords from every force and agency resolved to Persons.

The matching core (prepare, matching, cluster, evaluate, frames) works on frames of person records
and knows nothing of the graph; ``graph`` and ``review`` are the Neo4j side. docs/identity-resolution.md
describes the model, the bands, the review flow and the known ways it fails.
"""

from ingest.identity.graph import ResolveResult, recluster, resolve, train_from_graph
from ingest.identity.matching import ModelMissing, TrainedModel, load_model, score, train
from ingest.identity.review import decide, explain_pair, explain_person, queue, queue_size

__all__ = [
    "ModelMissing",
    "ResolveResult",
    "TrainedModel",
    "decide",
    "explain_pair",
    "explain_person",
    "load_model",
    "queue",
    "queue_size",
    "recluster",
    "resolve",
    "score",
    "train",
    "train_from_graph",
]
