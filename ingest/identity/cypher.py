"""The Cypher of the identity stage. Labels and relationship types come from the schema's whitelist;
values only ever travel as parameters."""

from __future__ import annotations

from typing import LiteralString

from graph_schema import vocabulary
from ingest.identity.keys import KEYS

_M = vocabulary().model
PR, P, RT = _M.label("PersonRecord"), _M.label("Person"), _M.rel_type("RESOLVES_TO")
MATCHES, CONCERNS, AFFECTED = _M.rel_type("MATCHES"), _M.rel_type("CONCERNS"), _M.rel_type("AFFECTED")
REVIEW, DECISION, EVENT = _M.label("ReviewItem"), _M.label("ResolutionDecision"), _M.label("IdentityEvent")
ADDRESS, LIVES_AT = _M.label("Address"), _M.rel_type("LIVES_AT")
SUSPECT_IN, VICTIM_IN, WITNESS_IN = _M.rel_type("SUSPECT_IN"), _M.rel_type("VICTIM_IN"), _M.rel_type("WITNESS_IN")
HAS_OUTCOME, OUTCOME_FOR = _M.rel_type("HAS_OUTCOME"), _M.rel_type("OUTCOME_FOR")
ASSESSES, ASSESSMENT_FOR = _M.rel_type("ASSESSES"), _M.rel_type("ASSESSMENT_FOR")
FLAGGED, SCORED = _M.rel_type("FLAGGED"), _M.rel_type("SCORED")
NOMINATES, ABOUT = _M.rel_type("NOMINATES"), _M.rel_type("ABOUT")
OUTCOME = _M.label("Outcome")


def _q(text: str) -> LiteralString:
    # Built only from the constants above (schema-checked names) and fixed text.
    return text


# Every person record in one pass, with what the matching model reads and the record's current link: the
# latest address (the highest address uid), the incidents it is tied to with the part played, and its Person;
# and which derivation its stored blocking keys come from. READ_RECORDS_OF: the same for some records.
_RECORD = (
    "RETURN r.uid AS uid, r.source_system AS source_system, r.first_name AS first_name, "
    "r.middle_names AS middle_names, r.last_name AS last_name, r.aliases AS aliases, r.dob AS dob, r.sex AS sex, "
    "r.pnc_id AS pnc_id, r.other_ids AS other_ids, r.postcode AS postcode, "
    f"COLLECT {{ MATCH (r)-[:{LIVES_AT}]->(a:{ADDRESS}) WITH a ORDER BY a.uid DESC LIMIT 1 "
    "RETURN [a.postcode, a.line1, a.town] } AS address, "
    f"COLLECT {{ MATCH (r)-[x:{SUSPECT_IN}|{VICTIM_IN}|{WITNESS_IN}]->(i) "
    "RETURN i.uid + '#' + CASE type(x) WHEN $suspect THEN 'S' WHEN $victim THEN 'V' ELSE 'W' END } "
    f"+ COLLECT {{ MATCH (r)-[:{HAS_OUTCOME}]->(:{OUTCOME})-[:{OUTCOME_FOR}]->(oi) RETURN oi.uid + '#S' }} "
    f"+ COLLECT {{ MATCH (s)-[:{ASSESSES}]->(r) WHERE s.kind IN ['DASH', 'DARA'] "
    f"MATCH (s)-[:{ASSESSMENT_FOR}]->(si) RETURN si.uid + '#V' }} AS events, "
    f"COLLECT {{ MATCH (r)-[x:{RT}]->(p:{P}) "
    "RETURN {person_id: p.person_id, method: x.method, probability: x.probability} } AS links, "
    "r.block_version AS block_version"
)
READ_RECORDS = _q(f"MATCH (r:{PR}) " + _RECORD)
READ_RECORDS_OF = _q(f"UNWIND $uids AS u MATCH (r:{PR} {{uid: u}}) " + _RECORD)

# Blocking keys (ingest.identity.keys): written when a record is prepared for scoring; each key property
# has a range index, so the records sharing a key with new records are found by index seeks.
_PR_PROPS = _M.nodes[PR].properties


