"""Incremental transforms: late data lands in the right periods, runs repeat and survive SIGKILL.

Each scenario ends by comparing every silver and gold table with a full refresh of a copy of the
same lake (same bronze), which must hold exactly the same rows.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from deltalake import DeltaTable

from wearhouse.errors import TerminalError
from wearhouse.ingest.files import ingest_path
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.transform import state
from wearhouse.transform.service import transform

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
CONFIG = FleetConfig(
    users=6, days=10, seed=11, start=TODAY - timedelta(days=12), hr_interval_s=60, with_errors=True
)
LATE_DAY = CONFIG.start + timedelta(days=2)
LATE_DEVICES = {"d00001", "d00002", "d00003"}  # of the first three users: the others have none
Rows = list[dict[str, Any]]
Snapshot = Callable[..., dict[str, Rows]]


@dataclass(frozen=True)
class Lake:
    """A home holding days 1-10 without part of day 3, transformed once; and the late part."""

    home: Path
    late_dir: Path


def _late(name: str, line: str, index: int) -> bool:
    """Of a few devices, every other reading bucket of day 3 and the sleeps ending then arrive late."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    if not isinstance(record, dict) or not record.get("metrics"):
        return False
    if record.get("device_id") not in LATE_DEVICES:
        return False
    day = LATE_DAY.isoformat()
    if name == "sleeps.jsonl":
        return str(record["metrics"][0].get("end_ts", "")).startswith(day)
    return index % 2 == 1 and str(record.get("created_at", "")).startswith(day)


def split_fleet(fleet: Path, late_dir: Path) -> int:
    """Move the late records out of the fleet's line-per-record files; returns how many moved."""
    late_dir.mkdir()
    moved = 0
    for name in ("heart_rate.jsonl", "steps.jsonl", "sleeps.jsonl"):
        lines = (fleet / name).read_text().splitlines(keepends=True)
        late = {i for i, line in enumerate(lines) if _late(name, line, i)}
        (late_dir / name).write_text("".join(lines[i] for i in sorted(late)))
        (fleet / name).write_text("".join(x for i, x in enumerate(lines) if i not in late))
        moved += len(late)
    return moved


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root = tmp_path_factory.mktemp("incremental")
    write_fleet(CONFIG, root / "fleet")
    assert split_fleet(root / "fleet", root / "late") > 0
    settings = Settings(home=root / "home")
    ingest_path(root / "fleet", settings=settings)
    first = transform(settings)
    assert not first.incremental and first.full_refresh_reason == "first run"
    return Lake(root / "home", root / "late")


def clone(source: Path, target: Path) -> Settings:
    """A copy of a whole home (bronze, warehouse, published tables, state)."""
    shutil.copytree(source, target)
    return Settings(home=target)


def assert_same_as_full_refresh(settings: Settings, tmp_path: Path, layer_rows: Snapshot) -> None:
    """Every silver and gold table equals the one a full refresh of the same bronze builds."""
    reference = clone(settings.home, tmp_path / "full-refresh")
    result = transform(reference, full_refresh=True)
    assert not result.incremental
    for layer in ("silver", "gold"):
        got, want = layer_rows(settings, layer), layer_rows(reference, layer)
        assert set(got) == set(want)
        differing = [name for name in want if got[name] != want[name]]
        assert not differing, f"{layer} tables differ from a full refresh: {differing}"


def affected_users(settings: Settings) -> set[str]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = con.execute("select distinct user_id from intermediate.int_affected_user_days")
        return {user for (user,) in rows.fetchall()}
    finally:
        con.close()


def day_rows(settings: Settings, layer_rows: Snapshot, day: date) -> Rows:
    return [
        r for r in layer_rows(settings, "gold", ["user_daily"])["user_daily"] if r["day"] == day
    ]


