// After a full sweep: remove the nomination-list entries of everyone who is no longer a candidate.
// Parameters: $person_ids (every person on the list as the sweep computed it).
// Returns: deleted (number of entries removed).
MATCH (c:NominationCandidate)
WHERE c.person_id IS NOT NULL AND NOT c.person_id IN $person_ids
DETACH DELETE c
RETURN count(*) AS deleted
