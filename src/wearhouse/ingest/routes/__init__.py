"""HTTP routes of the ingestion service, one module per noun."""
