// Integrity: no orphan incidents. An Incident is an orphan when no PersonRecord is involved in it (no
//   SUSPECT_IN, VICTIM_IN or WITNESS_IN) or it has no RECORDED_BY agency: it is then reached from no Person
//   (no definition can count it) or from no agency (no force owns it).
// Parameters: $limit (integer: how many examples).
// Returns one row: count (orphan incidents), examples [{id, problem}] (the first $limit by uid).
MATCH (i:Incident)
WITH i,
     EXISTS { (i)<-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN]-(:PersonRecord) } AS involved,
     EXISTS { (i)-[:RECORDED_BY]->(:Agency) } AS recorded
WHERE NOT involved OR NOT recorded
WITH i, involved, recorded ORDER BY i.uid
WITH count(i) AS count,
     collect({id: i.uid, problem: CASE
       WHEN NOT involved AND NOT recorded THEN 'no person involved and no recording agency'
       WHEN NOT involved THEN 'no person involved'
       ELSE 'no recording agency'
     END}) AS found
RETURN count, found[..$limit] AS examples
