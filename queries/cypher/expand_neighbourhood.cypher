// One step out from a set of nodes (case graph): each node at the other end once, with the relationships
//   that join it to the set. Only what names and dates a node comes back here (find_node_properties has
//   the rest), and nothing more of a node already seen. Date-times travel as ISO 8601 text (far cheaper
//   for the driver to decode than its temporal structures); stamps says which values they are.
// Parameters: $ids (elementIds of the nodes to expand), $known_ids (elementIds already seen, kept or left
//   out: only their relationships are returned), $skip_labels (labels never returned: bookkeeping and
//   identity review), $hub_labels (labels returned but whose own neighbours are not followed),
//   $summary_keys (the property keys returned of a new node), $hidden (map: label -> property keys never
//   returned), $hidden_default (the keys never returned of a node whose label is not in $hidden).
// Returns one row per node at the other end: id (elementId), kind (first label; null when in $known_ids),
//   keys and vals (its $summary_keys that are set, and their values; null when in $known_ids), stamps
//   (positions in vals of date-times), rels (one [elementId, type, position in $ids of the near node,
//   starts at the near node, kind or else role, date of the first dated property, probability] per
//   relationship).
UNWIND range(0, size($ids) - 1) AS near
MATCH (n)
WHERE elementId(n) = $ids[near] AND none(l IN labels(n) WHERE l IN $hub_labels)
MATCH (n)-[r]-(m)
WHERE none(l IN labels(m) WHERE l IN $skip_labels)
WITH n, r, m, near,
     coalesce(r.occurred_at, r.date, r.start_date, r.from_date, r.departure_date, r.notified_at, r.assessed_at) AS t
WITH m, collect(DISTINCT [elementId(r), type(r), near, startNode(r) = n,
                          CASE WHEN r.kind IS NULL OR r.kind = '' THEN r.role ELSE r.kind END,
                          CASE WHEN t IS :: DATE NOT NULL THEN t
                               WHEN t IS :: ZONED DATETIME NOT NULL OR t IS :: LOCAL DATETIME NOT NULL THEN date(t)
                          END,
                          r.probability]) AS rels
WITH m, rels, elementId(m) AS far
WITH m, rels, far, far IN $known_ids AS seen, coalesce($hidden[head(labels(m))], $hidden_default) AS hidden
WITH m, rels, far, seen,
     CASE WHEN seen THEN null ELSE [k IN $summary_keys WHERE m[k] IS NOT NULL AND NOT k IN hidden] END AS keys
WITH m, rels, far, seen, keys, [k IN keys | m[k]] AS raw
WITH [far, CASE WHEN seen THEN null ELSE head(labels(m)) END, keys,
       [v IN raw | CASE WHEN v IS :: ZONED DATETIME NOT NULL OR v IS :: LOCAL DATETIME NOT NULL THEN toString(v)
                        ELSE v END],
       [i IN range(0, coalesce(size(raw), 0) - 1) WHERE raw[i] IS :: ZONED DATETIME NOT NULL
                                                   OR raw[i] IS :: LOCAL DATETIME NOT NULL],
       rels] AS node
RETURN collect(node) AS nodes
