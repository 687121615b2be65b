// Store nomination-list entries that are new or changed (batched UNWIND), one per person and scope.
// Parameters: $rows [{uid (person_id|scope), rank (integer or null), props {person_id, scope, sort_key,
//   display_name, reasons, first_met, score, cat2_reasons, forces, as_of, digest}}], $ranking ('FULL' for
//   a full sweep, whose rows carry the ranks; 'KEEP' for an incremental update: a row without a rank keeps
//   the entry's rank while its score is unchanged, and loses it when the score moved), $computed_at.
// Returns: written (number of entries written).
UNWIND $rows AS row
MERGE (c:NominationCandidate {uid: row.uid})
SET c.rank = CASE
               WHEN row.rank IS NOT NULL THEN row.rank
               WHEN $ranking = 'KEEP' AND c.score = row.props.score THEN c.rank
             END
SET c += row.props, c.computed_at = $computed_at
RETURN count(c) AS written
