"""The register's thin HTTP layer: authentication, roles, purpose and audit around ingest/ and queries/."""
