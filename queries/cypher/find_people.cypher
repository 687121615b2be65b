// Search people across every recorded identity (PersonRecord) by name, date of birth or identifier.
// Parameters: $first_name, $last_name (case-insensitive prefix, or null), $dob (date or null),
//   $identifier (PNC id or other id, exact, or null), $agency (agency code: only people that agency holds
//   records about, as find_person_agencies says, for agency-scoped roles; null for everyone), $skip, $limit.
// Returns one row: total (people matched) and page: [{person_id, display_name, dob, records}], where
//   records lists the matching identities as recorded (uid, source_system, first_name, last_name, dob).
MATCH (r:PersonRecord)-[:RESOLVES_TO]->(p:Person)
WHERE ($last_name IS NULL OR toLower(r.last_name) STARTS WITH toLower($last_name)
       OR any(a IN coalesce(r.aliases, []) WHERE toLower(a) CONTAINS toLower($last_name)))
  AND ($first_name IS NULL OR toLower(r.first_name) STARTS WITH toLower($first_name))
  AND ($dob IS NULL OR r.dob = $dob)
  AND ($identifier IS NULL OR r.pnc_id = $identifier OR $identifier IN coalesce(r.other_ids, []))
WITH p, collect({uid: r.uid, source_system: r.source_system, first_name: r.first_name,
                 last_name: r.last_name, dob: r.dob}) AS records
WHERE $agency IS NULL
   OR EXISTS { (p)<-[:RESOLVES_TO]-(x:PersonRecord) WHERE x.source_system = $agency }
   OR EXISTS { (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN|VICTIM_IN|WITNESS_IN]->(i:Incident)
               WHERE i.agency_code = $agency }
ORDER BY p.person_id
WITH collect({person_id: p.person_id, display_name: p.display_name, dob: p.dob, records: records}) AS people
RETURN size(people) AS total, people[$skip..$skip + $limit] AS page
