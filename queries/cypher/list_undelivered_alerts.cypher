// Alerts not yet posted to the webhook, oldest first (the dispatcher's outbox).
// Parameters: $since (datetime: only alerts created after it, the backlog the dispatcher takes on),
//   $limit (integer).
// Returns rows: alert {the fields list_alerts returns}.
MATCH (a:Alert)
WHERE a.created_at > $since AND a.delivered_at IS NULL
RETURN a {.alert_id, .rule, .kind, .rule_version, .person_id, .severity, .status, .reason, .routed_to, .agencies,
          .evidence, .batch_id, .created_at, .acknowledged_at, .acknowledged_by, .ack_note, .closed_at, .closed_by,
          .close_note} AS alert
ORDER BY a.created_at, a.alert_id
LIMIT $limit