def _prop(name: str) -> str:
    if name not in _PR_PROPS:
        raise ValueError(f"{name!r} is not a PersonRecord property in model.yaml")
    return name


def _write_keys(props: tuple[str, ...]) -> LiteralString:
    sets = ", ".join(f"r.{_prop(p)} = row.{p}" for p in props)
    return _q(f"UNWIND $rows AS row MATCH (r:{PR} {{uid: row.uid}}) SET {sets}, r.{_prop('block_version')} = $version")


# The records sharing a stored key with some records (``$values``: key property -> values), or an incident
# in the same part (``$events``), in one query: a branch of index seeks per key, and a walk from each
# incident, as READ_RECORDS derives the part (an outcome is a suspect's, a DASH or DARA assessment a victim's).
FIND_CANDIDATES = _q(
    "CALL () { "
    + " UNION ".join(
        f"UNWIND coalesce($values.{_prop(p)}, []) AS v MATCH (r:{PR} {{{_prop(p)}: v}}) RETURN r.uid AS uid"
        for p in KEYS
    )
    + f" UNION UNWIND $events AS e MATCH (i:{_M.label('Incident')} {{uid: e.incident}}) "
    "CALL (i, e) { "
    f"MATCH (o:{PR})-[x:{SUSPECT_IN}|{VICTIM_IN}|{WITNESS_IN}]->(i) WHERE type(x) = e.type RETURN o "
    f"UNION MATCH (o:{PR})-[:{HAS_OUTCOME}]->(:{OUTCOME})-[:{OUTCOME_FOR}]->(i) WHERE e.part = 'S' RETURN o "
    f"UNION MATCH (o:{PR})<-[:{ASSESSES}]-(s:{_M.label('Assessment')})-[:{ASSESSMENT_FOR}]->(i) "
    "WHERE e.part = 'V' AND s.kind IN ['DASH', 'DARA'] RETURN o } "
    "RETURN o.uid AS uid } "
    "RETURN uid"
)
WRITE_KEYS = _write_keys(tuple(KEYS))
COUNT_RECORDS = _q(f"MATCH (r:{PR}) RETURN count(r) AS n")
COUNT_KEYED = _q(f"MATCH (r:{PR}) WHERE r.{_prop('block_version')} = $version RETURN count(r) AS n")
UNKEYED = _q(
    f"MATCH (r:{PR}) WHERE r.{_prop('block_version')} IS NULL OR r.{_prop('block_version')} <> $version "
    "RETURN r.uid AS uid"
)

