// Write flags that are new or changed (batched UNWIND): the flag's properties and its evidence edges.
// Parameters: $rows [{uid, person_id, definition, definition_version, first_met, incidents [uid],
//   victims [person_id], outcomes [uid], orders [uid], assessments [uid], evidence ["Label:key"],
//   digest (what the sweep compares: queries.detect.flag_digest)}],
//   $computed_at (datetime).
// Returns: written (number of flags written).
// The evidence edges are written as a difference: those no longer in the row are deleted, those still in it
// kept, the new ones added (a batch usually adds an incident or two to a flag's evidence).
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
MERGE (f:Flag {uid: row.uid})
SET f.definition = row.definition, f.definition_version = row.definition_version,
    f.first_met = row.first_met, f.computed_at = $computed_at, f.evidence = row.evidence, f.digest = row.digest
MERGE (p)-[:FLAGGED]->(f)
WITH f, row
CALL (f, row) {
  MATCH (f)-[e:EVIDENCED_BY]->(x)
  WHERE NOT ((x:Incident AND x.uid IN row.incidents) OR (x:Person AND x.person_id IN row.victims)
             OR (x:Outcome AND x.uid IN row.outcomes) OR (x:Order AND x.uid IN row.orders)
             OR (x:Assessment AND x.uid IN row.assessments))
  DELETE e
}
CALL (f, row) {
  CALL (row) {
    UNWIND row.incidents AS k
    MATCH (x:Incident {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.victims AS k
    MATCH (x:Person {person_id: k})
    RETURN x
    UNION ALL
    UNWIND row.outcomes AS k
    MATCH (x:Outcome {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.orders AS k
    MATCH (x:Order {uid: k})
    RETURN x
    UNION ALL
    UNWIND row.assessments AS k
    MATCH (x:Assessment {uid: k})
    RETURN x
  }
  MERGE (f)-[:EVIDENCED_BY]->(x)
}
RETURN count(f) AS written
