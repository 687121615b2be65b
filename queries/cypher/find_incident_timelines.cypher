// Several people's incidents as suspect in time order, across victims: find_incident_timeline for a list of
// people in one query (the escalation sweep and the alert stage ask for many at once).
// Parameters: $person_ids [Person.person_id], $as_of (date), $gravity (map offence code -> gravity).
// Returns one row per person with at least one incident: person_id, incidents [{uid, occurred_on,
//   known_on, gravity (integer), offence_code, victim_ids [person_id], indicators [code], agency_code}] in
//   time order; occurred_on and known_on are ISO dates as text ("2024-05-01"): the driver makes a date value
//   some fifty times slower than Python parses the text, and a sweep reads millions. Incidents with no date
//   are left out.
UNWIND $person_ids AS person_id
MATCH (p:Person {person_id: person_id})
CALL (p) {
  MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
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
  ORDER BY at, i.uid
  RETURN collect({uid: i.uid, occurred_on: toString(date(at)), known_on: toString(known),
                  gravity: coalesce(i.gravity, $gravity[i.offence_code], 1), offence_code: i.offence_code,
                  victim_ids: victim_ids,
                  indicators: coalesce(i.risk_indicators, [])
                    + CASE WHEN EXISTS { (i)-[:BREACH_OF]->(:Order) } THEN ['ORDER_BREACH'] ELSE [] END,
                  agency_code: i.agency_code}) AS incidents
}
WITH p, incidents
WHERE size(incidents) > 0
RETURN p.person_id AS person_id, incidents
