// For candidate people: whether they are already managed, MAPPA Category 2 eligibility, and the forces
//   that recorded them. Each person's records are expanded once, over the three relationship types.
// Parameters: $person_ids (list of Person.person_id), $as_of (date), $mappa_kind (Episode.kind of MAPPA),
//   $managed_statuses (Nomination.status values that mean "already in the process"),
//   $conviction (Outcome.kind), $min_sentence_months (integer), $schedule15 (offence codes),
//   $coercive (offence codes), $coercive_from (date from which coercive control counts for Category 2).
// Returns one row per person: person_id, display_name, open_mappa [uid], open_nominations [id],
//   cat2 [{uid, offence_code, sentence_months, date}], forces [code].
UNWIND $person_ids AS pid
MATCH (p:Person {person_id: pid})
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[x:SUBJECT_OF|HAS_OUTCOME|SUSPECT_IN]->(m)
  WITH type(x) AS kind, m
  RETURN
    collect(DISTINCT CASE
      WHEN kind = 'SUBJECT_OF' AND m.kind = $mappa_kind AND (m.start_date IS NULL OR m.start_date <= $as_of)
           AND (m.end_date IS NULL OR m.end_date >= $as_of) THEN m.uid
    END) AS open_mappa,
    collect(DISTINCT CASE
      WHEN kind = 'HAS_OUTCOME' AND m.kind = $conviction AND m.date <= $as_of
           AND m.sentence_months >= $min_sentence_months
           AND (m.offence_code IN $schedule15 OR (m.offence_code IN $coercive AND m.date >= $coercive_from))
        THEN m {.uid, .offence_code, .sentence_months, .date}
    END) AS cat2,
    collect(DISTINCT CASE WHEN kind = 'SUSPECT_IN' THEN m.agency_code END) AS forces
}
// from the person (a pattern comprehension): never a scan of every open nomination per person
WITH p, open_mappa, cat2, forces,
     [(n:Nomination)-[:NOMINATES]->(p) WHERE n.status IN $managed_statuses | n.nomination_id] AS open_nominations
RETURN p.person_id AS person_id, p.display_name AS display_name, open_mappa, open_nominations, cat2, forces
ORDER BY person_id
