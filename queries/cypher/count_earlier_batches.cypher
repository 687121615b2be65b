// count_earlier_batches: ingest batches other than this one that have completed. The alert stage runs only
// when there are some: the first load into an empty register is history, not news.
// Parameters: $batch_id (IngestBatch.batch_id).
// Returns one row: earlier (integer).
MATCH (b:IngestBatch {status: 'completed'})
WHERE b.batch_id <> $batch_id
RETURN count(b) AS earlier
