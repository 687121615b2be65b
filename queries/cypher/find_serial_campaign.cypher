// Serial perpetrator, campaign definition (SERIAL_CAMPAIGN), as known on a date.
// Parameters: $as_of (date), $person_ids (list of Person.person_id, or null for everyone),
//   $min_victims (integer), $qualifying_outcomes (list of Outcome.kind),
//   $qualifying_orders (list of Order.order_type), $da_offence_codes (DA/stalking offence codes).
// Returns one row per Person meeting it: person_id, first_met (date), victims_met_on, qualifier_met_on,
//   victims [{person_id, known_on}] in the order they became known, incidents [uid],
//   outcomes [{uid, kind, date, offence_code}], orders [{uid, order_type, start_date, end_date}].
// An incident counts from the later of its occurred and reported dates; one with neither is not counted.
// An order counts from its start date, whether or not it has since expired.
CALL () {
  // the people asked for, through the index (an OR with "all people" would scan every Person)
  UNWIND coalesce($person_ids, []) AS wanted
  MATCH (p:Person {person_id: wanted})
  RETURN DISTINCT p
  UNION ALL
  WITH $person_ids AS ids
  WHERE ids IS NULL
  MATCH (p:Person)
  RETURN p
}
MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
      <-[:VICTIM_IN]-(:PersonRecord)-[:RESOLVES_TO]->(v:Person)
WHERE v <> p
WITH p, v, i,
     CASE
       WHEN i.occurred_at IS NULL THEN date(i.reported_at)
       WHEN i.reported_at IS NULL OR i.reported_at < i.occurred_at THEN date(i.occurred_at)
       ELSE date(i.reported_at)
     END AS known
WHERE known IS NOT NULL AND known <= $as_of
WITH p, v, min(known) AS known_on, collect(DISTINCT i.uid) AS incs
ORDER BY known_on, v.person_id
WITH p, collect({person_id: v.person_id, known_on: known_on}) AS victims, collect(incs) AS inc_lists
WHERE size(victims) >= $min_victims
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:HAS_OUTCOME]->(o:Outcome)
  WHERE o.kind IN $qualifying_outcomes AND o.date <= $as_of
    AND (o.offence_code IN $da_offence_codes OR EXISTS { (o)-[:OUTCOME_FOR]->(:Incident) })
  WITH o ORDER BY o.date, o.uid
  RETURN collect(DISTINCT o {.uid, .kind, .date, .offence_code}) AS outcomes
}
CALL (p) {
  OPTIONAL MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)<-[:AGAINST]-(ord:Order)
  WHERE ord.order_type IN $qualifying_orders AND ord.start_date <= $as_of
  WITH ord ORDER BY ord.start_date, ord.uid
  RETURN collect(DISTINCT ord {.uid, .order_type, .start_date, .end_date}) AS orders
}
WITH p, victims, inc_lists, outcomes, orders
WHERE size(outcomes) + size(orders) > 0
WITH p, victims, inc_lists, outcomes, orders,
     victims[$min_victims - 1].known_on AS victims_met_on,
     reduce(m = null, d IN [x IN outcomes | x.date] + [x IN orders | x.start_date] |
            CASE WHEN m IS NULL OR d < m THEN d ELSE m END) AS qualifier_met_on
RETURN p.person_id AS person_id,
       CASE WHEN victims_met_on > qualifier_met_on THEN victims_met_on ELSE qualifier_met_on END AS first_met,
       victims_met_on, qualifier_met_on, victims,
       reduce(acc = [], l IN inc_lists | acc + l) AS incidents,
       outcomes, orders
ORDER BY person_id
