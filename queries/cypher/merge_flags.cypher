// Write flags that are new or changed (batched UNWIND): the flag's properties and its evidence edges.
// Parameters: $rows [{uid, person_id, definition, definition_version, first_met, incidents [uid],
//   victims [person_id], outcomes [uid], orders [uid], assessments [uid], evidence ["Label:key"],
//   digest (what the sweep compares: queries.detect.flag_digest)}],
//   $computed_at (datetime).
// Returns: written (number of flags written).
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
MERGE (f:Flag {uid: row.uid})
SET f.definition = row.definition, f.definition_version = row.definition_version,
    f.first_met = row.first_met, f.computed_at = $computed_at, f.evidence = row.evidence, f.digest = row.digest
MERGE (p)-[:FLAGGED]->(f)
WITH f, row
CALL (f) {
  MATCH (f)-[e:EVIDENCED_BY]->()
  DELETE e
}
CALL (f, row) {
  UNWIND row.incidents AS k
  MATCH (x:Incident {uid: k})
  MERGE (f)-[:EVIDENCED_BY]->(x)
}
CALL (f, row) {
  UNWIND row.victims AS k
  MATCH (x:Person {person_id: k})
  MERGE (f)-[:EVIDENCED_BY]->(x)
}
CALL (f, row) {
  UNWIND row.outcomes AS k
  MATCH (x:Outcome {uid: k})
  MERGE (f)-[:EVIDENCED_BY]->(x)
}
CALL (f, row) {
  UNWIND row.orders AS k
  MATCH (x:Order {uid: k})
  MERGE (f)-[:EVIDENCED_BY]->(x)
}
CALL (f, row) {
  UNWIND row.assessments AS k
  MATCH (x:Assessment {uid: k})
  MERGE (f)-[:EVIDENCED_BY]->(x)
}
RETURN count(f) AS written
