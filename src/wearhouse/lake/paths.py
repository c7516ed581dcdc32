"""Where each layer's Delta tables live under the Wearhouse home (DESIGN.md section 2)."""

from __future__ import annotations

from pathlib import Path

from wearhouse.settings import Settings, get_settings

LAYERS = ("bronze", "silver", "gold")
REJECTS = "_rejected"
"""Bronze table of records refused at the edge (not JSON, wrong shape), kept with their reason."""


def table_path(layer: str, name: str, settings: Settings | None = None) -> Path:
    """The directory of one Delta table, e.g. lake/bronze/heart_rate."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}: use one of {', '.join(LAYERS)}")
    return (settings or get_settings()).lake / layer / name
