"""When the transform runs: on new bronze commits (sensor), every 15 minutes, and at the close of
each day, ISO week and month, which rebuild that period's gold partitions."""

# No `from __future__ import annotations`: Dagster reads these signatures at run time.
import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from dagster import (
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    define_asset_job,
    schedule,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from wearhouse.orchestration.defs.bronze import bronze_versions
from wearhouse.orchestration.resources import WearhouseResource

JOB = "transform_job"
TRANSFORM_TAG = {"wearhouse/transform": "1"}
"""On every transform run; `wearhouse orchestrate` limits runs with this tag to one at a time."""

CRON = {
    "silver_gold_every_15_minutes": "*/15 * * * *",
    "daily_aggregates": "10 0 * * *",
    "weekly_aggregates": "30 0 * * 1",
    "monthly_aggregates": "50 0 1 * *",
}
"""Schedules and their cron (UTC). The aggregates run after the day, week or month they close."""


def transform_job(transform: AssetsDefinition) -> UnresolvedAssetJobDefinition:
    """The whole dbt graph (silver and everything built on it) as one job: one transform per run."""
    return define_asset_job(JOB, selection=AssetSelection.assets(transform), tags=TRANSFORM_TAG)


def days(first: date, last: date) -> dict[str, str]:
    """Run tags selecting the gold partitions first..last (one run rebuilds the whole range)."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
    }


def previous_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of the ISO week before the one `today` is in."""
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6)


def previous_month(today: date) -> tuple[date, date]:
    """First and last day of the month before `today`'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def schedules(job: UnresolvedAssetJobDefinition) -> list[ScheduleDefinition]:
    """The 15-minute refresh (today's partition) and the daily, weekly and monthly closes."""

    @schedule(
        job=job,
        cron_schedule=CRON["silver_gold_every_15_minutes"],
        name="silver_gold_every_15_minutes",
        execution_timezone="UTC",
        description="New bronze data into silver and gold; today's gold partition recomputed.",
    )
    def refresh(context: ScheduleEvaluationContext) -> RunRequest:
        today = context.scheduled_execution_time.date()
        return RunRequest(partition_key=today.isoformat())

    @schedule(
        job=job,
        cron_schedule=CRON["daily_aggregates"],
        name="daily_aggregates",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Yesterday's gold partition rebuilt once the day is over (late data included).",
    )
    def daily(context: ScheduleEvaluationContext) -> RunRequest:
        yesterday = context.scheduled_execution_time.date() - timedelta(days=1)
        return RunRequest(partition_key=yesterday.isoformat())

    @schedule(
        job=job,
        cron_schedule=CRON["weekly_aggregates"],
        name="weekly_aggregates",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Last ISO week's days rebuilt on Monday, with the week's rollups.",
    )
    def weekly(context: ScheduleEvaluationContext) -> RunRequest:
        return RunRequest(tags=days(*previous_week(context.scheduled_execution_time.date())))

    @schedule(
        job=job,
        cron_schedule=CRON["monthly_aggregates"],
        name="monthly_aggregates",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Last month's days rebuilt on the 1st, with the month's rollups and cohorts.",
    )
    def monthly(context: ScheduleEvaluationContext) -> RunRequest:
        return RunRequest(tags=days(*previous_month(context.scheduled_execution_time.date())))

    return [refresh, daily, weekly, monthly]


def bronze_sensor(job: UnresolvedAssetJobDefinition) -> SensorDefinition:
    """Runs the transform when a bronze Delta table has a commit the sensor has not seen yet."""

    @sensor(
        job=job,
        name="bronze_commits",
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.RUNNING,
        description="Compares each bronze table's Delta version with the cursor; a newer version "
        "starts silver and everything built on it (today's gold partition).",
    )
    def bronze_commits(
        context: SensorEvaluationContext, wearhouse: WearhouseResource
    ) -> SensorResult:
        versions = bronze_versions(wearhouse.settings())
        seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
        new = sorted(t for t, v in versions.items() if v > seen.get(t, -1))
        cursor = json.dumps(versions, sort_keys=True)
        if not new:
            return SensorResult(skip_reason="no new bronze commits", cursor=cursor)
        today = datetime.now(UTC).date().isoformat()
        request = RunRequest(
            run_key=hashlib.sha256(cursor.encode()).hexdigest()[:16],
            partition_key=today,
            tags={"wearhouse/new_bronze": ",".join(new)},
        )
        context.log.info(f"new bronze commits in {', '.join(new)}: {cursor}")
        return SensorResult(run_requests=[request], cursor=cursor)

    return bronze_commits
