// Integrity: every Alert is ABOUT exactly one existing Person.
// Parameters: $limit (integer: how many examples).
// Returns one row: count (alerts about no Person or several), examples [{id, problem}] (the first $limit by
//   alert_id; the problem names the person_id the alert was raised for).
MATCH (a:Alert)
WITH a, size([(a)-[:ABOUT]->(p:Person) | p]) AS people
WHERE people <> 1
WITH a, people ORDER BY a.alert_id
WITH count(a) AS count,
     collect({id: a.alert_id, problem: CASE people
       WHEN 0 THEN 'about no Person (raised for ' + coalesce(a.person_id, 'nobody') + ')'
       ELSE 'about ' + toString(people) + ' Persons' END}) AS found
RETURN count, found[..$limit] AS examples
