// Integrity: every Person is reached from at least one PersonRecord (identity resolution removes the rest).
// Parameters: $limit (integer: how many examples).
// Returns one row: count (Persons no PersonRecord resolves to), examples [{id, problem}] (the first $limit by
//   person_id).
MATCH (p:Person)
WHERE NOT EXISTS { (p)<-[:RESOLVES_TO]-(:PersonRecord) }
WITH p ORDER BY p.person_id
WITH count(p) AS count, collect({id: p.person_id, problem: 'no PersonRecord resolves to it'}) AS found
RETURN count, found[..$limit] AS examples