# MATCHES edges are stored once per pair, from the lower uid to the higher.
DELETE_MATCHES_ALL = _q(f"MATCH (:{PR})-[m:{MATCHES}]->(:{PR}) CALL (m) {{ DELETE m }} IN TRANSACTIONS OF 10000 ROWS")
# Pairs of re-scored records that are no longer candidates at or above the review threshold: each row is
# a re-scored record and the records it is still paired with.
DELETE_STALE_MATCHES = _q(
    f"UNWIND $rows AS row MATCH (:{PR} {{uid: row.uid}})-[m:{MATCHES}]-(b:{PR}) WHERE NOT b.uid IN row.keep DELETE m"
)
WRITE_MATCHES = _q(
    f"UNWIND $rows AS row MATCH (a:{PR} {{uid: row.left}}), (b:{PR} {{uid: row.right}}) "
    f"MERGE (a)-[m:{MATCHES}]->(b) "
    "SET m.scored_at = CASE WHEN m.probability = row.probability AND m.model_version = $model_version "
    "THEN m.scored_at ELSE $at END, m.probability = row.probability, m.match_weight = row.match_weight, "
    "m.band = row.band, m.model_version = $model_version, m.explanation = row.explanation"
)
ALL_MATCHES = _q(f"MATCH (a:{PR})-[:{MATCHES}]->(b:{PR}) RETURN a.uid AS left, b.uid AS right")
DELETE_MATCHES = _q(
    f"UNWIND $rows AS row MATCH (:{PR} {{uid: row.left}})-[m:{MATCHES}]->(:{PR} {{uid: row.right}}) DELETE m"
)
READ_NEIGHBOURS = _q(
    f"UNWIND $uids AS u MATCH (:{PR} {{uid: u}})-[m:{MATCHES}]-(o:{PR}) WHERE m.probability >= $min "
    "RETURN DISTINCT o.uid AS uid"
)
READ_PERSON_MEMBERS = _q(
    f"UNWIND $uids AS u MATCH (:{PR} {{uid: u}})-[:{RT}]->(p:{P})<-[:{RT}]-(o:{PR}) RETURN DISTINCT o.uid AS uid"
)
# The stored pairs of some records, each from its lower uid (MATCHES points from the lower to the higher).
READ_EDGES_FROM = _q(
    f"UNWIND $uids AS u MATCH (a:{PR} {{uid: u}})-[m:{MATCHES}]->(b:{PR}) "
    "RETURN a.uid AS left, b.uid AS right, m.probability AS probability, m.match_weight AS match_weight, "
    "m.model_version AS model_version"
)
READ_CURRENT = _q(
    f"UNWIND $uids AS u MATCH (r:{PR} {{uid: u}}) OPTIONAL MATCH (r)-[x:{RT}]->(p:{P}) "
    "RETURN r.uid AS uid, r.source_system AS source_system, r.pnc_id AS pnc_id, p.person_id AS person_id, "
    "x.method AS method, x.probability AS probability, x.decided_by AS decided_by"
)
# The latest decision on each pair touching some records; READ_ALL_DECISIONS: on every pair (decisions are
# analysts' work, so few: one read beats looking up every record of a large scope).
READ_DECISIONS = _q(
    f"UNWIND $uids AS u MATCH (:{PR} {{uid: u}})<-[:{CONCERNS}]-(d:{DECISION}) "
    "WITH DISTINCT d ORDER BY d.decided_at DESC, d.decision_id DESC "
    "WITH d.pair_key AS pair, collect(d)[0] AS d "
    "RETURN d.left_uid AS left, d.right_uid AS right, d.decision AS decision, d.decided_by AS decided_by"
)
READ_ALL_DECISIONS = _q(
    f"MATCH (d:{DECISION}) WITH d ORDER BY d.decided_at DESC, d.decision_id DESC "
    "WITH d.pair_key AS pair, collect(d)[0] AS d "
    "RETURN d.left_uid AS left, d.right_uid AS right, d.decision AS decision, d.decided_by AS decided_by"
)
EXISTING_PERSON_IDS = _q(f"UNWIND $ids AS pid MATCH (p:{P} {{person_id: pid}}) RETURN p.person_id AS person_id")

