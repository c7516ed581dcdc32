"""Apple Health exports: export.xml (or the Health app's export.zip), streamed."""

from __future__ import annotations

from wearhouse.sources.apple_health.importer import import_apple_health

__all__ = ["import_apple_health"]
