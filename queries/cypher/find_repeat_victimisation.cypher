// Repeat perpetrator (REPEAT): several incidents against the same victim within a window, as known on a date.
// Parameters: $as_of (date), $person_ids (list of Person.person_id, or null for everyone),
//   $min_incidents (integer), $window_days (integer).
// Returns one row per (suspect, victim) pair meeting it on $as_of: person_id, victim_id, first_met (the
//   earliest date it was ever true for that pair), incidents [{uid, occurred_on, known_on}] in the window
//   ending $as_of. Incidents on the same day are separate incidents; two records of one victim are one victim.
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
MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
      <-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
WHERE v <> p
WITH p, v, i, coalesce(date(i.occurred_at), date(i.reported_at)) AS occurred,
     CASE
       WHEN i.occurred_at IS NULL THEN date(i.reported_at)
       WHEN i.reported_at IS NULL OR i.reported_at < i.occurred_at THEN date(i.occurred_at)
       ELSE date(i.reported_at)
     END AS known
WHERE known IS NOT NULL AND known <= $as_of
WITH p, v, collect(DISTINCT {uid: i.uid, occurred_on: occurred, known_on: known}) AS incs
WHERE size(incs) >= $min_incidents
WITH p, v, incs, reduce(ds = [], x IN incs | CASE WHEN x.known_on IN ds THEN ds ELSE ds + x.known_on END) AS candidates
WITH p, v, incs,
     [d IN candidates WHERE size([x IN incs WHERE x.known_on <= d
        AND x.occurred_on >= d - duration({days: $window_days})]) >= $min_incidents] AS met,
     [x IN incs WHERE x.occurred_on >= $as_of - duration({days: $window_days})] AS current
WHERE size(met) > 0 AND size(current) >= $min_incidents
RETURN p.person_id AS person_id, v.person_id AS victim_id,
       reduce(m = null, d IN met | CASE WHEN m IS NULL OR d < m THEN d ELSE m END) AS first_met,
       current AS incidents
ORDER BY person_id, victim_id
