"""`wearhouse backfill` and `wearhouse orchestrate` end to end, against real DuckDB, Delta and Dagster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import Result
from typer.testing import CliRunner

from wearhouse.cli.main import app
from wearhouse.settings import Settings, get_settings
from wearhouse.synth import FleetConfig, write_fleet

pytestmark = pytest.mark.e2e

TODAY = datetime.now(UTC).date()
CONFIG = FleetConfig(users=4, days=4, seed=21, start=TODAY - timedelta(days=6), hr_interval_s=300)
DAY = [CONFIG.start + timedelta(days=n) for n in range(CONFIG.days)]
Run = Callable[..., Result]
Rows = list[dict[str, Any]]
PORT = 3917


def invoke(home: Path, *args: str | Path) -> Result:
    """Run `wearhouse ARGS` in this process with WEARHOUSE_HOME=home, on a wide terminal."""
    get_settings.cache_clear()
    env = {"WEARHOUSE_HOME": str(home), "COLUMNS": "200"}
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    get_settings.cache_clear()
    return result


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("backfill-fleet") / "fleet"
    write_fleet(CONFIG, out)
    return out


def built_home(root: Path, fleet: Path, *transform_args: str) -> Path:
    """A home with the fleet ingested and transformed."""
    home = root / "home"
    for args in (("ingest", fleet), ("transform", *transform_args)):
        result = invoke(home, *args)
        assert result.exit_code == 0, result.output
    return home


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, fleet: Path) -> Path:
    return built_home(tmp_path_factory.mktemp("backfill"), fleet)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, fleet: Path) -> Path:
    """The same fleet in another home, built by a full refresh."""
    return built_home(tmp_path_factory.mktemp("backfill-ref"), fleet, "--full-refresh")


def warehouse_rows(home: Path, sql: str) -> Rows:
    """Rows of a query over the warehouse dbt builds (read-only), in a canonical order."""
    con = duckdb.connect(str(Settings(home=home).warehouse_path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        rel = con.sql(sql)
        rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
    finally:
        con.close()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def gold_rows(home: Path, table: str) -> Rows:
    """A published gold Delta table's rows, in a canonical order."""
    from wearhouse.lake.read import read_table

    rows = read_table("gold", table, Settings(home=home)).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def test_backfill_rebuilds_lost_days_to_what_a_full_refresh_gives(
    home: Path, reference: Path
) -> None:
    first, last = DAY[1], DAY[2]
    # Lose those days' per-user-day measures, which incremental runs only recompute for days new
    # bronze data touches: a rebuild of the days from silver is what brings them back.
    con = duckdb.connect(str(Settings(home=home).warehouse_path))
    for table in ("intermediate.int_user_days_measured", "gold.user_daily"):
        con.execute(f"delete from {table} where day between '{first}' and '{last}'")
    con.close()

    result = invoke(home, "backfill", "--start", first, "--end", last)

    assert result.exit_code == 0, result.output
    assert f"Rebuilding {first} (1/2)" in result.output
    assert f"Rebuilding {last} (2/2)" in result.output
    assert "Backfilled 2 days in 2 partitions" in result.output
    days = f"select * from gold.user_daily where day between '{first}' and '{last}'"
    rebuilt = warehouse_rows(home, days)
    assert len(rebuilt) == CONFIG.users * 2
    assert rebuilt == warehouse_rows(reference, days)
    for table in ("user_daily", "user_weekly", "user_monthly", "age_group_monthly"):
        assert gold_rows(home, table) == gold_rows(reference, table), table


def test_backfill_by_month_runs_one_transform_per_month(home: Path) -> None:
    result = invoke(home, "backfill", "--start", DAY[0], "--end", DAY[-1], "--by", "month")
    assert result.exit_code == 0, result.output
    months = {(d.year, d.month) for d in DAY}
    plural = "partition" if len(months) == 1 else "partitions"
    assert f"Backfilled {len(DAY)} days in {len(months)} {plural}" in result.output
    assert result.output.count("Rebuilding ") == len(months)


def test_backfill_skips_the_requested_days_without_data(home: Path) -> None:
    start = CONFIG.start - timedelta(days=3)
    result = invoke(home, "backfill", "--start", start, "--end", DAY[0])
    assert result.exit_code == 0, result.output
    assert f"Skipped {start} to {DAY[0] - timedelta(days=1)}: no readings" in result.output
    assert "Backfilled 1 day in 1 partition" in result.output


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (DAY[2], DAY[1], f"--end {DAY[1]} is before --start {DAY[2]}"),
        (DAY[0], TODAY + timedelta(days=2), "is in the future"),
        (DAY[0] - timedelta(days=40), DAY[0] - timedelta(days=30), "no data between"),
    ],
)
def test_backfill_refuses_bad_ranges(home: Path, start: date, end: date, message: str) -> None:
    result = invoke(home, "backfill", "--start", start, "--end", end)
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())


def test_backfill_on_an_empty_home_says_to_ingest_first(tmp_path: Path) -> None:
    result = invoke(tmp_path / "empty", "backfill", "--start", DAY[0], "--end", DAY[1])
    assert result.exit_code == 1
    assert "no data to backfill" in result.output and "wearhouse ingest" in result.output


def test_backfill_refuses_a_malformed_date(home: Path) -> None:
    result = invoke(home, "backfill", "--start", "2026-13-01", "--end", DAY[1])
    assert result.exit_code == 2
    assert "2026-13-01" in result.output


def graphql(port: int, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_orchestrate_serves_the_asset_graph(home: Path) -> None:
    env = {**os.environ, "WEARHOUSE_HOME": str(home)}
    child = subprocess.Popen(
        [sys.executable, "-m", "wearhouse.cli.main", "orchestrate", "--port", str(PORT)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        nodes = None
        deadline = time.monotonic() + 180
        while nodes is None and time.monotonic() < deadline:
            try:
                query = "{ assetNodes { assetKey { path } dependencyKeys { path } } }"
                nodes = graphql(PORT, query)["data"]["assetNodes"]
            except (OSError, KeyError):
                time.sleep(2)
        assert nodes is not None, "the Dagster UI did not answer within 180 s"
        deps = {"/".join(n["assetKey"]["path"]): n["dependencyKeys"] for n in nodes}
        assert {"bronze/heart_rate", "silver/heart_rate", "gold/user_daily"} <= set(deps)
        assert ["intermediate", "int_heart_rate_validated"] in [
            d["path"] for d in deps["silver/heart_rate"]
        ]
        assert (home / "dagster" / "dagster.yaml").exists()
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
