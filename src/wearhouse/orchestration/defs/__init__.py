"""The orchestration's definitions, one module per domain: bronze, transform, automation."""

from __future__ import annotations

from dagster import Definitions

from wearhouse.orchestration.defs.automation import bronze_sensor, schedules, transform_job
from wearhouse.orchestration.defs.bronze import bronze_assets
from wearhouse.orchestration.defs.transform import transform_assets
from wearhouse.orchestration.project import dbt_project
from wearhouse.orchestration.resources import WearhouseResource
from wearhouse.settings import Settings, get_settings


def build_definitions(settings: Settings | None = None) -> Definitions:
    """Bronze, silver and gold assets, the transform job, its schedules and the bronze sensor."""
    settings = settings or get_settings()
    transform = transform_assets(dbt_project(settings))
    job = transform_job(transform)
    return Definitions(
        assets=[bronze_assets(), transform],
        jobs=[job],
        schedules=schedules(job),
        sensors=[bronze_sensor(job)],
        resources={"wearhouse": WearhouseResource(home=str(settings.home.resolve()))},
    )
