"""Real exports through the whole pipeline: import -> bronze -> dbt -> silver and gold.

One lake gets every sample (a Fitbit account export, a 2022 Fitbit sleep export, PMData and
three Apple Health excerpts), is transformed, then gets the same exports again and is
transformed again: silver and gold must not change. Expected figures are recomputed from the
raw files here.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.sources.apple_health import import_apple_health
from wearhouse.sources.fitbit import import_fitbit
from wearhouse.sources.pmdata import import_pmdata
from wearhouse.transform.service import TransformReport, transform

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
FITBIT = DATA / "fitbit_export" / "user-site-export"
SLEEP_2022 = DATA / "fitbit_export" / "sleep-2022"
PMDATA = DATA / "pmdata"
APPLE = {
    "apple-dogsheep": DATA / "apple_health/dogsheep_healthkit-to-sqlite/tests/export.xml",
    "apple-alx": DATA / "apple_health/alxdrcirilo_apple-health-parser/tests/data/export.xml",
    "apple-tdda": DATA / "apple_health/tdda_applehealthdata/testdata/export6s3sample.xml",
}
SILVER = (
    "heart_rate",
    "steps",
    "sleep_sessions",
    "workout_sessions",
    "users",
    "devices",
    "quarantine",
)
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Build:
    """What the lake held after one round of imports and a transform."""

    result: TransformReport
    bronze: dict[str, int]
    silver: dict[str, int]
    user_daily: Rows


@dataclass(frozen=True)
class Lake:
    settings: Settings
    first: Build
    second: Build

    def daily(self, user_id: str, day: date) -> dict[str, Any]:
        [row] = [r for r in self.first.user_daily if r["user_id"] == user_id and r["day"] == day]
        return row

    def silver(self, sql: str) -> list[tuple[Any, ...]]:
        con = connect(self.settings, layers=("silver",))
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def import_everything(settings: Settings) -> None:
    import_fitbit(FITBIT, "fitbit-dan", settings=settings)
    import_fitbit(SLEEP_2022, "fitbit-ouv", settings=settings)
    import_pmdata(PMDATA, settings=settings)
    for user, export in APPLE.items():
        import_apple_health(export, user, settings=settings)


def snapshot(settings: Settings, result: TransformReport) -> Build:
    con = connect(settings)
    try:
        count = lambda table: con.execute(f"select count(*) from {table}").fetchall()[0][0]  # noqa: E731
        bronze = {s: count(f"bronze.{s}") for s in ("heart_rate", "steps", "sleeps", "workouts")}
        silver = {t: count(f"silver.{t}") for t in SILVER}
        daily = con.sql("select * from gold.user_daily order by user_id, day").to_arrow_table()
    finally:
        con.close()
    return Build(result, bronze, silver, daily.to_pylist())


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    if not DATA.is_dir():
        pytest.skip(f"the real samples are not at {DATA.resolve()}")
    settings = Settings(home=tmp_path_factory.mktemp("imports") / "home")
    import_everything(settings)
    first = snapshot(settings, transform(settings))
    import_everything(settings)
    second = snapshot(settings, transform(settings))
    return Lake(settings, first, second)


def fitbit_items(root: Path, pattern: str) -> list[dict[str, Any]]:
    return [i for f in sorted(root.glob(pattern)) for i in json.loads(f.read_text())]


def pmdata_items(name: str) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for folder in sorted(PMDATA.glob("p*/fitbit")):
        path = folder / name
        found[folder.parent.name] = json.loads(path.read_text()) if path.is_file() else []
    return found


def us(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%y %H:%M:%S")


def apple_records(kind: str) -> list[ET.Element]:
    return [
        e
        for path in APPLE.values()
        for e in ET.parse(path).getroot()
        if e.tag == "Record" and e.get("type") == kind
    ]


def minutes_touched(element: ET.Element) -> int:
    """How many clock minutes an Apple record's start..end interval touches (at least one)."""
    start = datetime.strptime(element.get("startDate", ""), "%Y-%m-%d %H:%M:%S %z")
    end = datetime.strptime(element.get("endDate", ""), "%Y-%m-%d %H:%M:%S %z")
    first = start.replace(second=0)
    last = (
        (end - timedelta(microseconds=1)).replace(second=0, microsecond=0) if end > start else first
    )
    return int((last - first).total_seconds() // 60) + 1


def test_both_transforms_build_everything_and_quarantine_nothing(lake: Lake) -> None:
    for build in (lake.first, lake.second):
        statuses = set(build.result.dbt.statuses.values())
        assert not statuses & {"error", "fail"}, build.result.dbt.failures
    # Every sample value is valid; only the Fitbit export's one exercise of 3.4 h cannot become a
    # session (sessions over 3 h are not counted), and it is quarantined rather than dropped.
    assert lake.first.silver["quarantine"] == 1
    con = connect(lake.settings, layers=("silver",))
    [(stream, reason)] = con.execute("select stream, reason from silver.quarantine").fetchall()
    assert stream == "workouts"
    assert "sessions longer than 3 h are not counted" in reason


def test_silver_has_one_row_per_natural_key_of_the_raw_files(lake: Lake) -> None:
    fitbit_hr = {us(i["dateTime"]) for i in fitbit_items(FITBIT, "heart_rate/*.json")}
    apple_hr = {
        (e.get("sourceName"), e.get("startDate"))
        for e in apple_records("HKQuantityTypeIdentifierHeartRate")
    }
    fitbit_steps = {us(i["dateTime"]) for i in fitbit_items(FITBIT, "steps/*.json")}
    pm_steps = {
        (p, i["dateTime"]) for p, items in pmdata_items("steps.json").items() for i in items
    }
    apple_steps = sum(
        minutes_touched(e) for e in apple_records("HKQuantityTypeIdentifierStepCount")
    )
    sleeps = (
        {i["startTime"] for i in fitbit_items(FITBIT, "sleep/*.json")}
        | {("ouv", i["startTime"]) for i in fitbit_items(SLEEP_2022, "sleep-*.json")}
        | {(p, i["startTime"]) for p, items in pmdata_items("sleep.json").items() for i in items}
    )
    apple_sleep_sources = {
        e.get("sourceName") for e in apple_records("HKCategoryTypeIdentifierSleepAnalysis")
    }
    # A session is a start matched to a stop within 3 hours (silver's rule).
    exercises = {
        (p, i["logId"])
        for p, items in [
            ("dan", fitbit_items(FITBIT, "exercise/*.json")),
            *pmdata_items("exercise.json").items(),
        ]
        for i in items
        if i["duration"] <= 3 * 3600 * 1000
    }
    apple_workouts = sum(
        e.tag == "Workout" for path in APPLE.values() for e in ET.parse(path).getroot()
    )
    assert lake.first.silver == {
        "heart_rate": len(fitbit_hr) + len(apple_hr),
        "steps": len(fitbit_steps) + len(pm_steps) + apple_steps,
        "sleep_sessions": len(sleeps) + len(apple_sleep_sources),
        "workout_sessions": len(exercises) + apple_workouts,
        "users": 16 + len(APPLE),
        "devices": 2 + 16 + 4,  # two Fitbits, a Versa 2 per participant, four Apple sources
        "quarantine": 1,  # the exercise over 3 h, left out of workout_sessions above
    }
    # The first and last readings are those of the files.
    [(first, last)] = lake.silver(
        "select min(ts), max(ts) from silver.heart_rate where device_id = 'fitbit-fitbit-dan'"
    )
    assert (first.replace(tzinfo=None), last.replace(tzinfo=None)) == (
        min(fitbit_hr),
        max(fitbit_hr),
    )


def test_gold_user_daily_of_imported_days_matches_the_raw_files(lake: Lake) -> None:
    # Steps: PMData's busiest day for p03, summed from the per-minute file.
    p03 = pmdata_items("steps.json")["p03"]
    day = date(2020, 2, 6)
    assert lake.daily("pmdata-p03", day)["step_count"] == sum(
        int(i["value"]) for i in p03 if i["dateTime"].startswith(day.isoformat())
    )
    # Apple step counts of 13 September 2014 (+01:00, all on the same UTC day).
    tdda = [e for e in apple_records("HKQuantityTypeIdentifierStepCount")]
    assert lake.daily("apple-tdda", date(2014, 9, 13))["step_count"] == sum(
        int(e.get("value")) for e in tdda
    )
    # Sleep: the minutes of p01's sleeps that ended on 2 November 2019 (one, 00:09:30-07:19:30).
    ended = {
        i["logId"]: i["duration"] / 60_000
        for i in pmdata_items("sleep.json")["p01"]
        if i["endTime"].startswith("2019-11-02")
    }
    assert list(ended.values()) == [430.0]
    row = lake.daily("pmdata-p01", date(2019, 11, 2))
    assert row["sleep_minutes"] == pytest.approx(sum(ended.values()))
    assert row["age_group"] == "45-55"  # 48 at the study start, per the overview
    # Heart rate: the Fitbit export's 7 October 2017, one reading per timestamp.
    readings: dict[datetime, int] = {}
    for item in fitbit_items(FITBIT, "heart_rate/*.json"):
        readings.setdefault(us(item["dateTime"]), item["value"]["bpm"])
    day_bpm = [bpm for ts, bpm in readings.items() if ts.date() == date(2017, 10, 7)]
    row = lake.daily("fitbit-dan", date(2017, 10, 7))
    assert row["readings"] == len(day_bpm) > 5000
    assert (row["min_bpm"], row["max_bpm"]) == (min(day_bpm), max(day_bpm))
    assert row["avg_bpm"] == pytest.approx(sum(day_bpm) / len(day_bpm), rel=1e-9)
    # An Apple reading at 02:28:55 -07:00 is 09:28:55 UTC, on the same day.
    assert lake.daily("apple-dogsheep", date(2018, 9, 10))["avg_bpm"] == 72


def test_importing_the_same_exports_again_adds_nothing_downstream(lake: Lake) -> None:
    assert lake.second.bronze == {k: 2 * v for k, v in lake.first.bronze.items()}
    assert lake.second.silver == lake.first.silver
    assert lake.second.user_daily == lake.first.user_daily


def test_fitbit_local_times_are_kept_as_utc_wall_clock(lake: Lake) -> None:
    stamps = {us(i["dateTime"]) for i in fitbit_items(FITBIT, "steps/*.json")}
    rows = lake.silver("select ts from silver.steps where device_id = 'fitbit-fitbit-dan'")
    assert {ts.astimezone(UTC).replace(tzinfo=None) for (ts,) in rows} == stamps
