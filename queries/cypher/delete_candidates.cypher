// Remove nomination-list entries (batched by uid): people no longer candidates, or no longer in a scope.
// Parameters: $uids (list of NominationCandidate.uid).
// Returns: deleted (number of entries removed).
UNWIND $uids AS uid
MATCH (c:NominationCandidate {uid: uid})
DETACH DELETE c
RETURN count(*) AS deleted
