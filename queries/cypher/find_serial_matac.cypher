// Serial perpetrator, MATAC / Northumbria definition (SERIAL_MATAC), as known on a date.
// Parameters: $as_of (date), $person_ids (list of Person.person_id, or null for everyone),
//   $min_victims (integer), $window_days (integer), $min_age (integer, years at the incident),
//   $unknown_age_counts (boolean: whether a suspect with no date of birth counts).
// Returns one row per Person meeting it on $as_of: person_id, first_met (the earliest date it was ever
//   true), incidents [{uid, victim, occurred_on, known_on}] inside the window ending $as_of, victims [person_id].
// Condition on a date d: incidents known by d that occurred in the window_days before d name
//   min_victims or more different victims. It first becomes true on some incident's known date.
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
MATCH (p)<-[:RESOLVES_TO]-(r:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
      <-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
WHERE v <> p
WITH p, r, v, i, coalesce(date(i.occurred_at), date(i.reported_at)) AS occurred,
     CASE
       WHEN i.occurred_at IS NULL THEN date(i.reported_at)
       WHEN i.reported_at IS NULL OR i.reported_at < i.occurred_at THEN date(i.occurred_at)
       ELSE date(i.reported_at)
     END AS known
WHERE known IS NOT NULL AND known <= $as_of
WITH p, v, i, occurred, known, coalesce(r.dob, p.dob) AS dob
WHERE (dob IS NULL AND $unknown_age_counts) OR (dob IS NOT NULL AND dob + duration({years: $min_age}) <= occurred)
WITH p, collect(DISTINCT {uid: i.uid, victim: v.person_id, occurred_on: occurred, known_on: known}) AS incs
WITH p, incs, reduce(ds = [], x IN incs | CASE WHEN x.known_on IN ds THEN ds ELSE ds + x.known_on END) AS candidates
WITH p, incs,
     [d IN candidates WHERE size(reduce(vs = [], x IN incs |
        CASE WHEN x.known_on <= d AND x.occurred_on >= d - duration({days: $window_days}) AND NOT x.victim IN vs
             THEN vs + x.victim ELSE vs END)) >= $min_victims] AS met,
     [x IN incs WHERE x.occurred_on >= $as_of - duration({days: $window_days})] AS current
WITH p, met, current,
     reduce(vs = [], x IN current | CASE WHEN x.victim IN vs THEN vs ELSE vs + x.victim END) AS victims
WHERE size(met) > 0 AND size(victims) >= $min_victims
RETURN p.person_id AS person_id,
       reduce(m = null, d IN met | CASE WHEN m IS NULL OR d < m THEN d ELSE m END) AS first_met,
       current AS incidents, victims
ORDER BY person_id
