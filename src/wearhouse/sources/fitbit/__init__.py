"""Fitbit exports: the account export ("user-site-export") and Google Takeout's Fitbit folder."""

from __future__ import annotations

from wearhouse.sources.fitbit.export import import_fitbit

__all__ = ["import_fitbit"]
