"""Importers of real exports into bronze: Fitbit (account export, Google Takeout), PMData, Apple Health.

Each importer maps the export's records to the stream contracts (DESIGN.md section 3) and hands
them to the same BronzeWriter as every other ingestion path, so silver and gold need nothing new.
Ids are deterministic, so importing the same export twice adds nothing after silver's dedup.
"""

from __future__ import annotations

from wearhouse.sources.report import ImportReport, Skipped, Tracker

__all__ = ["ImportReport", "Skipped", "Tracker"]
