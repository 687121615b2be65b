// People judged at risk of offending by a recorded professional judgement, as known on a date.
// Parameters: $as_of (date), $person_ids (list or null), $judgement_kind (Assessment.kind).
// Returns rows: person_id, first_judged (date or null), assessments [uid].
CALL () {
  // the people asked for, through the Person index
  UNWIND coalesce($person_ids, []) AS wanted
  MATCH (p:Person {person_id: wanted})<-[:RESOLVES_TO]-(:PersonRecord)<-[:ASSESSES]-(a:Assessment)
  WHERE a.kind = $judgement_kind
  RETURN DISTINCT p, a
  UNION ALL
  // everyone: from the judgements (Assessment.kind index), not from every Person
  WITH $person_ids AS ids
  WHERE ids IS NULL
  MATCH (a:Assessment {kind: $judgement_kind})-[:ASSESSES]->(:PersonRecord)-[:RESOLVES_TO]->(p:Person)
  RETURN DISTINCT p, a
}
WITH p, a
WHERE a.at_risk_of_offending = true AND (a.assessed_at IS NULL OR a.assessed_at <= $as_of)
RETURN p.person_id AS person_id, min(a.assessed_at) AS first_judged, collect(DISTINCT a.uid) AS assessments
ORDER BY person_id
