// Nominations, newest first, optionally for one person and/or in given statuses.
// Parameters: $person_id (or null), $statuses (list or null).
// Returns rows: nomination {properties}, person_id.
CALL () {
  // one person's, through the Person index (an OR with "everyone" would read every nomination)
  MATCH (n:Nomination)-[:NOMINATES]->(p:Person {person_id: $person_id})
  RETURN n, p
  UNION ALL
  WITH $person_id AS wanted
  WHERE wanted IS NULL
  MATCH (n:Nomination)-[:NOMINATES]->(p:Person)
  RETURN n, p
}
WITH n, p
WHERE $statuses IS NULL OR n.status IN $statuses
RETURN n {.*} AS nomination, p.person_id AS person_id
ORDER BY n.created_at DESC, n.nomination_id
