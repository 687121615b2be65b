// High risk (HIGH_RISK): DASH high-risk incidents and the strongest homicide indicators, as known on a date.
// Parameters: $as_of (date), $person_ids (list of Person.person_id, or null for everyone),
//   $dash_grades (grades that count, e.g. ['HIGH']), $homicide_indicators (indicator codes),
//   $offence_indicators (map offence code -> indicator code the offence implies), $window_days (integer).
// Returns one row per Person with a qualifying incident in the window ending $as_of: person_id,
//   first_met (known date of the earliest qualifying incident ever), incidents [{uid, occurred_on,
//   known_on, dash_grade, indicators}] in the window (occurred_on and known_on as ISO text, "2024-05-01": the
//   sweep reads hundreds of thousands, and the driver makes a date value far slower than Python reads the
//   text), assessments [uid] (DASH/DARA graded high).
// Indicators come from the incident itself, from its offence, from is_stalking, and from a BREACH_OF link.
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
WITH DISTINCT p, i, coalesce(date(i.occurred_at), date(i.reported_at)) AS occurred,
     CASE
       WHEN i.occurred_at IS NULL THEN date(i.reported_at)
       WHEN i.reported_at IS NULL OR i.reported_at < i.occurred_at THEN date(i.occurred_at)
       ELSE date(i.reported_at)
     END AS known
WHERE known IS NOT NULL AND known <= $as_of
OPTIONAL MATCH (a:Assessment)-[:ASSESSMENT_FOR]->(i)
WHERE a.grade IN $dash_grades AND (a.assessed_at IS NULL OR a.assessed_at <= $as_of)
WITH p, i, occurred, known, collect(DISTINCT a.uid) AS assessments,
     coalesce(i.risk_indicators, [])
       + CASE WHEN $offence_indicators[i.offence_code] IS NULL THEN [] ELSE [$offence_indicators[i.offence_code]] END
       + CASE WHEN i.is_stalking THEN ['STALKING'] ELSE [] END
       + CASE WHEN EXISTS { (i)-[:BREACH_OF]->(:Order) } THEN ['ORDER_BREACH'] ELSE [] END AS raw
WITH p, i, occurred, known, assessments,
     reduce(acc = [], x IN raw | CASE WHEN x IN $homicide_indicators AND NOT x IN acc THEN acc + x ELSE acc END)
       AS indicators
WHERE i.dash_grade IN $dash_grades OR size(assessments) > 0 OR size(indicators) > 0
WITH p, min(known) AS first_met,
     collect(CASE WHEN occurred >= $as_of - duration({days: $window_days}) THEN
       {uid: i.uid, occurred_on: toString(occurred), known_on: toString(known), dash_grade: i.dash_grade,
        indicators: indicators,
        assessments: assessments} END) AS current
WHERE size(current) > 0
RETURN p.person_id AS person_id, first_met, current AS incidents
ORDER BY person_id