# Re-point a record to its Person; history is in IdentityEvent nodes.
LINK = _q(
    f"UNWIND $rows AS row MATCH (r:{PR} {{uid: row.uid}}) "
    f"MERGE (p:{P} {{person_id: row.person_id}}) ON CREATE SET p.created_at = $at "
    "WITH r, p, row "
    f"OPTIONAL MATCH (r)-[old:{RT}]->(other:{P}) WHERE other <> p "
    "DELETE old "
    f"WITH DISTINCT r, p, row MERGE (r)-[x:{RT}]->(p) "
    "SET x.probability = row.probability, x.method = row.method, x.decided_by = row.decided_by, "
    "x.model_version = row.model_version, x.decided_at = $at"
)
# A record that stays with its Person: only the link's provenance changes (cheaper than LINK: no Person to
# merge, no old link to delete).
RESTAMP = _q(
    f"UNWIND $rows AS row MATCH (:{PR} {{uid: row.uid}})-[x:{RT}]->(:{P} {{person_id: row.person_id}}) "
    "SET x.probability = row.probability, x.method = row.method, x.decided_by = row.decided_by, "
    "x.model_version = row.model_version, x.decided_at = $at"
)
REFRESH_PERSONS = _q(
    f"UNWIND $ids AS pid MATCH (p:{P} {{person_id: pid}})<-[:{RT}]-(r:{PR}) "
    "WITH p, r ORDER BY r.uid WITH p, collect(r) AS rs "
    "WITH p, rs, [x IN rs WHERE x.dob IS NOT NULL][0] AS withdob, [x IN rs WHERE x.sex IN ['M', 'F']][0] AS withsex "
    "SET p.display_name = trim(coalesce(rs[0].first_name + ' ', '') + rs[0].last_name), "
    "p.dob = withdob.dob, p.sex = coalesce(withsex.sex, rs[0].sex)"
)
# A merged-away Person: its workflow (nominations, alerts) and history move to the survivor; its
# derived data (flags, scores) is dropped for the sweep to recompute on the survivor.
RETIRE_PERSON = _q(
    f"UNWIND $rows AS row MATCH (gone:{P} {{person_id: row.gone}}) WHERE NOT (gone)<-[:{RT}]-() "
    f"MATCH (keep:{P} {{person_id: row.keep}}) "
    f"CALL (gone, keep) {{ MATCH (n)-[x:{NOMINATES}]->(gone) MERGE (n)-[:{NOMINATES}]->(keep) DELETE x }} "
    f"CALL (gone, keep) {{ MATCH (al)-[x:{ABOUT}]->(gone) MERGE (al)-[:{ABOUT}]->(keep) DELETE x }} "
    f"CALL (gone, keep) {{ MATCH (e:{EVENT})-[x:{AFFECTED}]->(gone) MERGE (e)-[:{AFFECTED}]->(keep) DELETE x }} "
    f"CALL (gone) {{ MATCH (gone)-[:{FLAGGED}|{SCORED}]->(d) DETACH DELETE d }} "
    "DETACH DELETE gone"
)
DELETE_EMPTY_PERSONS = _q(
    f"UNWIND $ids AS pid MATCH (p:{P} {{person_id: pid}}) WHERE NOT (p)<-[:{RT}]-() DETACH DELETE p"
)
WRITE_EVENTS = _q(
    f"UNWIND $rows AS row CREATE (e:{EVENT} {{event_id: row.event_id}}) "
    "SET e.kind = row.kind, e.at = $at, e.person_id = row.person_id, e.other_person_ids = row.other_person_ids, "
    "e.record_uids = row.record_uids, e.decided_by = row.decided_by, e.model_version = row.model_version, "
    "e.reason = row.reason "
    f"WITH e, row UNWIND [row.person_id] + row.other_person_ids AS pid MATCH (p:{P} {{person_id: pid}}) "
    f"MERGE (e)-[:{AFFECTED}]->(p)"
)

