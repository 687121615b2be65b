// A page of the stored MAPPA+ nomination list of one scope in another order than RFGV's: by name, date
//   first met, number of reasons or forces, ascending or descending (list_candidates is the fast path for
//   RFGV order; this one reads the whole scope and sorts it). People already in the process (a
//   nomination in $managed_statuses) are left out live.
// Parameters: $prefix (the scope followed by '|'), $scope ('ALL' or the force code), $managed_statuses,
//   $sort ('rank', 'name', 'first_met', 'reasons' or 'forces'), $order ('asc' or 'desc'), $skip, $limit.
// Returns one row: sweep (the last full sweep, or null), total (people on the list), page [entry] (as
//   list_candidates).
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
CALL (managed) {
  MATCH (c:NominationCandidate)
  WHERE c.sort_key STARTS WITH $prefix AND NOT c.person_id IN managed
  OPTIONAL MATCH (p:Person {person_id: c.person_id})
  WITH c, coalesce(p.display_name, c.display_name) AS name
  WITH c, name,
       CASE $sort
         WHEN 'name' THEN toLower(coalesce(name, ''))
         WHEN 'first_met' THEN coalesce(toString(c.first_met), '9999-12-31')
         WHEN 'reasons' THEN right('000' + toString(999 - size(c.reasons)), 3)
                             + reduce(s = '', r IN c.reasons | s + '|' + r)
         WHEN 'forces' THEN reduce(s = '', f IN c.forces | s + '|' + f)
         ELSE c.sort_key
       END AS k
  ORDER BY CASE WHEN $order = 'desc' THEN null ELSE k END,
           CASE WHEN $order = 'desc' THEN k END DESC,
           c.sort_key
  WITH collect(c {.person_id, .reasons, .first_met, .score, .rank, .cat2_reasons, .forces, .as_of,
                  display_name: name}) AS listed
  RETURN size(listed) AS total, listed[$skip..$skip + $limit] AS page
}
RETURN sweep, total, page