def test_late_readings_fix_their_day_week_and_month(
    lake: Lake, tmp_path: Path, layer_rows: Snapshot
) -> None:
    settings = clone(lake.home, tmp_path / "home")
    before = day_rows(settings, layer_rows, LATE_DAY)
    weekly_before = layer_rows(settings, "gold", ["user_weekly"])["user_weekly"]
    ingest_path(lake.late_dir, settings=settings)
    result = transform(settings)
    assert result.incremental, result.full_refresh_reason
    assert result.new_records["heart_rate"] > 0 and result.new_records["users"] == 0
    # Days around day 3 (sleeps span two days; a sleep counts on the day it ends), for the
    # users of the late devices only.
    assert affected_users(settings) == {"u0001", "u0002", "u0003"}
    assert 0 < (result.affected_user_days or 0) <= 3 * 5
    after = day_rows(settings, layer_rows, LATE_DAY)
    assert sum(r["readings"] for r in after) > sum(r["readings"] for r in before)
    assert layer_rows(settings, "gold", ["user_weekly"])["user_weekly"] != weekly_before
    assert "silver.heart_rate" in result.published.written
    assert "gold.user_monthly" in result.published.written
    # The seed's file is the one the first run loaded: it is not loaded again.
    assert "activities" not in result.dbt.statuses
    assert_same_as_full_refresh(settings, tmp_path, layer_rows)


def test_a_second_run_without_new_bronze_changes_nothing(
    lake: Lake,
    tmp_path: Path,
    layer_rows: Snapshot,
    delta_versions: Callable[[Settings], dict[str, int]],
) -> None:
    settings = clone(lake.home, tmp_path / "home")
    ingest_path(lake.late_dir, settings=settings)
    transform(settings)
    versions, gold = delta_versions(settings), layer_rows(settings, "gold")
    again = transform(settings)
    assert again.incremental
    assert set(again.new_records.values()) == {0}
    assert again.affected_user_days == 0
    assert again.published.written == {}
    assert delta_versions(settings) == versions
    assert layer_rows(settings, "gold") == gold


def test_reingesting_late_files_again_is_harmless(
    lake: Lake, tmp_path: Path, layer_rows: Snapshot
) -> None:
    # Duplicates ingested after the originals lose to them, stored or not.
    settings = clone(lake.home, tmp_path / "home")
    ingest_path(lake.late_dir, settings=settings)
    transform(settings)
    silver = layer_rows(settings, "silver", ["heart_rate", "steps", "quarantine"])
    ingest_path(lake.late_dir, settings=settings)
    result = transform(settings)
    assert result.incremental
    assert layer_rows(settings, "silver", ["heart_rate", "steps", "quarantine"]) == silver
    assert not [k for k in result.published.written if k.startswith("gold.")]


def test_compacted_bronze_is_not_taken_for_new_data(
    lake: Lake, tmp_path: Path, layer_rows: Snapshot
) -> None:
    """Compaction rewrites processed and unprocessed records into one file: only the latter count."""
    settings = clone(lake.home, tmp_path / "home")
    idle = transform(settings)
    assert idle.incremental and idle.new_records["heart_rate"] == 0
    assert idle.affected_user_days == 0 and idle.published.written == {}

    ingest_path(lake.late_dir, settings=settings)
    late = DeltaTable(str(settings.lake / "bronze" / "heart_rate")).history(1)[0]
    table = DeltaTable(str(settings.lake / "bronze" / "heart_rate"))
    # The late records now share a file with days 1-10.
    assert table.optimize.compact()["numFilesRemoved"] >= 2
    result = transform(settings)
    assert result.incremental
    assert result.new_records["heart_rate"] == int(late["operationMetrics"]["num_added_rows"])
    assert affected_users(settings) == {"u0001", "u0002", "u0003"}
    assert_same_as_full_refresh(settings, tmp_path, layer_rows)


