// People judged at risk of offending by a recorded professional judgement, as known on a date.
// Parameters: $as_of (date), $person_ids (list or null), $judgement_kind (Assessment.kind).
// Returns rows: person_id, first_judged (date or null), assessments [uid].
MATCH (p:Person)<-[:RESOLVES_TO]-(:PersonRecord)<-[:ASSESSES]-(a:Assessment)
WHERE ($person_ids IS NULL OR p.person_id IN $person_ids) AND a.kind = $judgement_kind
  AND a.at_risk_of_offending = true AND (a.assessed_at IS NULL OR a.assessed_at <= $as_of)
RETURN p.person_id AS person_id, min(a.assessed_at) AS first_judged, collect(DISTINCT a.uid) AS assessments
ORDER BY person_id
