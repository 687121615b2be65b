// One person's incidents as suspect in time order, across victims (input to escalation paths).
// Parameters: $person_id (Person.person_id), $as_of (date), $gravity (map offence code -> gravity).
// Returns rows: uid, occurred_on (date), known_on (date), gravity (integer), offence_code,
//   victim_ids [person_id], indicators [code], agency_code. Incidents with no date are left out.
MATCH (p:Person {person_id: $person_id})<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
WITH DISTINCT p, i, coalesce(i.occurred_at, i.reported_at) AS at,
     CASE
       WHEN i.occurred_at IS NULL THEN date(i.reported_at)
       WHEN i.reported_at IS NULL OR i.reported_at < i.occurred_at THEN date(i.occurred_at)
       ELSE date(i.reported_at)
     END AS known
WHERE known IS NOT NULL AND known <= $as_of
OPTIONAL MATCH (i)<-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
WHERE v <> p
WITH i, at, known, collect(DISTINCT v.person_id) AS victim_ids
RETURN i.uid AS uid, date(at) AS occurred_on, known AS known_on, at,
       coalesce(i.gravity, $gravity[i.offence_code], 1) AS gravity, i.offence_code AS offence_code,
       victim_ids, coalesce(i.risk_indicators, [])
         + CASE WHEN EXISTS { (i)-[:BREACH_OF]->(:Order) } THEN ['ORDER_BREACH'] ELSE [] END AS indicators,
       i.agency_code AS agency_code
ORDER BY at, uid
