// The stored flags of the people in scope, each with the digest the sweep compares (queries.detect.flag_digest:
// definition version, first_met and evidence), not the evidence itself: deciding what changed reads one value
// per flag. Flags stored before flags had a digest return null, and the sweep rewrites them.
// Parameters: $person_ids (list of Person.person_id, or null for everyone), $definitions (list of codes).
// Returns rows: uid, digest.
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
RETURN f.uid AS uid, f.digest AS digest
