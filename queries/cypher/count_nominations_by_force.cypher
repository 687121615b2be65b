// Per force: flagged people, and nominations by status (a nomination counts for its lead agency, or
//   else for every force that recorded the person), created on or before $as_of.
// Parameters: $as_of (date), $definitions (flag definitions that make a person eligible),
//   $accepted, $declined, $closed (the Nomination.status values counted).
// Returns rows: force, people (flagged), nominated, accepted, declined, closed.
MATCH (p:Person)-[:FLAGGED]->(f:Flag)
WHERE f.definition IN $definitions
MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
WITH DISTINCT i.agency_code AS force, p
OPTIONAL MATCH (n:Nomination)-[:NOMINATES]->(p)
WHERE date(n.created_at) <= $as_of AND (n.lead_agency IS NULL OR n.lead_agency = force)
WITH force, p, collect(n.status) AS statuses
RETURN force, count(p) AS people,
       sum(CASE WHEN size(statuses) > 0 THEN 1 ELSE 0 END) AS nominated,
       sum(CASE WHEN $accepted IN statuses THEN 1 ELSE 0 END) AS accepted,
       sum(CASE WHEN $declined IN statuses THEN 1 ELSE 0 END) AS declined,
       sum(CASE WHEN $closed IN statuses THEN 1 ELSE 0 END) AS closed
ORDER BY force
