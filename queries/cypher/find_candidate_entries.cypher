// The stored nomination-list entries of some people, for the sweep to tell which it must rewrite.
// Parameters: $person_ids (list of Person.person_id).
// Returns rows: uid, digest (of the entry's content, rank aside), rank.
UNWIND $person_ids AS pid
MATCH (c:NominationCandidate {person_id: pid})
RETURN c.uid AS uid, c.digest AS digest, c.rank AS rank
