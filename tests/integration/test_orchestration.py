"""Dagster orchestration on real engines: definitions load, the asset graph, a whole run on DuckDB
over a generated fleet, the bronze sensor and the schedules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    SensorResult,
    build_schedule_context,
    build_sensor_context,
)
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
from dagster._core.definitions.observe import observe  # not exported, but the way to test one

from wearhouse.contracts import STREAMS
from wearhouse.ingest.files import ingest_path
from wearhouse.lake.read import read_table
from wearhouse.orchestration.defs import build_definitions
from wearhouse.orchestration.defs.automation import CRON, JOB, days
from wearhouse.orchestration.defs.bronze import bronze_assets, bronze_versions
from wearhouse.orchestration.resources import WearhouseResource
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.transform.runner import PROJECT_DIR

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
CONFIG = FleetConfig(users=4, days=3, seed=11, start=TODAY - timedelta(days=5), hr_interval_s=300)

BRONZE = {f"bronze/{name}" for name in (*STREAMS, "_rejected")}
SILVER = {
    f"silver/{name}"
    for name in (
        "heart_rate",
        "steps",
        "sleep_sessions",
        "users",
        "devices",
        "workout_sessions",
        "gym_visits",
        "quarantine",
        "activities",
    )
}
GOLD = {
    f"gold/{name}"
    for name in (
        "user_daily",
        "user_weekly",
        "user_monthly",
        "age_group_monthly",
        "workout_bpm_summary",
        "gym_activity_summary",
        "heart_rate_by_activity",
        "dim_users",
        "dim_devices",
    )
}


@dataclass(frozen=True)
class Orchestrated:
    """A home holding an ingested fleet, and the definitions loaded over it."""

    settings: Settings
    fleet_dir: Path
    defs: Definitions

    @property
    def graph(self) -> AssetGraph:
        return self.defs.get_repository_def().asset_graph

    @property
    def resource(self) -> WearhouseResource:
        return WearhouseResource(home=str(self.settings.home.resolve()))


@pytest.fixture(scope="module")
def orchestrated(tmp_path_factory: pytest.TempPathFactory) -> Orchestrated:
    root = tmp_path_factory.mktemp("orchestration")
    settings = Settings(home=root / "home")
    write_fleet(CONFIG, root / "fleet")
    ingest_path(root / "fleet", settings=settings)
    return Orchestrated(settings, root / "fleet", build_definitions(settings))


def keys(graph: AssetGraph) -> set[str]:
    return {key.to_user_string() for key in graph.get_all_asset_keys()}


def upstream(graph: AssetGraph, key: str) -> set[str]:
    """Every asset `key` is built from, directly or not."""
    seen: set[str] = set()
    todo = [AssetKey.from_user_string(key)]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent.to_user_string() not in seen:
                seen.add(parent.to_user_string())
                todo.append(parent)
    return seen


def test_definitions_load_and_validate(orchestrated: Orchestrated) -> None:
    Definitions.validate_loadable(orchestrated.defs)
    repository = orchestrated.defs.get_repository_def()
    assert {job.name for job in repository.get_all_jobs()} >= {JOB}
    manifest = orchestrated.settings.home.resolve() / "dbt" / "manifest" / "manifest.json"
    assert manifest.exists(), "the manifest is parsed under WEARHOUSE_HOME, not in the package"
    assert not (PROJECT_DIR / "target").exists()


def test_the_entry_point_module_validates_with_the_dagster_cli(
    orchestrated: Orchestrated,
) -> None:
    env = {**os.environ, "WEARHOUSE_HOME": str(orchestrated.settings.home.resolve())}
    env.pop("DAGSTER_HOME", None)
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "wearhouse.orchestration.definitions"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_asset_keys_are_bronze_silver_gold_and_the_intermediate_models(
    orchestrated: Orchestrated,
) -> None:
    graph = orchestrated.graph
    intermediate = {
        f"intermediate/{path.stem}"
        for path in (PROJECT_DIR / "models" / "intermediate").glob("int_*.sql")
    }
    assert len(intermediate) >= 10
    # The one other dbt source: the parameters the transform writes for each run.
    assert keys(graph) == BRONZE | SILVER | GOLD | intermediate | {"run/parameters"}
    assert not graph.get(AssetKey(["run", "parameters"])).is_executable
    for key in BRONZE:
        assert graph.get(AssetKey.from_user_string(key)).is_observable
    for key in SILVER | GOLD | intermediate:
        assert graph.get(AssetKey.from_user_string(key)).is_materializable


def test_lineage_runs_from_bronze_through_silver_to_gold(orchestrated: Orchestrated) -> None:
    graph = orchestrated.graph
    for stream in ("heart_rate", "steps", "users", "devices", "workouts", "gym_visits"):
        silver = {"sleeps": "sleep_sessions", "workouts": "workout_sessions"}.get(stream, stream)
        assert f"bronze/{stream}" in upstream(graph, f"silver/{silver}")
    assert "bronze/sleeps" in upstream(graph, "silver/sleep_sessions")
    assert "bronze/_rejected" in upstream(graph, "silver/quarantine")
    daily = upstream(graph, "gold/user_daily")
    assert {"silver/heart_rate", "silver/steps", "silver/sleep_sessions", "silver/users"} <= daily
    assert {"bronze/heart_rate", "bronze/steps", "bronze/sleeps"} <= daily
    parents = {k.to_user_string() for k in graph.get(AssetKey(["gold", "user_daily"])).parent_keys}
    assert parents and all(p.split("/")[0] in ("silver", "intermediate") for p in parents)
    assert "gold/user_daily" in upstream(graph, "gold/user_weekly")


def test_gold_is_partitioned_by_day_and_silver_is_not(orchestrated: Orchestrated) -> None:
    graph = orchestrated.graph
    for key in GOLD:
        partitions = graph.get(AssetKey.from_user_string(key)).partitions_def
        assert partitions is not None and TODAY.isoformat() in partitions.get_partition_keys()
    for key in SILVER:
        assert graph.get(AssetKey.from_user_string(key)).partitions_def is None


def test_dbt_tests_are_asset_checks_on_their_models(orchestrated: Orchestrated) -> None:
    checks = orchestrated.graph.asset_check_keys
    targets = {check.asset_key.to_user_string() for check in checks}
    assert {"silver/heart_rate", "silver/users", "gold/user_daily", "gold/dim_users"} <= targets
    assert any(c.name.startswith("unique_key_user_daily") for c in checks)


def test_schedules_have_their_cron(orchestrated: Orchestrated) -> None:
    repository = orchestrated.defs.get_repository_def()
    schedules = {s.name: s for s in repository.schedule_defs}
    assert (
        {name: s.cron_schedule for name, s in schedules.items()}
        == {
            "silver_gold_every_15_minutes": "*/15 * * * *",
            "daily_aggregates": "10 0 * * *",
            "weekly_aggregates": "30 0 * * 1",
            "monthly_aggregates": "50 0 1 * *",
        }
        == CRON
    )
    assert all(s.job_name == JOB and s.execution_timezone == "UTC" for s in schedules.values())


@pytest.mark.parametrize(
    ("schedule", "at", "first", "last"),
    [
        ("silver_gold_every_15_minutes", "2026-03-11T10:15", "2026-03-11", "2026-03-11"),
        ("daily_aggregates", "2026-03-11T00:10", "2026-03-10", "2026-03-10"),
        ("weekly_aggregates", "2026-03-09T00:30", "2026-03-02", "2026-03-08"),
        ("monthly_aggregates", "2026-03-01T00:50", "2026-02-01", "2026-02-28"),
    ],
)
def test_schedules_target_the_days_they_close(
    orchestrated: Orchestrated, schedule: str, at: str, first: str, last: str
) -> None:
    repository = orchestrated.defs.get_repository_def()
    definition = repository.get_schedule_def(schedule)
    context = build_schedule_context(
        scheduled_execution_time=datetime.fromisoformat(at).replace(tzinfo=UTC),
        repository_def=repository,
    )
    [request] = definition.evaluate_tick(context).run_requests or []
    if request.partition_key:
        assert (request.partition_key, request.partition_key) == (first, last)
    else:
        tags = request.tags
        assert tags["dagster/asset_partition_range_start"] == first
        assert tags["dagster/asset_partition_range_end"] == last


def test_bronze_observations_carry_the_delta_versions(orchestrated: Orchestrated) -> None:
    result = observe([bronze_assets()], resources={"wearhouse": orchestrated.resource})
    assert result.success
    observed = {
        event.asset_key.path[-1]: observation.tags["dagster/data_version"]
        for event in result.get_asset_observation_events()
        if event.asset_key is not None
        and (observation := event.asset_observation_data.asset_observation)
    }
    versions = bronze_versions(orchestrated.settings)
    assert observed == {table: str(version) for table, version in versions.items()}
    assert versions["heart_rate"] >= 1


def test_the_sensor_requests_a_run_after_new_bronze_commits_only(
    orchestrated: Orchestrated, tmp_path: Path
) -> None:
    sensor = orchestrated.defs.get_repository_def().get_sensor_def("bronze_commits")
    resources = {"wearhouse": orchestrated.resource}

    def tick(cursor: str | None) -> SensorResult:
        context = build_sensor_context(cursor=cursor, resources=resources)
        result = sensor(context)
        assert isinstance(result, SensorResult)
        return result

    first = tick(None)  # nothing seen yet: the ingested fleet is new
    assert len(first.run_requests or []) == 1 and first.cursor
    assert first.run_requests[0].partition_key == TODAY.isoformat()
    quiet = tick(first.cursor)
    assert not quiet.run_requests and quiet.cursor == first.cursor

    late = tmp_path / "heart_rate_late.jsonl"
    reading = {"device_id": "d-late", "ts": f"{TODAY - timedelta(days=4)}T08:00:00Z", "bpm": 70}
    late.write_text(json.dumps(reading) + "\n")
    ingest_path(late, settings=orchestrated.settings)
    after = tick(quiet.cursor)
    [request] = after.run_requests or []
    assert request.tags["wearhouse/new_bronze"] == "heart_rate"
    assert json.loads(after.cursor or "{}")["heart_rate"] > json.loads(first.cursor)["heart_rate"]
    assert not tick(after.cursor).run_requests


def test_a_partitioned_run_materializes_the_whole_graph_and_passes_its_checks(
    orchestrated: Orchestrated,
) -> None:
    day = (CONFIG.start + timedelta(days=1)).isoformat()
    job = orchestrated.defs.resolve_job_def(JOB)
    result = job.execute_in_process(partition_key=day, instance=DagsterInstance.ephemeral())
    assert result.success

    materialized = {
        e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()
    }
    graph = orchestrated.graph
    executable = {
        k for k in keys(graph) if graph.get(AssetKey.from_user_string(k)).is_materializable
    }
    assert set(materialized) == executable
    assert {materialized[k].partition for k in GOLD} == {day}
    assert {materialized[k].partition for k in SILVER} == {None}
    meta = materialized["gold/user_daily"].materialization.metadata
    assert meta["delta_version"].value >= 0

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(graph.asset_check_keys)
    assert all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]

    daily = read_table("gold", "user_daily", orchestrated.settings).to_pylist()
    assert {row["day"] for row in daily} >= {CONFIG.start + timedelta(days=n) for n in range(3)}
    assert len({row["user_id"] for row in daily}) == CONFIG.users


def test_a_run_over_a_range_of_partitions_rebuilds_those_days(orchestrated: Orchestrated) -> None:
    first, last = CONFIG.start, CONFIG.start + timedelta(days=1)
    warehouse = duckdb.connect(str(orchestrated.settings.warehouse_path))
    # Measures of those days lost: new bronze data would not recompute them, a rebuild does.
    for table in ("intermediate.int_user_days_measured", "gold.user_daily"):
        warehouse.execute(f"delete from {table} where day between '{first}' and '{last}'")
    warehouse.close()

    job = orchestrated.defs.resolve_job_def(JOB)
    result = job.execute_in_process(tags=days(first, last), instance=DagsterInstance.ephemeral())

    assert result.success
    partitions = {
        e.partition
        for e in result.get_asset_materialization_events()
        if e.asset_key == AssetKey(["gold", "user_daily"])
    }
    assert partitions == {str(first), str(last)}
    daily = read_table("gold", "user_daily", orchestrated.settings).to_pylist()
    rebuilt = [row for row in daily if first <= row["day"] <= last]
    assert len(rebuilt) == CONFIG.users * 2