# The review queue.
UPSERT_REVIEW = _q(
    f"UNWIND $rows AS row MERGE (i:{REVIEW} {{review_id: row.review_id}}) "
    "ON CREATE SET i.created_at = $at, i.left_uid = row.left, i.right_uid = row.right "
    "SET i.updated_at = CASE WHEN i.status = 'OPEN' AND i.probability = row.probability "
    "AND i.reason = row.reason THEN coalesce(i.updated_at, $at) ELSE $at END, "
    "i.status = 'OPEN', i.probability = row.probability, i.match_weight = row.match_weight, "
    "i.model_version = row.model_version, i.reason = row.reason "
    f"WITH i, row MATCH (a:{PR} {{uid: row.left}}), (b:{PR} {{uid: row.right}}) "
    f"MERGE (i)-[:{CONCERNS}]->(a) MERGE (i)-[:{CONCERNS}]->(b)"
)
# The open review items of some records, found through the indexed uids of their two records (starting
# from the records, the planner would scan every open item for each record).
READ_OPEN_REVIEWS = _q(
    f"UNWIND $uids AS u CALL (u) {{ MATCH (i:{REVIEW} {{left_uid: u}}) RETURN i "
    f"UNION MATCH (i:{REVIEW} {{right_uid: u}}) RETURN i }} "
    "WITH DISTINCT i WHERE i.status = 'OPEN' RETURN i.review_id AS review_id"
)
CLOSE_REVIEWS = _q(
    f"UNWIND $ids AS rid MATCH (i:{REVIEW} {{review_id: rid}}) WHERE i.status = 'OPEN' "
    "SET i.status = $status, i.updated_at = $at"
)
SET_REVIEW_STATUS = _q(
    f"MATCH (i:{REVIEW} {{review_id: $review_id}}) SET i.status = $status, i.updated_at = $at RETURN i.review_id AS id"
)
LIST_REVIEWS = _q(
    f"MATCH (i:{REVIEW} {{status: $status}}) "
    f"OPTIONAL MATCH (:{PR} {{uid: i.left_uid}})-[m:{MATCHES}]->(:{PR} {{uid: i.right_uid}}) "
    "RETURN i.review_id AS review_id, i.left_uid AS left, i.right_uid AS right, i.probability AS probability, "
    "i.match_weight AS match_weight, i.reason AS reason, i.model_version AS model_version, "
    "i.created_at AS created_at, m.explanation AS explanation "
    "ORDER BY i.probability DESC, i.review_id LIMIT $limit"
)
COUNT_REVIEWS = _q(f"MATCH (i:{REVIEW}) RETURN i.status AS status, count(*) AS n ORDER BY status")
WRITE_DECISION = _q(
    f"MATCH (a:{PR} {{uid: $left}}), (b:{PR} {{uid: $right}}) "
    f"CREATE (d:{DECISION} {{decision_id: $decision_id}}) "
    "SET d.pair_key = $pair_key, d.left_uid = $left, d.right_uid = $right, d.decision = $decision, "
    "d.decided_by = $decided_by, d.decided_at = $at, d.reason = $reason "
    f"MERGE (d)-[:{CONCERNS}]->(a) MERGE (d)-[:{CONCERNS}]->(b) RETURN d.decision_id AS id"
)

# Explanations.
READ_MATCH = _q(
    f"MATCH (a:{PR} {{uid: $left}})-[m:{MATCHES}]->(b:{PR} {{uid: $right}}) "
    "RETURN m.probability AS probability, m.match_weight AS match_weight, m.band AS band, "
    "m.model_version AS model_version, m.scored_at AS scored_at, m.explanation AS explanation"
)
READ_PERSON_LINKS = _q(
    f"MATCH (p:{P} {{person_id: $person_id}})<-[x:{RT}]-(r:{PR}) "
    "RETURN r.uid AS uid, r.source_system AS source_system, r.first_name AS first_name, r.last_name AS last_name, "
    "r.dob AS dob, x.probability AS probability, x.method AS method, x.decided_by AS decided_by, "
    "x.model_version AS model_version, x.decided_at AS decided_at ORDER BY r.uid"
)
READ_PERSON_EDGES = _q(
    f"MATCH (p:{P} {{person_id: $person_id}})<-[:{RT}]-(a:{PR})-[m:{MATCHES}]->(b:{PR})-[:{RT}]->(p) "
    "RETURN a.uid AS left, b.uid AS right, m.probability AS probability, m.match_weight AS match_weight, "
    "m.band AS band, m.model_version AS model_version, m.explanation AS explanation ORDER BY left, right"
)
READ_EVENTS = _q(
    f"MATCH (e:{EVENT}) WHERE e.person_id = $person_id OR $person_id IN e.other_person_ids "
    "RETURN e.event_id AS event_id, e.kind AS kind, e.at AS at, e.person_id AS person_id, "
    "e.other_person_ids AS other_person_ids, e.record_uids AS record_uids, e.decided_by AS decided_by, "
    "e.reason AS reason ORDER BY e.at, e.event_id"
)
# Records the model has not resolved: no Person yet, or linked only by the exact-identifier stage.
UNRESOLVED = _q(
    f"MATCH (r:{PR}) WHERE NOT EXISTS {{ MATCH (r)-[x:{RT}]->() WHERE x.method <> $exact }} RETURN r.uid AS uid"
)
