// Record a decision on one alert: acknowledge it or close it, with who, when and their note.
// Parameters: $alert_id, $from_statuses (statuses the alert may be in), $status (the new status),
//   $closing (true to close, false to acknowledge), $by (username), $at (datetime), $note (string), $agency (Agency.code the alert must be routed to, or null).
// Returns rows (none when the alert is missing, not routed to $agency, or in another status): alert_id, status.
MATCH (a:Alert {alert_id: $alert_id})
WHERE a.status IN $from_statuses AND ($agency IS NULL OR $agency IN a.agencies)
SET a.status = $status
SET a.acknowledged_at = CASE WHEN $closing = false THEN $at ELSE a.acknowledged_at END,
    a.acknowledged_by = CASE WHEN $closing = false THEN $by ELSE a.acknowledged_by END,
    a.ack_note = CASE WHEN $closing = false THEN $note ELSE a.ack_note END,
    a.closed_at = CASE WHEN $closing = true THEN $at ELSE a.closed_at END,
    a.closed_by = CASE WHEN $closing = true THEN $by ELSE a.closed_by END,
    a.close_note = CASE WHEN $closing = true THEN $note ELSE a.close_note END
RETURN a.alert_id AS alert_id, a.status AS status
