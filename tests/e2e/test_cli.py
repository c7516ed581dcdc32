"""The `wearhouse` command line end to end: generate -> ingest -> transform -> sql, and the demo."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from click.testing import Result
from typer.testing import CliRunner

from wearhouse.cli.main import app
from wearhouse.lake.read import read_table
from wearhouse.settings import Settings, get_settings
from wearhouse.synth import FILES

pytestmark = pytest.mark.e2e

COMMANDS = ("demo", "generate", "ingest", "transform", "sql")
Run = Callable[..., Result]


def invoke(home: Path, *args: str | Path) -> Result:
    """Run `wearhouse ARGS` in this process with WEARHOUSE_HOME=home, on a wide terminal."""
    get_settings.cache_clear()  # the home comes from the environment, read once per process
    env = {"WEARHOUSE_HOME": str(home), "COLUMNS": "240"}
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    get_settings.cache_clear()
    return result


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli") / "home"


@pytest.fixture(scope="module")
def run(home: Path) -> Run:
    """`wearhouse ...` against the module's home."""
    return lambda *args: invoke(home, *args)


@pytest.fixture(scope="module")
def fleet_dir(run: Run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-fleet") / "fleet"
    result = run(
        "generate",
        "--out",
        out,
        "--users",
        "6",
        "--days",
        "2",
        "--seed",
        "5",
        "--hr-interval",
        "60",
        "--with-errors",
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def ingested(run: Run, fleet_dir: Path) -> Result:
    return run("ingest", fleet_dir)


@pytest.fixture(scope="module")
def transformed(run: Run, ingested: Result) -> Result:
    assert ingested.exit_code == 0, ingested.output
    return run("transform")


def test_help_lists_every_command() -> None:
    # Through the installed console script, as a user would type it.
    script = Path(sys.executable).parent / "wearhouse"
    done = subprocess.run(
        [script, "--help"], capture_output=True, text=True, env={"COLUMNS": "240"}, check=False
    )
    assert done.returncode == 0, done.stderr
    listed = re.findall(r"^│ (\w+) ", done.stdout, flags=re.MULTILINE)
    assert set(COMMANDS) <= set(listed), done.stdout


def test_generate_writes_the_seven_stream_files(fleet_dir: Path) -> None:
    assert sorted(p.name for p in fleet_dir.iterdir()) == sorted(FILES.values())
    for name in FILES.values():
        assert (fleet_dir / name).stat().st_size > 10, name
    assert orjson.loads((fleet_dir / "devices.json").read_bytes())  # a JSON array, not empty


def test_generate_prints_what_it_wrote(tmp_path: Path) -> None:
    out = tmp_path / "small"
    result = invoke(tmp_path / "home", "generate", "-o", out, "--users", "1", "--days", "1")
    assert result.exit_code == 0, result.output
    # The title wraps at the table's width, path and all.
    assert f"Wrote{out}" in "".join(result.output.split())
    written = {line.split()[1] for line in result.output.splitlines() if line.startswith("│")}
    assert {*FILES.values(), "heart_rate_readings", "steps_readings"} <= written


def _records(path: Path) -> int:
    raw = path.read_bytes()
    return len(orjson.loads(raw)) if path.suffix == ".json" else len(raw.splitlines())


def test_ingest_prints_counts_per_stream(ingested: Result, fleet_dir: Path) -> None:
    assert ingested.exit_code == 0, ingested.output
    printed = dict(re.findall(r"^\s+(\w+)\s+([\d,]+) records", ingested.output, flags=re.MULTILINE))
    assert set(printed) == set(FILES)
    refused = {"heart_rate": 2}  # the line that is not JSON and the reading without device_id
    for stream, name in FILES.items():
        written = _records(fleet_dir / name) - refused.get(stream, 0)
        assert int(printed[stream].replace(",", "")) == written, stream
    assert re.search(r"Ingested [\d,]+ records \([\d,]+ readings\) from 7 files", ingested.output)


def test_ingest_names_each_rejected_record_by_file_and_line(
    ingested: Result, fleet_dir: Path
) -> None:
    path = fleet_dir / "heart_rate.jsonl"
    lines = path.read_bytes().splitlines()
    not_json = [n for n, line in enumerate(lines, 1) if not line.startswith(b"{")]
    no_device = [n for n, line in enumerate(lines, 1) if line.startswith(b'{"ts"')]
    assert len(not_json) == len(no_device) == 1
    assert "Rejected 2 records" in ingested.output
    assert f"{path} line {not_json[0]}: not valid JSON" in ingested.output
    assert f"{path} line {no_device[0]}: device_id: Field required" in ingested.output


def test_ingest_of_a_missing_path_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = invoke(tmp_path / "home", "ingest", missing)
    assert result.exit_code == 2
    assert f"{missing}: no such file or directory" in result.output
    assert not (tmp_path / "home" / "lake").exists()


def test_a_file_named_after_no_stream_needs_the_stream_option(tmp_path: Path) -> None:
    readings = tmp_path / "export-2026.jsonl"
    readings.write_text('{"device_id": "d1", "ts": "2026-10-01T12:00:00Z", "bpm": 61}\n')
    result = invoke(tmp_path / "home", "ingest", readings)
    assert result.exit_code == 2
    assert "cannot tell the stream" in result.output and "--stream" in result.output
    named = invoke(tmp_path / "home", "ingest", readings, "--stream", "heart_rate")
    assert named.exit_code == 0, named.output
    assert re.search(r"heart_rate\s+1 records\s+1 readings", named.output)


def test_transform_builds_and_prints_the_quarantine(transformed: Result, home: Path) -> None:
    assert transformed.exit_code == 0, transformed.output
    said = re.search(
        r"Transformed in [\d.]+ s: (\d+) [\w ]+ built, (\d+) tests passed", transformed.output
    )
    assert said, transformed.output
    results = orjson.loads((home / "dbt" / "target" / "run_results.json").read_bytes())["results"]
    built = [r for r in results if r["unique_id"].split(".")[0] in ("model", "seed")]
    tests = [r for r in results if r["unique_id"].split(".")[0] in ("test", "unit_test")]
    assert built and all(r["status"] == "success" for r in built)
    assert (int(said[1]), int(said[2])) == (len(built), len(tests))
    assert "Quarantined 8 records (silver.quarantine)" in transformed.output
    # heart_rate: bpm 0 and 400, an unknown device, a week ahead, no device_id, not JSON.
    rows = re.findall(r"^│ (\w+)\s+│\s+(\d+) │", transformed.output, flags=re.MULTILINE)
    assert dict(rows) == {"heart_rate": "6", "steps": "1", "sleeps": "1"}, transformed.output


def _count(home: Path) -> int:
    return read_table("gold", "user_daily", Settings(home=home)).num_rows


@pytest.mark.usefixtures("transformed")
def test_sql_answers_in_csv(run: Run, home: Path) -> None:
    result = run("sql", "select count(*) as n from gold.user_daily", "--format", "csv")
    assert result.exit_code == 0, result.output
    n = _count(home)
    assert n > 0
    assert result.output.strip() == f"n\n{n}"


@pytest.mark.usefixtures("transformed")
def test_sql_answers_in_json(run: Run, home: Path) -> None:
    result = run("sql", "select count(*) as n from gold.user_daily", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"n": _count(home)}


@pytest.mark.usefixtures("transformed")
def test_sql_refuses_anything_but_select(run: Run, home: Path) -> None:
    before = _count(home)
    result = run("sql", "delete from gold.user_daily")
    assert result.exit_code == 2
    assert "only SELECT" in result.output
    assert _count(home) == before


def test_demo_prints_the_four_insights(tmp_path: Path) -> None:
    result = invoke(tmp_path / "home", "demo", "--users", "12", "--days", "3")
    assert result.exit_code == 0, result.output
    for title in ("by age group", "the last 30 days", "workouts", "Gyms"):
        assert title in result.output, title
    assert "Quarantined" in result.output
    assert re.search(r"Ingested [\d,]+ records", result.output)
