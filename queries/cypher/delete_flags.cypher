// Remove flags whose definition a person no longer meets (batched by uid).
// Parameters: $uids (list of Flag.uid).
// Returns: deleted (number of flags removed).
UNWIND $uids AS uid
MATCH (f:Flag {uid: uid})
DETACH DELETE f
RETURN count(*) AS deleted
