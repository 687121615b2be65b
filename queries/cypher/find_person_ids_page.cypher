// One page of Person ids in id order (an index range seek, so the page is read in order, not sorted), for
//   questions about everyone that run in parts on a large register.
// Parameters: $after (Person.person_id: the page starts after it; '' for the first page), $limit (integer).
// Returns rows: person_id, ascending.
MATCH (p:Person)
WHERE p.person_id > $after
RETURN p.person_id AS person_id
ORDER BY person_id
LIMIT $limit
