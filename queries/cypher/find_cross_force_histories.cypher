// People whose incidents as suspect were recorded by two or more forces, and what each force saw alone.
// Parameters: $as_of (date), $person_ids (list or null), $min_forces (integer).
// Returns one row per person: person_id, forces [{force, incidents, victims [person_id]}].
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
WHERE i.agency_code IS NOT NULL
  AND coalesce(date(i.reported_at), date(i.occurred_at)) <= $as_of
  AND coalesce(date(i.occurred_at), date(i.reported_at)) <= $as_of
WITH DISTINCT p, i
OPTIONAL MATCH (i)<-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
WHERE v <> p
WITH p, i.agency_code AS force, count(DISTINCT i) AS incidents, collect(DISTINCT v.person_id) AS victims
WITH p, collect({force: force, incidents: incidents, victims: victims}) AS forces
WHERE size(forces) >= $min_forces
RETURN p.person_id AS person_id, forces
ORDER BY person_id
