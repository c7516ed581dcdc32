"""PMData (Simula): a sports-logging dataset of 16 people wearing a Fitbit Versa 2 for five months."""

from __future__ import annotations

from wearhouse.sources.pmdata.importer import import_pmdata

__all__ = ["import_pmdata"]
