// Close a decided nomination (management ended, or a declined case filed).
// Parameters: $nomination_id, $from_statuses (statuses it may be closed from), $status (the closed status),
//   $closed_by, $closed_at (datetime), $reason (string or null: kept when no decision reason exists).
// Returns the nomination's properties and person_id; no row when it cannot be closed.
MATCH (n:Nomination {nomination_id: $nomination_id})-[:NOMINATES]->(p:Person)
WHERE n.status IN $from_statuses
SET n.status = $status, n.closed_by = $closed_by, n.closed_at = $closed_at,
    n.decision_reason = coalesce(n.decision_reason, $reason)
RETURN n {.*} AS nomination, p.person_id AS person_id
