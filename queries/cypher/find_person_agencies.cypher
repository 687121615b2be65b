// The agencies that hold records about one person: the sources of their identities and the agencies
//   that recorded their incidents. Agency-scoped roles (an IDVA service) see only these people.
// Parameters: $person_id (Person.person_id).
// Returns one row: exists (whether the person exists), agencies (list of agency codes).
OPTIONAL MATCH (p:Person {person_id: $person_id})
OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(r:PersonRecord)
OPTIONAL MATCH (r)-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN]->(i:Incident)
WITH p, collect(DISTINCT r.source_system) + collect(DISTINCT i.agency_code) AS codes
RETURN p IS NOT NULL AS exists, [c IN codes WHERE c IS NOT NULL] AS agencies
