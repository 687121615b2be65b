// Record a panel's decision on a nomination: accepted (with a level 1-3) or declined (with a reason).
// Parameters: $nomination_id, $from_status (the status it must be in), $status (new status),
//   $level (integer or null), $reason (string or null), $decided_by, $decided_at (datetime).
// Returns the nomination's properties and person_id; no row when it is not in $from_status.
MATCH (n:Nomination {nomination_id: $nomination_id})-[:NOMINATES]->(p:Person)
WHERE n.status = $from_status
SET n.status = $status, n.level = $level, n.decision_reason = $reason, n.decided_by = $decided_by,
    n.decided_at = $decided_at
RETURN n {.*} AS nomination, p.person_id AS person_id
