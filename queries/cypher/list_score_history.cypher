// A person's stored RFGV priority scores, one per sweep, oldest first (a fall in score is the outcome measure).
// Parameters: $person_id (Person.person_id).
// Returns rows: as_of (date), score (float), rank (integer or null), computed_at (datetime).
MATCH (:Person {person_id: $person_id})-[:SCORED]->(s:PriorityScore)
RETURN s.as_of AS as_of, s.score AS score, s.rank AS rank, s.computed_at AS computed_at
ORDER BY as_of
