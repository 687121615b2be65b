// One page of Person ids in id order (an index range seek, so the page is read in order, not sorted), for
//   questions about everyone that run in parts on a large register.
// Parameters: $after (Person.person_id: the page starts after it; '' for the first page), $limit (integer).
// Returns one row: person_ids [Person.person_id], ascending (one list decodes far faster than a row per id).
MATCH (p:Person)
WHERE p.person_id > $after
WITH p.person_id AS person_id
ORDER BY person_id
LIMIT $limit
RETURN collect(person_id) AS person_ids
