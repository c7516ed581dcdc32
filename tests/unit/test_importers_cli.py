"""`wearhouse import ...` as a user runs it: exit codes, the summary, the errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from wearhouse.cli.main import app
from wearhouse.settings import get_settings

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"the real samples are not at {DATA.resolve()}"
)


def invoke(home: Path, *args: str | Path) -> Result:
    """`wearhouse ARGS` in this process with WEARHOUSE_HOME=home, on a wide terminal."""
    get_settings.cache_clear()
    env = {"WEARHOUSE_HOME": str(home), "COLUMNS": "400"}
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    get_settings.cache_clear()
    return result


def test_import_lists_its_three_sources(tmp_path: Path) -> None:
    result = invoke(tmp_path, "import", "--help")
    assert result.exit_code == 0
    for command in ("fitbit", "pmdata", "apple-health"):
        assert command in result.stdout


def test_pmdata_summary_counts_streams_and_lists_every_skipped_record(tmp_path: Path) -> None:
    result = invoke(tmp_path / "home", "import", "pmdata", DATA / "pmdata")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.split()[:3] == ["steps", "53,042", "records"] for line in lines)
    assert any(line.split()[:3] == ["users", "16", "records"] for line in lines)
    assert "Skipped 52 records" in result.stdout
    resting = next(line for line in lines if "p03/fitbit/resting_heart_rate.json" in line)
    assert resting.strip().startswith("p03/fitbit/resting_heart_rate.json items 2-3, 8-9, 16-38,")
    assert "(51): no resting heart rate was measured that day" in resting
    assert (
        "p01/fitbit/sleep_score.csv line 2: no sleep with this sleep_log_entry_id" in result.stdout
    )
    assert "participant-overview.csv line 9 (p07): Max heart rate" in result.stdout
    assert (tmp_path / "home" / "lake" / "bronze" / "steps" / "_delta_log").is_dir()


def test_apple_health_summary_names_what_has_no_stream(tmp_path: Path) -> None:
    export = DATA / "apple_health" / "tdda_applehealthdata" / "testdata" / "export6s3sample.xml"
    result = invoke(tmp_path / "home", "import", "apple-health", export, "--user-id", "njr")
    assert result.exit_code == 0, result.output
    steps = next(line for line in result.stdout.splitlines() if line.strip().startswith("steps"))
    assert steps.split()[:5] == ["steps", "10", "records", "10", "readings"]
    assert "5 Apple Health HKQuantityTypeIdentifierDistanceWalkingRunning records" in result.stdout


def test_errors_name_the_path_and_exit_2(tmp_path: Path) -> None:
    missing = invoke(tmp_path, "import", "apple-health", tmp_path / "nope.zip")
    assert missing.exit_code == 2 and "nope.zip: no such file or directory" in missing.output
    (tmp_path / "empty").mkdir()
    empty = invoke(tmp_path, "import", "pmdata", tmp_path / "empty")
    assert empty.exit_code == 2 and "no participant folders (p01, p02, ...)" in empty.output
    no_user = invoke(tmp_path, "import", "fitbit", DATA / "fitbit_export" / "user-site-export")
    assert no_user.exit_code == 2 and "--user-id" in no_user.output
