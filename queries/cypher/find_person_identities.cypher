// Every identity recorded for one person, with how it was linked (method, probability, who decided).
// Parameters: $person_id (Person.person_id).
// Returns rows: uid, source_system, first_name, middle_names, last_name, aliases, dob, sex, pnc_id,
//   method, probability, decided_by, model_version. Addresses are not returned here.
MATCH (p:Person {person_id: $person_id})<-[l:RESOLVES_TO]-(r:PersonRecord)
RETURN r.uid AS uid, r.source_system AS source_system, r.first_name AS first_name,
       r.middle_names AS middle_names, r.last_name AS last_name, r.aliases AS aliases, r.dob AS dob,
       r.sex AS sex, r.pnc_id AS pnc_id, l.method AS method, l.probability AS probability,
       l.decided_by AS decided_by, l.model_version AS model_version
ORDER BY r.source_system, r.uid
