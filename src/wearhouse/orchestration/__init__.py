"""Dagster orchestration: bronze, silver and gold as assets; schedules, a sensor and backfills.

The one entry point is `wearhouse.orchestration.definitions` (`dagster dev -m ...`).
"""
