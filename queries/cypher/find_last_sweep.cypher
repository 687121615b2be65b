// The last full sweep, if any has run.
// Parameters: none.
// Returns at most one row: sweep_id, as_of (date), started_at, finished_at (datetime), flags, scores,
//   candidates.
MATCH (s:Sweep)
RETURN s.sweep_id AS sweep_id, s.as_of AS as_of, s.started_at AS started_at, s.finished_at AS finished_at,
       s.flags AS flags, s.scores AS scores, s.candidates AS candidates
ORDER BY finished_at DESC
LIMIT 1
