"""The register's Cypher, one query per ``.cypher`` file (package data, read by queries.catalog)."""
