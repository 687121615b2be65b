// For candidate people: whether they are already managed, professional judgements, MAPPA Category 2
//   eligibility today, and the forces that recorded them.
// Parameters: $person_ids (list of Person.person_id), $as_of (date), $mappa_kind (Episode.kind of MAPPA),
//   $managed_statuses (Nomination.status values that mean "already in the process"),
//   $judgement_kind (Assessment.kind of a professional judgement), $conviction (Outcome.kind),
//   $min_sentence_months (integer), $schedule15 (offence codes), $coercive (offence codes),
//   $coercive_from (date from which coercive control counts for Category 2).
// Returns one row per person: person_id, display_name, open_mappa [uid], open_nominations [id],
//   judgements [{uid, assessed_at}], cat2 [{uid, offence_code, sentence_months, date}], forces [code].
UNWIND $person_ids AS pid
MATCH (p:Person {person_id: pid})
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUBJECT_OF]->(e:Episode)
  WHERE e.kind = $mappa_kind AND (e.start_date IS NULL OR e.start_date <= $as_of)
    AND (e.end_date IS NULL OR e.end_date >= $as_of)
  RETURN collect(DISTINCT e.uid) AS open_mappa
}
CALL (p) {
  OPTIONAL MATCH (n:Nomination)-[:NOMINATES]->(p)
  WHERE n.status IN $managed_statuses
  RETURN collect(DISTINCT n.nomination_id) AS open_nominations
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)<-[:ASSESSES]-(a:Assessment)
  WHERE a.kind = $judgement_kind AND a.at_risk_of_offending = true
    AND (a.assessed_at IS NULL OR a.assessed_at <= $as_of)
  RETURN collect(DISTINCT a {.uid, .assessed_at}) AS judgements
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:HAS_OUTCOME]->(o:Outcome)
  WHERE o.kind = $conviction AND o.date <= $as_of AND o.sentence_months >= $min_sentence_months
    AND (o.offence_code IN $schedule15 OR (o.offence_code IN $coercive AND o.date >= $coercive_from))
  RETURN collect(DISTINCT o {.uid, .offence_code, .sentence_months, .date}) AS cat2
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
  RETURN collect(DISTINCT i.agency_code) AS forces
}
RETURN p.person_id AS person_id, p.display_name AS display_name, open_mappa, open_nominations, judgements,
       cat2, forces
ORDER BY person_id
