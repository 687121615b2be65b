// The properties of some nodes (the details of a case graph's items), less those never to be returned and
//   those the caller has already. Date-times travel as ISO 8601 text; stamps says which values they are.
// Parameters: $ids (elementIds), $hidden (map: label -> property keys left out), $hidden_default (the keys
//   left out of a node whose label is not in $hidden), $known_keys (keys the caller already has).
// Returns rows: id (elementId), keys, vals (the other property keys and their values), stamps (positions
//   in vals of date-times).
UNWIND $ids AS id
MATCH (n)
WHERE elementId(n) = id
WITH id, n, coalesce($hidden[head(labels(n))], $hidden_default) + $known_keys AS left_out
WITH id, n, [k IN keys(n) WHERE NOT k IN left_out] AS keys
WITH id, keys, [k IN keys | n[k]] AS raw
WITH [id, keys,
       [v IN raw | CASE WHEN v IS :: ZONED DATETIME NOT NULL OR v IS :: LOCAL DATETIME NOT NULL THEN toString(v)
                        ELSE v END],
       [i IN range(0, size(raw) - 1) WHERE raw[i] IS :: ZONED DATETIME NOT NULL
                                        OR raw[i] IS :: LOCAL DATETIME NOT NULL]] AS node
RETURN collect(node) AS nodes
