// Record that alerts were posted to the webhook, so that no dispatcher posts them again.
// Parameters: $alert_ids [Alert.alert_id], $at (datetime).
// Returns one row: marked (integer).
UNWIND $alert_ids AS alert_id
MATCH (a:Alert {alert_id: alert_id})
WHERE a.delivered_at IS NULL
SET a.delivered_at = $at
RETURN count(a) AS marked
