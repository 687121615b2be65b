// Record one full sweep: as of which date, when it ran, and how many flags, scores and candidates it left.
// Parameters: $sweep_id, $as_of (date), $started_at, $finished_at (datetime), $flags, $scores,
//   $candidates (integers).
// Returns: sweep_id.
CREATE (s:Sweep {sweep_id: $sweep_id})
SET s.as_of = $as_of, s.started_at = $started_at, s.finished_at = $finished_at, s.flags = $flags,
    s.scores = $scores, s.candidates = $candidates
RETURN s.sweep_id AS sweep_id
