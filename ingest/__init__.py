"""Ingest: the interchange format (records), validation and idempotent graph writes."""