def test_rebuild_recomputes_a_day_range_for_every_user(
    lake: Lake, tmp_path: Path, layer_rows: Snapshot
) -> None:
    settings = clone(lake.home, tmp_path / "home")
    gold = layer_rows(settings, "gold")
    result = transform(settings, rebuild=(LATE_DAY, LATE_DAY + timedelta(days=1)))
    assert result.incremental
    # Two days plus the day after, for every user with a device.
    assert result.affected_user_days == CONFIG.users * 3
    assert result.published.written == {}
    assert layer_rows(settings, "gold") == gold
    with pytest.raises(ValueError, match="after it ends"):
        transform(settings, rebuild=(LATE_DAY, LATE_DAY - timedelta(days=1)))


def test_a_second_transform_is_refused_while_one_runs(lake: Lake, tmp_path: Path) -> None:
    settings = clone(lake.home, tmp_path / "home")
    with (
        state.transform_lock(settings),
        pytest.raises(TerminalError, match="another transform is running"),
    ):
        transform(settings)


CHILD = """
import sys, time
from pathlib import Path
from wearhouse.settings import Settings
from wearhouse.transform.service import transform

home, stop_at = Path(sys.argv[1]), sys.argv[2]

def hold(line):
    print(line, flush=True)
    if line.startswith(stop_at):
        time.sleep(600)  # held here, mid-run, until the test kills the process group

transform(
    Settings(home=home),
    on_node=lambda event, node: hold(f"node {event} {node}"),
    on_publish=lambda table, rows: hold(f"published {table} {rows}"),
)
"""


def wait_until_gone(group: int) -> None:
    """Wait for every process of the group (dbt too) to be gone: its file locks go with it."""
    for _ in range(600):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes of group {group} still alive a minute after SIGKILL")


def run_and_kill(settings: Settings, marker: str) -> list[str]:
    """Run a transform in a child process and SIGKILL it (and dbt) once it prints `marker`."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(settings.home), marker],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seen: list[str] = []
    assert child.stdout is not None
    try:
        for line in child.stdout:
            seen.append(line.strip())
            if line.startswith(marker):
                break
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        wait_until_gone(child.pid)
    assert seen and seen[-1].startswith(marker), f"never reached {marker!r}: {seen[-5:]}"
    return seen


@pytest.mark.parametrize(
    "marker",
    ["node OK heart_rate", "published "],
    ids=["during-dbt", "during-publish"],
)
def test_a_run_killed_midway_is_completed_by_the_next(
    lake: Lake, tmp_path: Path, layer_rows: Snapshot, marker: str
) -> None:
    settings = clone(lake.home, tmp_path / "home")
    ingest_path(lake.late_dir, settings=settings)
    run_and_kill(settings, marker)
    saved = state.load(settings)
    assert saved is not None and saved.bronze_versions, "the watermark must not advance"
    rerun = transform(settings)
    assert rerun.incremental, rerun.full_refresh_reason
    assert rerun.new_records["heart_rate"] > 0, "the rerun must process the late files again"
    assert_same_as_full_refresh(settings, tmp_path, layer_rows)


def test_a_late_device_registration_makes_the_run_a_full_refresh(
    lake: Lake, tmp_path: Path, layer_rows: Snapshot
) -> None:
    # The fleet's unknown-device readings become valid when that device is registered.
    from wearhouse.synth.faults import UNKNOWN_DEVICE

    settings = clone(lake.home, tmp_path / "home")
    late = tmp_path / "devices"
    late.mkdir()
    device = {"device_id": UNKNOWN_DEVICE, "user_id": "u0001", "kind": "watch"}
    (late / "devices.jsonl").write_text(json.dumps(device) + "\n")
    ingest_path(late, settings=settings)
    result = transform(settings)
    assert not result.incremental
    assert UNKNOWN_DEVICE in (result.full_refresh_reason or "")
    quarantine = layer_rows(settings, "silver", ["quarantine"])["quarantine"]
    assert not [r for r in quarantine if UNKNOWN_DEVICE in r["reason"]]
    assert_same_as_full_refresh(settings, tmp_path, layer_rows)
