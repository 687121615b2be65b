// The Person node a case graph starts from.
// Parameters: $person_id (Person.person_id).
// Returns: id (elementId), labels, props.
MATCH (p:Person {person_id: $person_id})
RETURN elementId(p) AS id, labels(p) AS labels, properties(p) AS props
