// What the alert rules need about each person a batch touched: the records the batch brought (new), and
//   what makes the person known (orders, open MAPPA episodes, live nominations) and who manages them.
// A record is new when its ingest_batch is $batch_id or its ingested_at is on or after $since (an
//   involvement, address link or relationship counts by its own provenance as well as its node's).
// Parameters: $person_ids (list of Person.person_id), $batch_id (string or null), $since (datetime or null),
//   $mappa_kind (Episode.kind of MAPPA), $managed_statuses (Nomination.status values that mean managed),
//   $as_of (date).
// Returns one row per person: person_id, new_incidents [{uid, agency_code, occurred_on, offence_code,
//   dash_grade, indicators, victims [person_id], breach_orders [uid]}], orders [{uid, order_type, start_date,
//   end_date, issuer, protected [person_id]}], mappa [{uid, start_date, agencies}], nominations
//   [{nomination_id, status, lead_agency, created_on}], notification_agencies [code], new_records
//   [{uid, source}], new_addresses [{uid, source}], new_travel [{uid, source}], new_relationships
//   [{uid, partner, kind, start_date, end_date, source}], new_outcomes [{uid, date}], new_orders [uid], latest_force.
UNWIND $person_ids AS pid
MATCH (p:Person {person_id: pid})
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[s:SUSPECT_IN]->(i:Incident)
  WHERE ($batch_id IS NOT NULL AND (i.ingest_batch = $batch_id OR s.ingest_batch = $batch_id))
     OR ($since IS NOT NULL AND (i.ingested_at >= $since OR s.ingested_at >= $since))
  WITH DISTINCT p, i
  WHERE i IS NOT NULL
  OPTIONAL MATCH (i)<-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
  WHERE v <> p
  WITH p, i, collect(DISTINCT v.person_id) AS victims
  OPTIONAL MATCH (i)-[:BREACH_OF]->(o:Order)
  WITH i, victims, collect(DISTINCT o.uid) AS breach_orders
  RETURN collect({uid: i.uid, agency_code: i.agency_code, occurred_on: date(coalesce(i.occurred_at, i.reported_at)),
                  offence_code: i.offence_code, dash_grade: i.dash_grade,
                  indicators: coalesce(i.risk_indicators, []), victims: victims,
                  breach_orders: breach_orders}) AS new_incidents
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)<-[:AGAINST]-(o:Order)
  WITH DISTINCT o
  WHERE o IS NOT NULL
  OPTIONAL MATCH (o)-[:PROTECTS]->(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
  OPTIONAL MATCH (o)-[:ISSUED_BY]->(ag:Agency)
  WITH o, collect(DISTINCT v.person_id) AS protected, collect(DISTINCT ag.code) AS issuers
  RETURN collect({uid: o.uid, order_type: o.order_type, start_date: o.start_date, end_date: o.end_date,
                  issuer: coalesce(o.issuing_agency, head(issuers)), protected: protected,
                  is_new: ($batch_id IS NOT NULL AND o.ingest_batch = $batch_id)
                          OR ($since IS NOT NULL AND o.ingested_at >= $since)}) AS orders
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUBJECT_OF]->(e:Episode)
  WHERE e.kind = $mappa_kind AND (e.start_date IS NULL OR e.start_date <= $as_of)
    AND (e.end_date IS NULL OR e.end_date >= $as_of)
  OPTIONAL MATCH (e)-[:RECORDED_BY]->(ag:Agency)
  WITH e, collect(DISTINCT ag.code) AS agencies
  WHERE e IS NOT NULL
  RETURN collect({uid: e.uid, start_date: e.start_date, agencies: agencies}) AS mappa
}
CALL (p) {
  OPTIONAL MATCH (n:Nomination)-[:NOMINATES]->(p)
  WHERE n.status IN $managed_statuses
  WITH n
  WHERE n IS NOT NULL
  RETURN collect({nomination_id: n.nomination_id, status: n.status, lead_agency: n.lead_agency,
                  created_on: date(n.created_at)}) AS nominations
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:NOTIFIED]->(:Notification)-[:RECEIVED_BY]->(ag:Agency)
  RETURN collect(DISTINCT ag.code) AS notification_agencies
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(r:PersonRecord)
  WHERE ($batch_id IS NOT NULL AND r.ingest_batch = $batch_id) OR ($since IS NOT NULL AND r.ingested_at >= $since)
  WITH r
  WHERE r IS NOT NULL
  RETURN collect(DISTINCT {uid: r.uid, source: r.source_system}) AS new_records
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[l:LIVES_AT]->(a:Address)
  WHERE ($batch_id IS NOT NULL AND (a.ingest_batch = $batch_id OR l.ingest_batch = $batch_id))
     OR ($since IS NOT NULL AND (a.ingested_at >= $since OR l.ingested_at >= $since))
  WITH a, l
  WHERE a IS NOT NULL
  RETURN collect(DISTINCT {uid: a.uid, source: coalesce(l.source_system, a.source_system)}) AS new_addresses
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:TRAVELLED]->(t:Travel)
  WHERE ($batch_id IS NOT NULL AND t.ingest_batch = $batch_id) OR ($since IS NOT NULL AND t.ingested_at >= $since)
  WITH t
  WHERE t IS NOT NULL
  RETURN collect(DISTINCT {uid: t.uid, source: t.source_system}) AS new_travel
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[rel:RELATIONSHIP_WITH]-(other:PersonRecord)
  WHERE ($batch_id IS NOT NULL AND rel.ingest_batch = $batch_id) OR ($since IS NOT NULL AND rel.ingested_at >= $since)
  WITH rel, other
  WHERE rel IS NOT NULL AND NOT EXISTS { (other)-[:RESOLVES_TO]->(p) }
  RETURN collect(DISTINCT {uid: rel.uid, partner: other.uid, kind: rel.kind, start_date: rel.start_date, end_date: rel.end_date,
                           source: rel.source_system}) AS new_relationships
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:HAS_OUTCOME]->(o:Outcome)
  WHERE ($batch_id IS NOT NULL AND o.ingest_batch = $batch_id) OR ($since IS NOT NULL AND o.ingested_at >= $since)
  RETURN collect(DISTINCT {uid: o.uid, date: o.date}) AS new_outcomes
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
  WITH i ORDER BY coalesce(i.occurred_at, i.reported_at) DESC
  RETURN head(collect(i.agency_code)) AS latest_force
}
RETURN p.person_id AS person_id, new_incidents, orders, mappa, nominations, notification_agencies, new_records,
       new_addresses, new_travel, new_relationships, new_outcomes,
       [o IN orders WHERE o.is_new | o.uid] AS new_orders, latest_force
ORDER BY person_id
