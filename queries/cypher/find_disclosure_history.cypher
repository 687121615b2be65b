// One person's history across sources for a disclosure decision (Clare's Law), as known on a date:
//   outcomes, orders against them, incidents as suspect, and their victims.
// Parameters: $person_id (Person.person_id), $as_of (date).
// Returns rows: kind (outcome kind | ORDER | INCIDENT), date, code (offence or order type), uid, source,
//   victims [person_id] (incidents only).
MATCH (p:Person {person_id: $person_id})<-[:RESOLVES_TO]-(r:PersonRecord)
CALL (p, r) {
  MATCH (r)-[:HAS_OUTCOME]->(o:Outcome)
  WHERE o.date <= $as_of
  RETURN o.kind AS kind, o.date AS date, o.offence_code AS code, o.uid AS uid, r.source_system AS source,
         [] AS victims
  UNION ALL
  MATCH (r)<-[:AGAINST]-(ord:Order)
  WHERE ord.start_date <= $as_of
  RETURN 'ORDER' AS kind, ord.start_date AS date, ord.order_type AS code, ord.uid AS uid,
         r.source_system AS source, [] AS victims
  UNION ALL
  MATCH (r)-[:SUSPECT_IN]->(i:Incident)
  WHERE coalesce(date(i.reported_at), date(i.occurred_at)) <= $as_of
  OPTIONAL MATCH (i)<-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
  WHERE v <> p
  RETURN 'INCIDENT' AS kind, coalesce(date(i.occurred_at), date(i.reported_at)) AS date, i.offence_code AS code,
         i.uid AS uid, i.agency_code AS source, collect(DISTINCT v.person_id) AS victims
}
RETURN DISTINCT kind, date, code, uid, source, victims
ORDER BY date, kind, uid
