"""`wearhouse transform`: bronze -> silver -> gold with dbt, then publish to Delta.

Runs are incremental: only the bronze files committed since the last complete run are read,
and only the user-days they touch are recomputed (see docs/architecture.md, "Incremental runs").
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field

import duckdb

from wearhouse.settings import Settings
from wearhouse.transform import state
from wearhouse.transform.publish import PublishCallback, PublishReport, publish
from wearhouse.transform.runner import (
    BronzeSnapshot,
    DbtChild,
    DbtOutcome,
    NodeCallback,
    RunParameters,
    WatermarkLost,
    register_bronze,
    run_dbt,
    write_run_parameters,
)

INCREMENTAL_MODELS = (
    "silver.heart_rate",
    "silver.steps",
    "intermediate.int_readings_quarantined",
    "intermediate.int_heart_rate_minutes",
    "intermediate.int_steps_minutes",
    "intermediate.int_user_days_measured",
    "intermediate.int_heart_rate_activity_days",
    "intermediate.int_workout_heart_days",
)
"""Tables that keep their rows between runs; a warehouse without one of them is rebuilt whole."""
READING_STREAMS = ("heart_rate", "steps")


@dataclass
class TransformReport:
    """The dbt outcome and what was published, and how much of it was incremental."""

    dbt: DbtOutcome
    published: PublishReport
    dbt_seconds: float
    publish_seconds: float
    incremental: bool = False
    full_refresh_reason: str | None = None
    new_records: dict[str, int] = field(default_factory=dict)
    affected_user_days: int | None = None  # None on a full refresh: every user-day was computed


def transform(
    settings: Settings,
    *,
    full_refresh: bool = False,
    select: str | None = None,
    on_node: NodeCallback | None = None,
    rebuild: tuple[datetime.date, datetime.date] | None = None,
    on_publish: PublishCallback | None = None,
) -> TransformReport:
    """Build silver and gold (models, seeds and tests) and publish them; nothing is published on failure.

    `rebuild` (first day, last day, inclusive) recomputes those days, with their weeks and months,
    for every user from silver, in addition to whatever new bronze data there is.
    """
    if rebuild is not None and rebuild[0] > rebuild[1]:
        raise ValueError(f"rebuild range starts ({rebuild[0]}) after it ends ({rebuild[1]})")
    with state.transform_lock(settings):
        # dbt's child process imports dbt while this one works out what the run must do.
        child = DbtChild(settings)
        try:
            return _transform(settings, child, full_refresh, select, on_node, rebuild, on_publish)
        finally:
            child.cancel()


def _transform(
    settings: Settings,
    child: DbtChild,
    full_refresh: bool,
    select: str | None,
    on_node: NodeCallback | None,
    rebuild: tuple[datetime.date, datetime.date] | None,
    on_publish: PublishCallback | None,
) -> TransformReport:
    """The run itself, under the transform lock, with dbt's child process already started."""
    saved = state.load(settings)
    snapshot, reason = _register(settings, saved, full_refresh, select, rebuild)
    incremental = reason is None
    if not incremental and select is None:
        # Until this full rebuild is published, any next run must be a full rebuild too.
        versions = saved.bronze_versions if saved else {}
        state.save(settings, state.TransformState(versions, full_refresh_pending=True))
    # Unit tests check the models' logic on fixed inputs, not the data: a full refresh (and CI)
    # runs them; an incremental run, which must cost what its new data costs, does not.
    command = (
        ["build", "--exclude-resource-type", "unit_test"]
        if incremental
        else ["build", "--full-refresh"]
    )
    if select:
        command += ["--select", select]
    started = time.perf_counter()
    # An incremental run (never one with --select) builds only what its new records reach; a
    # rebuild range reaches all.
    changed = None
    if incremental and rebuild is None:
        changed = [name for name, count in snapshot.new_records.items() if count]
    outcome = run_dbt(
        command, settings, on_node, register=False, child=child, changed_streams=changed
    )
    built = time.perf_counter()
    affected = _affected_user_days(settings) if incremental else None
    published = publish(settings, incremental=incremental, on_table=on_publish)
    if select is None:
        state.save(settings, state.TransformState(snapshot.versions))
    return TransformReport(
        dbt=outcome,
        published=published,
        dbt_seconds=built - started,
        publish_seconds=time.perf_counter() - built,
        incremental=incremental,
        full_refresh_reason=reason,
        new_records=snapshot.new_records,
        affected_user_days=affected,
    )


def _register(
    settings: Settings,
    saved: state.TransformState | None,
    full_refresh: bool,
    select: str | None,
    rebuild: tuple[datetime.date, datetime.date] | None,
) -> tuple[BronzeSnapshot, str | None]:
    """Point the bronze views at what this run reads; the reason it is a full refresh, or None."""
    first, last = rebuild or (None, None)
    reason = _full_refresh_reason(settings, saved, full_refresh, select)
    if reason is None and saved is not None:
        try:
            snapshot = register_bronze(settings, saved.bronze_versions)
        except WatermarkLost as exc:
            reason = f"the last processed bronze version is gone ({exc})"
        else:
            changed = _devices_changed(settings)
            if not changed:
                since = _tests_since(settings)
                write_run_parameters(settings, RunParameters(first, last, since))
                return snapshot, None
            shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
            reason = f"devices registered or moved to another user ({shown})"
    return register_bronze(settings, None, RunParameters(first, last, None)), reason


def _full_refresh_reason(
    settings: Settings, saved: state.TransformState | None, full_refresh: bool, select: str | None
) -> str | None:
    if full_refresh:
        return "--full-refresh"
    if select:
        return "--select rebuilds the selected models whole"
    if saved is None:
        return "first run"
    if saved.full_refresh_pending:
        return "an earlier full refresh did not finish"
    missing = sorted(set(INCREMENTAL_MODELS) - _warehouse_tables(settings))
    if missing:
        return f"the warehouse has no {', '.join(missing)}"
    return None


def _warehouse_tables(settings: Settings) -> set[str]:
    if not settings.warehouse_path.exists():
        return set()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    finally:
        con.close()
    return {name for (name,) in rows}


def _devices_changed(settings: Settings) -> list[str]:
    """Devices in new bronze registrations that silver does not know, or knows with another
    user or kind. Readings already stored or quarantined depend on those, so the run is full."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute(
            """
            with registered as (
                select
                    json_extract_string(payload, '$.device_id') as device_id,
                    json_extract_string(payload, '$.user_id') as user_id,
                    coalesce(lower(trim(json_extract_string(payload, '$.kind'))), 'unknown')
                        = 'phone' as is_phone
                from bronze.devices__new
            )
            select distinct registered.device_id
            from registered
            left join silver.devices as known on registered.device_id = known.device_id
            where registered.device_id is not null and registered.user_id is not null
                and (known.device_id is null or known.user_id <> registered.user_id
                    or (known.priority = 2) <> registered.is_phone)
            order by 1
            """
        ).fetchall()
    finally:
        con.close()
    return [device for (device,) in rows]


def _tests_since(settings: Settings) -> datetime.datetime:
    """The earliest ingestion time among the new readings: tests on large tables start there."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        union = " union all ".join(
            f"select min(_ingested_at) from bronze.{stream}__new" for stream in READING_STREAMS
        )
        [(since,)] = con.execute(f"select min(m) from ({union}) as t(m)").fetchall()
    finally:
        con.close()
    return since or datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _affected_user_days(settings: Settings) -> int:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        [(count,)] = con.execute(
            "select count(*) from intermediate.int_affected_user_days"
        ).fetchall()
    finally:
        con.close()
    return int(count)
