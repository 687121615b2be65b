// Integrity: every Flag belongs to one Person, names a known definition, and its evidence still exists and is
//   still that person's: every record its evidence list names ("Label:key") is still linked by EVIDENCED_BY,
//   at least one EVIDENCED_BY Incident is left (every definition is evidenced by incidents), and each evidence
//   incident has the person as a suspect (through one of their PersonRecords). A flag written before flags
//   kept their evidence list is checked on its links alone.
// Parameters: $definitions (list of the definition codes that raise flags), $limit (integer: how many examples).
// Returns one row: count (flags failing), examples [{id, problem}] (the first $limit by uid).
MATCH (f:Flag)
WITH f, [(p:Person)-[:FLAGGED]->(f) | p] AS owners
WITH f, size(owners) AS owners, CASE WHEN size(owners) = 1 THEN owners[0] END AS p
WITH f, owners, p,
     [(f)-[:EVIDENCED_BY]->(i:Incident) | i] AS incidents,
     [(f)-[:EVIDENCED_BY]->(x) | head(labels(x)) + ':' + coalesce(x.uid, x.person_id)] AS linked
WITH f, owners, size(incidents) AS evidenced,
     [ev IN coalesce(f.evidence, []) WHERE NOT ev IN linked] AS missing,
     [i IN incidents WHERE p IS NULL OR NOT EXISTS {
        MATCH (p)<-[:RESOLVES_TO]-(:PersonRecord)-[:SUSPECT_IN]->(i)
      } | i.uid] AS foreign
WITH f, [x IN [
       CASE WHEN owners = 0 THEN 'no Person is FLAGGED with it' END,
       CASE WHEN owners > 1 THEN toString(owners) + ' Persons are FLAGGED with it' END,
       CASE WHEN NOT coalesce(f.definition, '') IN $definitions
            THEN 'unknown definition ' + coalesce(f.definition, '(none)') END,
       CASE WHEN size(missing) > 0 THEN 'evidence gone: ' + missing[0]
            + CASE WHEN size(missing) > 1 THEN ' and ' + toString(size(missing) - 1) + ' more' ELSE '' END END,
       CASE WHEN evidenced = 0 THEN 'no Incident evidence left' END,
       CASE WHEN owners = 1 AND size(foreign) > 0 THEN "evidence no longer the person's: " + foreign[0] END
     ] WHERE x IS NOT NULL] AS problems
WHERE size(problems) > 0
WITH f, problems ORDER BY f.uid
WITH count(f) AS count, collect({id: f.uid, problem: reduce(s = head(problems), x IN tail(problems) | s + '; ' + x)})
     AS found
RETURN count, found[..$limit] AS examples
