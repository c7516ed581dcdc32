"""Ingestion into bronze: files now, the HTTP service and brokers build on the same writer."""
