"""The Dagster entry point: `dagster dev -m wearhouse.orchestration.definitions` (or `wearhouse
orchestrate`). Loading it parses the dbt project into WEARHOUSE_HOME/dbt/manifest when needed."""

from __future__ import annotations

from wearhouse.orchestration.defs import build_definitions

# Dagster loads a module-level Definitions object: building it here is this module's purpose.
defs = build_definitions()
