"""Serial Perpetrator Register: core settings, database access, the local Neo4j server and the `spr` command."""
