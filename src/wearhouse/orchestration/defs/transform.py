"""The dbt models, seeds and tests as Dagster assets and checks, run the way `wearhouse transform` runs.

The asset graph comes from dagster-dbt (`@dbt_assets` over the parsed manifest, dbt tests as asset
checks); execution calls `wearhouse.transform.service.transform`, the path of `wearhouse transform`:
bronze views registered first, dbt in a child process with the environment of
`runner.dbt_environment()`, incremental state, then publishing to Delta. Its outcome is turned into
one materialization per built model and one check result per dbt test.
"""

# No `from __future__ import annotations`: Dagster reads these signatures at run time.
import json
import time
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    DailyPartitionsDefinition,
    Failure,
    Jitter,
    MaterializeResult,
    PartitionsDefinition,
    RetryPolicy,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets
from dagster_dbt.asset_utils import (
    get_asset_check_key_for_test,
    get_subset_selection_for_context,
)
from deltalake import DeltaTable

from wearhouse.errors import TransientError
from wearhouse.orchestration.defs.bronze import bronze_key
from wearhouse.orchestration.resources import WearhouseResource
from wearhouse.settings import Settings
from wearhouse.transform.runner import NodeCallback
from wearhouse.transform.service import TransformReport, transform

# Real exports reach back to the first wearables with heart-rate sensors (Fitbit, Apple Watch).
GOLD_DAYS = DailyPartitionsDefinition(start_date="2014-01-01", end_offset=1)
"""Gold's partitions: one per UTC day up to and including today."""

TRANSIENT_RETRIES = RetryPolicy(
    max_retries=3, delay=30, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
)
"""Retries for a store or lock that is briefly unavailable (TransientError); bad input fails at once."""

PASSED = {"pass", "success"}
BUILT = {"success", "ok"}


class WearhouseTranslator(DagsterDbtTranslator):
    """dbt nodes named as the lake names them: <layer>/<table>, bronze sources onto bronze assets."""

    def __init__(self) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "bronze":
                return bronze_key(dbt_resource_props["identifier"])
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props)

    def get_partitions_def(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> PartitionsDefinition | None:
        # Gold is partitioned by day so that days can be rebuilt and backfilled one by one; silver
        # holds whole histories (SCD2 users, sessions) and is not.
        return GOLD_DAYS if _layer(dbt_resource_props) == "gold" else None


def _layer(dbt_resource_props: Mapping[str, Any]) -> str:
    # The model's schema is its layer (dbt_project.yml: silver, gold, intermediate; seeds in silver).
    return dbt_resource_props.get("config", {}).get("schema") or "silver"


def transform_assets(project: DbtProject) -> AssetsDefinition:
    """Every dbt model and seed of the project as an asset, every dbt test as an asset check."""
    translator = WearhouseTranslator()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        name="transform",
        backfill_policy=BackfillPolicy.single_run(),
        retry_policy=TRANSIENT_RETRIES,
    )
    def transform_op(
        context: AssetExecutionContext, wearhouse: WearhouseResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        manifest = json.loads(project.manifest_path.read_text())
        yield from run_transform(context, wearhouse.settings(), manifest, translator)

    return transform_op


def run_transform(
    context: AssetExecutionContext,
    settings: Settings,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """Run the transform for the selected assets (rebuilding the run's days) and report its events."""
    rebuild = rebuild_range(context)
    select = dbt_selection(context, manifest, translator)
    context.log.info(
        f"transform: select={select or 'everything'}, rebuild={_describe(rebuild)}, "
        f"home={settings.home.resolve()}"
    )
    started = time.time()
    try:
        report = transform(settings, select=select, rebuild=rebuild, on_node=_logger(context))
    except TransientError:
        raise  # retried by the op's RetryPolicy
    except Exception as exc:
        # Failed dbt tests still show as failed checks; nothing was published.
        yield from _failed_checks(context, settings, manifest, translator, started)
        raise Failure(
            description=f"wearhouse transform failed: {exc}", allow_retries=False
        ) from exc
    yield from events(context, report, settings, manifest, translator)


def rebuild_range(context: AssetExecutionContext) -> tuple[date, date] | None:
    """The days of the run's gold partitions (a day or a backfill's range), None when unpartitioned."""
    if not context.has_partition_key_range:
        return None
    keys = context.partition_key_range
    return date.fromisoformat(keys.start), date.fromisoformat(keys.end)


def dbt_selection(
    context: AssetExecutionContext, manifest: Mapping[str, Any], translator: DagsterDbtTranslator
) -> str | None:
    """The dbt --select of a subset run (some assets picked in the UI); None runs the whole project."""
    args, _ = get_subset_selection_for_context(
        context, manifest, None, None, None, translator, None
    )
    return args[1] if args else None


def events(
    context: AssetExecutionContext,
    report: TransformReport,
    settings: Settings,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
) -> Iterator[MaterializeResult | AssetCheckResult]:
    """A materialization per model and seed dbt built, a check result per dbt test it ran."""
    ids = {node["name"]: uid for uid, node in manifest["nodes"].items()}
    for name, status in report.dbt.statuses.items():
        unique_id = ids.get(name)
        if unique_id is None:
            continue  # unit tests and operations are not assets or checks
        node = manifest["nodes"][unique_id]
        if node["resource_type"] == "test":
            check = _check(context, manifest, translator, unique_id, status)
            if check is not None:
                yield check
        elif status.lower() in BUILT:
            key = translator.get_asset_key(node)
            if key in context.selected_asset_keys:
                yield MaterializeResult(
                    asset_key=key, metadata=_published(report, key, settings) | {"dbt": status}
                )


def _check(
    context: AssetExecutionContext,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    unique_id: str,
    status: str,
) -> AssetCheckResult | None:
    key = get_asset_check_key_for_test(manifest, translator, unique_id, None)
    if key is None or key not in context.selected_asset_check_keys:
        return None
    return AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=status in PASSED,
        severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
        metadata={"dbt": status},
    )


def _published(report: TransformReport, key: AssetKey, settings: Settings) -> dict[str, Any]:
    layer, table = key.path[0], key.path[-1]
    if layer not in ("silver", "gold"):
        return {}  # intermediate tables stay in the warehouse
    name = f"{layer}.{table}"
    path = settings.lake / layer / table
    meta: dict[str, Any] = {"delta_table": str(path)}
    if name in report.published.written:
        meta["published_rows"] = report.published.written[name]
    if (path / "_delta_log").is_dir():
        meta["delta_version"] = DeltaTable(str(path)).version()
    return meta


def _failed_checks(
    context: AssetExecutionContext,
    settings: Settings,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    started: float,
) -> Iterator[AssetCheckResult]:
    results = Path(settings.home.resolve() / "dbt" / "target" / "run_results.json")
    if not results.exists() or results.stat().st_mtime < started:
        return  # dbt stopped before running anything
    for item in json.loads(results.read_text()).get("results", []):
        unique_id = str(item.get("unique_id", ""))
        if unique_id in manifest["nodes"]:
            check = _check(context, manifest, translator, unique_id, str(item.get("status")))
            if check is not None:
                yield check


def _logger(context: AssetExecutionContext) -> NodeCallback:
    def on_node(event: str, node: str) -> None:
        if event == "total":
            context.log.info(f"dbt build: {node} nodes")
        elif event != "start":
            context.log.debug(f"{event}: {node}")

    return on_node


def _describe(rebuild: tuple[date, date] | None) -> str:
    if rebuild is None:
        return "none"
    first, last = rebuild
    return str(first) if first == last else f"{first}..{last}"
