// One person's stored flags with their evidence: which definition raised each, and when it was first met.
// Parameters: $person_id (Person.person_id).
// Returns rows: definition, definition_version, first_met (date), computed_at (datetime),
//   evidence [{label, key, caption}].
MATCH (:Person {person_id: $person_id})-[:FLAGGED]->(f:Flag)
OPTIONAL MATCH (f)-[:EVIDENCED_BY]->(e)
WITH f, e ORDER BY coalesce(e.uid, e.person_id)
WITH f, collect(CASE WHEN e IS NULL THEN null ELSE {label: head(labels(e)), key: coalesce(e.uid, e.person_id),
       caption: coalesce(e.offence_code, e.kind, e.order_type, e.display_name, e.uid)} END) AS evidence
RETURN f.definition AS definition, f.definition_version AS definition_version, f.first_met AS first_met,
       f.computed_at AS computed_at, evidence
ORDER BY definition
