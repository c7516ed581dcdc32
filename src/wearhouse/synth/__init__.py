"""Seeded generator of realistic wearable fleets, written in the stream formats of DESIGN.md."""

from __future__ import annotations

from wearhouse.synth.config import FleetConfig
from wearhouse.synth.writer import FILES, write_fleet

__all__ = ["FILES", "FleetConfig", "write_fleet"]
