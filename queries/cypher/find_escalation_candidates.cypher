// People who could hold a recent escalation path on $as_of: at least $min_chain_length incidents as
//   suspect known by $as_of, one of which occurred in the $window_days before it.
// Parameters: $as_of (date), $window_days (integer), $min_chain_length (integer), $person_ids (list or null).
// Returns rows: person_id.
CALL () {
  // the people asked for, through the index (an OR with "all people" would scan every Person)
  UNWIND coalesce($person_ids, []) AS wanted
  MATCH (p:Person {person_id: wanted})
  RETURN DISTINCT p
  UNION ALL
  WITH $person_ids AS ids
  WHERE ids IS NULL
  MATCH (p:Person)
  RETURN p
}
MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
WHERE coalesce(date(i.reported_at), date(i.occurred_at)) <= $as_of
WITH p, count(DISTINCT i) AS n,
     max(coalesce(date(i.occurred_at), date(i.reported_at))) AS latest
WHERE n >= $min_chain_length AND latest >= $as_of - duration({days: $window_days})
RETURN p.person_id AS person_id
ORDER BY person_id
