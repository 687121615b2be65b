// Inputs to the RFGV priority score: each person's incidents as suspect in the window ending $as_of.
// Parameters: $as_of (date), $window_days (integer), $person_ids (list of Person.person_id, or null),
//   $force (agency code: only people with an incident recorded by it in the window; null for all),
//   $gravity (map offence code -> gravity, used when an incident carries none),
//   $indicator_weights (map indicator code -> extra gravity).
// Returns one row per person: person_id, incidents (count), last_occurred (date), gravity (sum of
//   gravity plus indicator weights), victims (distinct victim Persons), forces [agency_code], uids [uid].
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
WITH DISTINCT p, i, coalesce(date(i.occurred_at), date(i.reported_at)) AS occurred,
     CASE
       WHEN i.occurred_at IS NULL THEN date(i.reported_at)
       WHEN i.reported_at IS NULL OR i.reported_at < i.occurred_at THEN date(i.occurred_at)
       ELSE date(i.reported_at)
     END AS known
WHERE known IS NOT NULL AND known <= $as_of AND occurred >= $as_of - duration({days: $window_days})
WITH p, collect({i: i, occurred: occurred}) AS rows
WHERE $force IS NULL OR any(r IN rows WHERE r.i.agency_code = $force)
UNWIND rows AS r
WITH p, r.i AS i, r.occurred AS occurred
OPTIONAL MATCH (i)<-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
WHERE v <> p
WITH p, i, occurred, collect(DISTINCT v.person_id) AS vs
WITH p, i, occurred, vs,
     coalesce(i.gravity, $gravity[i.offence_code], 1)
       + reduce(s = 0, x IN coalesce(i.risk_indicators, []) | s + coalesce($indicator_weights[x], 0)) AS g
WITH p, count(i) AS incidents, max(occurred) AS last_occurred, sum(g) AS gravity,
     collect(vs) AS victim_lists, collect(DISTINCT i.agency_code) AS forces, collect(i.uid) AS uids
RETURN p.person_id AS person_id, incidents, last_occurred, gravity,
       reduce(acc = [], l IN victim_lists | acc + [x IN l WHERE NOT x IN acc]) AS victims,
       forces, uids
ORDER BY person_id
