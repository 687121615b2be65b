// How many Persons the register holds (from the count store: no scan).
// Parameters: none.
// Returns one row: n.
MATCH (p:Person)
RETURN count(p) AS n
