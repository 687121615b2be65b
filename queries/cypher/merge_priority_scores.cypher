// Store RFGV scores of one sweep (batched UNWIND); writes only what changed, so re-running changes nothing.
// Parameters: $rows [{uid, person_id, props: {definition, definition_version, as_of, score, recency,
//   frequency, gravity, victims, incidents, rank?}}], $computed_at (datetime).
// Returns: changed (number of scores created or updated).
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
MERGE (s:PriorityScore {uid: row.uid})
MERGE (p)-[:SCORED]->(s)
WITH s, row
WHERE s.score IS NULL OR s.score <> row.props.score OR s.definition_version <> row.props.definition_version
   OR (row.props.rank IS NOT NULL AND coalesce(s.rank, -1) <> row.props.rank)
   OR s.incidents <> row.props.incidents OR s.victims <> row.props.victims
SET s += row.props, s.computed_at = $computed_at
RETURN count(s) AS changed
