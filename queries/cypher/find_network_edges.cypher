// Links between people for network analysis: co-suspects, family, shared victims, shared addresses.
// Parameters: $person_ids (list: only links touching these people; null for everyone),
//   $family_kinds (RELATIONSHIP_WITH kinds that are family).
// Returns rows: a, b (person_id, a < b), kind, via (uid of the incident, victim or address linking them).
CALL () {
  MATCH (a:Person)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i:Incident)
        <-[:SUSPECT_IN]-(:PersonRecord)-[:RESOLVES_TO]->(b:Person)
  WHERE a.person_id < b.person_id
  RETURN a, b, 'CO_SUSPECT' AS kind, i.uid AS via
  UNION
  MATCH (a:Person)<-[:RESOLVES_TO]-(:PersonRecord)-[rel:RELATIONSHIP_WITH]-(:PersonRecord)-[:RESOLVES_TO]->(b:Person)
  WHERE a.person_id < b.person_id AND rel.kind IN $family_kinds
  RETURN a, b, 'FAMILY' AS kind, null AS via
  UNION
  MATCH (a:Person)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(:Incident)<-[:VICTIM_IN]-(:PersonRecord)
        -[:RESOLVES_TO]->(v:Person)
  MATCH (v)<-[:RESOLVES_TO]-(:PersonRecord)-[:VICTIM_IN]->(:Incident)
        <-[:SUSPECT_IN]-(:PersonRecord)-[:RESOLVES_TO]->(b:Person)
  WHERE a.person_id < b.person_id AND v <> a AND v <> b
  RETURN a, b, 'SHARED_VICTIM' AS kind, v.person_id AS via
  UNION
  MATCH (a:Person)<-[:RESOLVES_TO]-(:PersonRecord)-[:LIVES_AT]->(ad:Address)<-[:LIVES_AT]-(:PersonRecord)
        -[:RESOLVES_TO]->(b:Person)
  WHERE a.person_id < b.person_id
  RETURN a, b, 'SHARED_ADDRESS' AS kind, ad.uid AS via
}
WITH a, b, kind, via
WHERE $person_ids IS NULL OR a.person_id IN $person_ids OR b.person_id IN $person_ids
RETURN a.person_id AS a, b.person_id AS b, kind, via
ORDER BY a, b, kind, via
