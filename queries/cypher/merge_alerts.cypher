// Store alerts (batched UNWIND). An alert_id already stored is left exactly as it is (status, notes and
//   created_at kept): re-evaluating the same batch creates nothing. A new alert's links are CREATEd (a node
//   made by this MERGE has none yet), its evidence of every label in one subquery.
// Parameters: $rows [{alert_id, rule, kind, rule_version, person_id, severity, reason, routed_to, agencies [code],
//   evidence ["Label:key"], batch_id, incidents [uid], orders [uid], outcomes [uid], records [uid],
//   addresses [uid], travel [uid]}] (each alert_id once, its agencies and each evidence list without repeats),
//   $created_at (datetime), $status (the opening status).
// Returns rows: alert_id, created (boolean), stored (null for a new alert, which holds what the row gave; an
//   alert stored before: {the fields list_alerts returns}, as it is now).
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
MERGE (a:Alert {alert_id: row.alert_id})
ON CREATE SET a.rule = row.rule, a.kind = row.kind, a.rule_version = row.rule_version, a.person_id = row.person_id,
              a.severity = row.severity, a.reason = row.reason, a.routed_to = row.routed_to,
              a.agencies = row.agencies, a.evidence = row.evidence, a.batch_id = row.batch_id,
              a.status = $status, a.created_at = $created_at, a.fresh = true
WITH a, p, row, coalesce(a.fresh, false) AS created
REMOVE a.fresh
WITH a, p, row, created
CALL (a, p, row, created) {
  WITH a, p, row WHERE created
  CREATE (a)-[:ABOUT]->(p)
  WITH a, row
  CALL (a, row) {
    UNWIND row.agencies AS code
    MATCH (ag:Agency {code: code})
    CREATE (a)-[:ROUTED_TO]->(ag)
  }
  CALL (row) {
    UNWIND row.incidents AS k
    MATCH (x:Incident {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.orders AS k
    MATCH (x:Order {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.outcomes AS k
    MATCH (x:Outcome {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.records AS k
    MATCH (x:PersonRecord {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.addresses AS k
    MATCH (x:Address {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.travel AS k
    MATCH (x:Travel {uid: k})
    RETURN x
  }
  CREATE (a)-[:ALERT_EVIDENCE]->(x)
}
RETURN a.alert_id AS alert_id, created,
       CASE WHEN created THEN null
            ELSE a {.alert_id, .rule, .kind, .rule_version, .person_id, .severity, .status, .reason, .routed_to,
                    .agencies, .evidence, .batch_id, .created_at, .acknowledged_at, .acknowledged_by, .ack_note,
                    .closed_at, .closed_by, .close_note}
       END AS stored
