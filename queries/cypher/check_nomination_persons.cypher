// Integrity: every Nomination NOMINATES exactly one existing Person.
// Parameters: $limit (integer: how many examples).
// Returns one row: count (nominations pointing at no Person or at several), examples [{id, problem}] (the first
//   $limit by nomination_id).
MATCH (n:Nomination)
WITH n, size([(n)-[:NOMINATES]->(p:Person) | p]) AS people
WHERE people <> 1
WITH n, people ORDER BY n.nomination_id
WITH count(n) AS count,
     collect({id: n.nomination_id, problem: CASE people
       WHEN 0 THEN 'nominates no Person' ELSE 'nominates ' + toString(people) + ' Persons' END}) AS found
RETURN count, found[..$limit] AS examples
