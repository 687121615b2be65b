// A page of the stored MAPPA+ nomination list of one scope (all forces, or one force), in RFGV order:
//   score highest first, unscored last, then person_id. The entries (NominationCandidate) are what the
//   sweep stored; they are walked in order through the sort_key index, so a page costs its own size and
//   the count reads the index alone. People already in the process (a nomination in $managed_statuses)
//   are left out live, not as of the sweep.
// Parameters: $prefix (the scope followed by '|': 'ALL|' or a force code and '|'), $scope ('ALL' or the
//   force code), $managed_statuses (Nomination.status values that mean "already in the process"),
//   $skip, $limit.
// Returns one row: sweep (the last full sweep: {sweep_id, as_of, finished_at}, or null when none has run),
//   total (people on the list), page [entry {person_id, display_name, reasons, first_met, score, rank,
//   cat2_reasons, forces, as_of}].
CALL () {
  OPTIONAL MATCH (s:Sweep)
  WITH s ORDER BY s.finished_at DESC LIMIT 1
  RETURN CASE WHEN s IS NULL THEN null ELSE s {.sweep_id, .as_of, .finished_at} END AS sweep
}
CALL () {
  OPTIONAL MATCH (n:Nomination)-[:NOMINATES]->(p:Person)
  WHERE n.status IN $managed_statuses
  RETURN collect(DISTINCT p.person_id) AS managed
}
CALL () {
  MATCH (c:NominationCandidate)
  WHERE c.sort_key STARTS WITH $prefix
  RETURN count(c) AS listed
}
CALL (managed) {
  UNWIND managed AS pid
  MATCH (c:NominationCandidate {uid: pid + '|' + $scope})
  RETURN count(c) AS held
}
CALL (managed) {
  MATCH (c:NominationCandidate)
  WHERE c.sort_key STARTS WITH $prefix AND NOT c.person_id IN managed
  WITH c ORDER BY c.sort_key
  SKIP $skip LIMIT $limit
  OPTIONAL MATCH (p:Person {person_id: c.person_id})
  RETURN collect(c {.person_id, .reasons, .first_met, .score, .rank, .cat2_reasons, .forces, .as_of,
                    display_name: coalesce(p.display_name, c.display_name)}) AS page
}
RETURN sweep, listed - held AS total, page
