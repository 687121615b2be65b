// For people under notification duties: each duty, and the facts a duty is checked against, as known on a date.
// Parameters: $as_of (date), $person_ids (list or null), $relationship_kinds (RELATIONSHIP_WITH kinds
//   that are a new relationship).
// Returns one row per person: person_id, requirements [{uid, duty, deadline_days, start_date, end_date,
//   imposed_by, last_name}], moves [{uid, date}], records [{uid, last_name, seen}],
//   partners [{uid, date, kind}], travel [{uid, date, destination}],
//   notifications [{uid, kind, notified_on, effective_date}].
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
MATCH (p)<-[:RESOLVES_TO]-(r0:PersonRecord)-[:REQUIRES]->(req:NotificationRequirement)
WHERE (req.start_date IS NULL OR req.start_date <= $as_of)
OPTIONAL MATCH (req)-[:IMPOSED_BY]->(src)
WITH p, collect(DISTINCT req {.uid, .duty, .deadline_days, .start_date, .end_date,
                              imposed_by: coalesce(src.uid, null), last_name: r0.last_name}) AS requirements
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[l:LIVES_AT]->(a:Address)
  WHERE l.from_date <= $as_of
  RETURN collect(DISTINCT {uid: a.uid, date: l.from_date}) AS moves
}
CALL (p) {
  MATCH (p)<-[:RESOLVES_TO]-(r:PersonRecord)
  OPTIONAL MATCH (r)-[:SUSPECT_IN|VICTIM_IN]->(i:Incident)
  WITH r, min(date(i.occurred_at)) AS first_incident
  OPTIONAL MATCH (r)-[l:LIVES_AT]->(:Address)
  WITH r, first_incident, min(l.from_date) AS first_address
  WITH r, [d IN [first_incident, first_address, date(r.ingested_at)] WHERE d IS NOT NULL] AS ds
  RETURN collect({uid: r.uid, last_name: r.last_name,
                  seen: reduce(m = null, d IN ds | CASE WHEN m IS NULL OR d < m THEN d ELSE m END)}) AS records
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[rel:RELATIONSHIP_WITH]-(other:PersonRecord)
  WHERE rel.kind IN $relationship_kinds AND rel.start_date <= $as_of
  RETURN collect(DISTINCT {uid: other.uid, date: rel.start_date, kind: rel.kind}) AS partners
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:TRAVELLED]->(t:Travel)
  WHERE t.departure_date <= $as_of
  RETURN collect(DISTINCT {uid: t.uid, date: t.departure_date, destination: t.destination}) AS travel
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:NOTIFIED]->(n:Notification)
  WHERE date(n.notified_at) <= $as_of
  RETURN collect(DISTINCT {uid: n.uid, kind: n.kind, notified_on: date(n.notified_at),
                           effective_date: n.effective_date}) AS notifications
}
RETURN p.person_id AS person_id, requirements, [m IN moves WHERE m.uid IS NOT NULL] AS moves, records,
       [x IN partners WHERE x.uid IS NOT NULL] AS partners, [t IN travel WHERE t.uid IS NOT NULL] AS travel,
       [n IN notifications WHERE n.uid IS NOT NULL] AS notifications
ORDER BY person_id
