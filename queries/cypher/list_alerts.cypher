// Alerts, newest first, filtered; each with its stored fields. Reads every Alert: for given alert ids,
//   list_alerts_by_id looks them up in the index instead.
// Parameters: $agency (Agency.code the alert must be routed to, or null for every agency), $statuses (list or
//   null), $kinds (list or null), $person_id (or null), $since (datetime or null:
//   created after it), $skip (integer, default 0), $limit (integer, default 100).
// Returns rows: alert {alert_id, rule, kind, rule_version, person_id, severity, status, reason, routed_to,
//   agencies, evidence, batch_id, created_at, acknowledged_at, acknowledged_by, ack_note, closed_at, closed_by,
//   close_note}.
MATCH (a:Alert)
WHERE ($agency IS NULL OR $agency IN a.agencies)
  AND ($statuses IS NULL OR a.status IN $statuses)
  AND ($kinds IS NULL OR a.kind IN $kinds)
  AND ($person_id IS NULL OR a.person_id = $person_id)
  AND ($since IS NULL OR a.created_at > $since)
RETURN a {.alert_id, .rule, .kind, .rule_version, .person_id, .severity, .status, .reason, .routed_to, .agencies,
          .evidence, .batch_id, .created_at, .acknowledged_at, .acknowledged_by, .ack_note, .closed_at, .closed_by,
          .close_note} AS alert
ORDER BY a.created_at DESC, a.alert_id
SKIP coalesce(toInteger($skip), 0)
LIMIT coalesce(toInteger($limit), 100)
