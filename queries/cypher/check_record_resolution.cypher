// Integrity: every PersonRecord resolves to exactly one Person (RESOLVES_TO).
// Parameters: $limit (integer: how many examples).
// Returns one row: count (records resolving to no Person or to several), examples [{id, problem}] (the first
//   $limit by uid).
MATCH (r:PersonRecord)
WITH r, [(r)-[:RESOLVES_TO]->(p:Person) | p.person_id] AS people
WHERE size(people) <> 1
WITH r, people ORDER BY r.uid
WITH count(r) AS count,
     collect({id: r.uid, problem: CASE size(people)
       WHEN 0 THEN 'resolves to no Person'
       ELSE 'resolves to ' + toString(size(people)) + ' Persons: '
            + reduce(s = head(people), x IN tail(people) | s + ', ' + x)
     END}) AS found
RETURN count, found[..$limit] AS examples
