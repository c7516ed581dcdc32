"""Prometheus metrics of the ingestion service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RECORDS = Counter(
    "wearhouse_ingest_records",
    "Records received over HTTP, by stream and outcome",
    ["stream", "outcome"],
)
READINGS = Counter(
    "wearhouse_ingest_readings", "Readings accepted over HTTP, by stream", ["stream"]
)
QUEUED = Gauge("wearhouse_ingest_queue_records", "Records waiting for a bronze commit")
REFUSED = Counter(
    "wearhouse_ingest_refused_requests", "Requests refused before any commit, by reason", ["reason"]
)
