"""Bronze Delta tables as observable source assets: their data version is the Delta version."""

# No `from __future__ import annotations`: Dagster reads these signatures at run time.
import warnings
from collections.abc import Iterator

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BetaWarning,
    DataVersion,
    ObserveResult,
    multi_observable_source_asset,
)
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from wearhouse.contracts import STREAMS
from wearhouse.lake.paths import REJECTS, table_path
from wearhouse.orchestration.resources import WearhouseResource
from wearhouse.settings import Settings

BRONZE_TABLES = (*STREAMS, REJECTS)
GROUP = "bronze"


def bronze_key(table: str) -> AssetKey:
    """The asset key of a bronze table, named like its directory: bronze/heart_rate, bronze/_rejected."""
    return AssetKey([GROUP, table])


def bronze_versions(settings: Settings) -> dict[str, int]:
    """The current Delta version of each bronze table; -1 for a table not created yet."""
    return {table: _version(settings, table) for table in BRONZE_TABLES}


def _version(settings: Settings, table: str) -> int:
    try:
        return DeltaTable(str(table_path("bronze", table, settings))).version()
    except TableNotFoundError:
        return -1


def bronze_assets() -> AssetsDefinition:
    """One observable asset per stream in wearhouse.contracts.STREAMS, plus the rejects table.

    Observing reads each table's Delta version, which becomes the asset's data version: a new
    commit to bronze makes everything built from it stale in the UI.
    """
    specs = [
        AssetSpec(
            bronze_key(table),
            group_name=GROUP,
            description=f"Append-only Delta table lake/bronze/{table}, each record kept verbatim. "
            "Written by ingestion (files, HTTP, brokers, importers); observed, never materialized.",
            kinds={"delta"},
        )
        for table in BRONZE_TABLES
    ]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)

        @multi_observable_source_asset(specs=specs, name="observe_bronze")
        def observe_bronze(wearhouse: WearhouseResource) -> Iterator[ObserveResult]:
            for table, version in bronze_versions(wearhouse.settings()).items():
                yield ObserveResult(
                    asset_key=bronze_key(table),
                    data_version=DataVersion(str(version)),
                    metadata={"delta_version": version},
                )

    return observe_bronze
