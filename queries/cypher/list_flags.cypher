// The stored flags of the people in scope, with their evidence keys (for the sweep's change detection).
// Parameters: $person_ids (list of Person.person_id, or null for everyone), $definitions (list of codes).
// Returns rows: person_id, uid, definition, definition_version, first_met (date), computed_at,
//   evidence [[label, key]].
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
MATCH (p)-[:FLAGGED]->(f:Flag)
WHERE f.definition IN $definitions
OPTIONAL MATCH (f)-[:EVIDENCED_BY]->(e)
WITH p, f, collect([head(labels(e)), coalesce(e.uid, e.person_id)]) AS evidence
RETURN p.person_id AS person_id, f.uid AS uid, f.definition AS definition,
       f.definition_version AS definition_version, f.first_met AS first_met, f.computed_at AS computed_at,
       [x IN evidence WHERE x[1] IS NOT NULL] AS evidence
ORDER BY person_id, definition
