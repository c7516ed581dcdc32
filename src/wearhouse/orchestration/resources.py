"""The one resource every Wearhouse asset, sensor and schedule uses: where the home is."""

# No `from __future__ import annotations`: Dagster reads these signatures at run time.
from pathlib import Path

from dagster import ConfigurableResource

from wearhouse.settings import Settings


class WearhouseResource(ConfigurableResource):
    """The Wearhouse home; the other settings come from the environment as for the CLI."""

    home: str

    def settings(self) -> Settings:
        """Settings for this home (engine threads, memory limit, ... from WEARHOUSE_* variables)."""
        return Settings(home=Path(self.home))
