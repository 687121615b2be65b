// The people a batch touched: suspects of its incidents, owners of its person records, addresses and
//   journeys, and the subjects of its orders (each found through an ingest_batch index).
// Parameters: $batch_id (IngestBatch.batch_id).
// Returns one row: person_ids [Person.person_id], sorted.
CALL () {
  MATCH (:Incident {ingest_batch: $batch_id})<-[:SUSPECT_IN]-(:PersonRecord)-[:RESOLVES_TO]->(p:Person)
  RETURN p
  UNION
  MATCH (:PersonRecord {ingest_batch: $batch_id})-[:RESOLVES_TO]->(p:Person)
  RETURN p
  UNION
  MATCH (:Address {ingest_batch: $batch_id})<-[:LIVES_AT]-(:PersonRecord)-[:RESOLVES_TO]->(p:Person)
  RETURN p
  UNION
  MATCH (:Travel {ingest_batch: $batch_id})<-[:TRAVELLED]-(:PersonRecord)-[:RESOLVES_TO]->(p:Person)
  RETURN p
  UNION
  MATCH (:Order {ingest_batch: $batch_id})-[:AGAINST]->(:PersonRecord)-[:RESOLVES_TO]->(p:Person)
  RETURN p
}
WITH DISTINCT p.person_id AS person_id
ORDER BY person_id
RETURN collect(person_id) AS person_ids
