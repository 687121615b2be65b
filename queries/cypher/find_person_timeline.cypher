// One person's timeline across sources: incidents (as suspect or victim), outcomes, orders (against or
//   protecting), notifications, episodes, assessments, moves and travel, in time order.
// Parameters: $person_id (Person.person_id), $since (date or null), $until (date or null).
// Returns rows: date, kind, role, uid, caption, source. Addresses are never named here (only "moved").
MATCH (p:Person {person_id: $person_id})<-[:RESOLVES_TO]-(r:PersonRecord)
CALL (r) {
  MATCH (r)-[rel:SUSPECT_IN|VICTIM_IN]->(i:Incident)
  RETURN coalesce(date(i.occurred_at), date(i.reported_at)) AS date, 'INCIDENT' AS kind,
         CASE type(rel) WHEN 'SUSPECT_IN' THEN 'SUSPECT' ELSE 'VICTIM' END AS role, i.uid AS uid,
         i.offence_code + coalesce(' (DASH ' + i.dash_grade + ')', '') AS caption, i.agency_code AS source
  UNION ALL
  MATCH (r)-[:HAS_OUTCOME]->(o:Outcome)
  RETURN o.date AS date, 'OUTCOME' AS kind, o.kind AS role, o.uid AS uid,
         coalesce(o.offence_code, '') + coalesce(' ' + toString(o.sentence_months) + ' months', '') AS caption,
         r.source_system AS source
  UNION ALL
  MATCH (r)<-[rel:AGAINST|PROTECTS]-(ord:Order)
  RETURN ord.start_date AS date, 'ORDER' AS kind, CASE type(rel) WHEN 'AGAINST' THEN 'SUBJECT' ELSE 'PROTECTED' END AS role,
         ord.uid AS uid, ord.order_type + coalesce(' until ' + toString(ord.end_date), '') AS caption,
         r.source_system AS source
  UNION ALL
  MATCH (r)-[:NOTIFIED]->(n:Notification)
  RETURN date(n.notified_at) AS date, 'NOTIFICATION' AS kind, n.kind AS role, n.uid AS uid,
         n.kind + coalesce(' effective ' + toString(n.effective_date), '') AS caption, r.source_system AS source
  UNION ALL
  MATCH (r)-[s:SUBJECT_OF]->(e:Episode)
  RETURN e.start_date AS date, 'EPISODE' AS kind, s.role AS role, e.uid AS uid,
         e.kind + coalesce(' level ' + toString(e.level), '') + coalesce(' ' + e.decision, '') AS caption,
         r.source_system AS source
  UNION ALL
  MATCH (r)<-[:ASSESSES]-(a:Assessment)
  RETURN a.assessed_at AS date, 'ASSESSMENT' AS kind, a.kind AS role, a.uid AS uid,
         a.kind + coalesce(' ' + a.grade, '') AS caption, r.source_system AS source
  UNION ALL
  MATCH (r)-[l:LIVES_AT]->(a:Address)
  RETURN l.from_date AS date, 'MOVE' AS kind, null AS role, a.uid AS uid, 'moved' AS caption,
         r.source_system AS source
  UNION ALL
  MATCH (r)-[:TRAVELLED]->(t:Travel)
  RETURN t.departure_date AS date, 'TRAVEL' AS kind, null AS role, t.uid AS uid,
         'travel to ' + coalesce(t.destination, '?') AS caption, r.source_system AS source
}
WITH DISTINCT date, kind, role, uid, caption, source
WHERE ($since IS NULL OR date IS NULL OR date >= $since) AND ($until IS NULL OR date IS NULL OR date <= $until)
RETURN date, kind, role, uid, caption, source
ORDER BY date, kind, uid
