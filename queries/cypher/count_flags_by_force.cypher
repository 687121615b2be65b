// Per force: how many flagged people each definition has (a person counts for every force that
//   recorded an incident with them as suspect), from the stored flags.
// Parameters: $definitions (list of definition codes).
// Returns rows: force, definition, people.
MATCH (p:Person)-[:FLAGGED]->(f:Flag)
WHERE f.definition IN $definitions
MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
WITH DISTINCT i.agency_code AS force, f.definition AS definition, p
RETURN force, definition, count(p) AS people
ORDER BY force, definition
