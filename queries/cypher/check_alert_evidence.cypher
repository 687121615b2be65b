// Integrity: every record an Alert names as evidence ("Label:key" in its evidence list) still exists.
// Parameters: $limit (integer: how many examples).
// Returns one row: count (alerts with evidence missing), examples [{id, problem}] (the first $limit by alert_id;
//   the problem names the first missing record).
MATCH (a:Alert)
UNWIND coalesce(a.evidence, []) AS ev
WITH a, ev, split(ev, ':')[0] AS label
WITH a, ev, label, substring(ev, size(label) + 1) AS key
WHERE NOT (
     (label = 'Incident' AND EXISTS { MATCH (:Incident {uid: key}) })
  OR (label = 'Order' AND EXISTS { MATCH (:Order {uid: key}) })
  OR (label = 'Outcome' AND EXISTS { MATCH (:Outcome {uid: key}) })
  OR (label = 'PersonRecord' AND EXISTS { MATCH (:PersonRecord {uid: key}) })
  OR (label = 'Address' AND EXISTS { MATCH (:Address {uid: key}) })
  OR (label = 'Travel' AND EXISTS { MATCH (:Travel {uid: key}) })
  OR (label = 'Notification' AND EXISTS { MATCH (:Notification {uid: key}) })
  OR (label = 'Flag' AND EXISTS { MATCH (:Flag {uid: key}) })
)
WITH a, collect(ev) AS missing ORDER BY a.alert_id
WITH count(a) AS count,
     collect({id: a.alert_id, problem: 'evidence missing: ' + missing[0]
       + CASE WHEN size(missing) > 1 THEN ' and ' + toString(size(missing) - 1) + ' more' ELSE '' END}) AS found
RETURN count, found[..$limit] AS examples
