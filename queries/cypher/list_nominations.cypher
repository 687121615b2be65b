// Nominations, newest first, optionally for one person and/or in given statuses.
// Parameters: $person_id (or null), $statuses (list or null).
// Returns rows: nomination {properties}, person_id.
MATCH (n:Nomination)-[:NOMINATES]->(p:Person)
WHERE ($person_id IS NULL OR p.person_id = $person_id) AND ($statuses IS NULL OR n.status IN $statuses)
RETURN n {.*} AS nomination, p.person_id AS person_id
ORDER BY n.created_at DESC, n.nomination_id
