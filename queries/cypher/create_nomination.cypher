// Nominate a person to the MAPPA+ DA/stalking category (proposed), unless already in the process.
// Parameters: $person_id, $nomination_id, $status (the initial status), $category (label shown),
//   $reasons (list), $nominated_by, $lead_agency (or null), $created_at (datetime),
//   $open_statuses (statuses that block a second nomination).
// Returns the nomination's properties and person_id; no row when the person is unknown or already nominated.
MATCH (p:Person {person_id: $person_id})
WHERE NOT EXISTS { MATCH (o:Nomination)-[:NOMINATES]->(p) WHERE o.status IN $open_statuses }
CREATE (n:Nomination {nomination_id: $nomination_id, status: $status, category: $category, reasons: $reasons,
                      nominated_by: $nominated_by, lead_agency: $lead_agency, created_at: $created_at})
CREATE (n)-[:NOMINATES]->(p)
RETURN n {.*} AS nomination, p.person_id AS person_id
