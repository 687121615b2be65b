// One step out from a set of nodes: their relationships and the nodes at the other end (case graph).
// Parameters: $ids (list of elementId of the nodes to expand), $skip_labels (labels never returned,
//   e.g. bookkeeping nodes), $hub_labels (labels returned but whose own neighbours are not followed).
// Returns rows: rel_id, rel_type, rel_props, src, dst (elementIds), id, labels, props (the far node).
UNWIND $ids AS id
MATCH (n)-[r]-(m)
WHERE elementId(n) = id AND none(l IN labels(m) WHERE l IN $skip_labels)
  AND none(l IN labels(n) WHERE l IN $hub_labels)
RETURN DISTINCT elementId(r) AS rel_id, type(r) AS rel_type, properties(r) AS rel_props,
       elementId(startNode(r)) AS src, elementId(endNode(r)) AS dst,
       elementId(m) AS id, labels(m) AS labels, properties(m) AS props
