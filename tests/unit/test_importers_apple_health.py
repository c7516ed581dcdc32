"""`wearhouse import apple-health` on real export.xml excerpts (../shared/data/apple_health).

Expected counts and values are recomputed with xml.etree from the raw files.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.sources.apple_health import import_apple_health
from wearhouse.sources.apple_health.records import (
    SleepInterval,
    apple_ts,
    sleep_record,
    sleep_sessions,
    step_pieces,
    workout_id,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
APPLE = DATA / "apple_health"
SAMPLES = {
    "dogsheep": APPLE / "dogsheep_healthkit-to-sqlite" / "tests" / "export.xml",
    "alx": APPLE / "alxdrcirilo_apple-health-parser" / "tests" / "data" / "export.xml",
    "tdda": APPLE / "tdda_applehealthdata" / "testdata" / "export6s3sample.xml",
}
ZIP_CONTENTS = APPLE / "dogsheep_healthkit-to-sqlite" / "tests" / "zip_contents"
pytestmark = pytest.mark.skipif(
    not APPLE.is_dir(), reason=f"the real Apple Health samples are not at {DATA.resolve()}"
)
HR, STEPS, SLEEP = (
    "HKQuantityTypeIdentifierHeartRate",
    "HKQuantityTypeIdentifierStepCount",
    "HKCategoryTypeIdentifierSleepAnalysis",
)


def bronze(settings: Settings, stream: str) -> list[dict[str, Any]]:
    con = connect(settings, layers=("bronze",))
    try:
        return [
            json.loads(p) for (p,) in con.execute(f"select payload from bronze.{stream}").fetchall()
        ]
    finally:
        con.close()


def top_level(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot())


def records_of(path: Path, kind: str) -> list[ET.Element]:
    return [e for e in top_level(path) if e.tag == "Record" and e.get("type") == kind]


def apple(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("apple") / "home")
    for user, path in SAMPLES.items():
        import_apple_health(path, user, settings=settings)
    return settings


@pytest.mark.parametrize("user", list(SAMPLES))
def test_record_counts_per_stream_equal_the_file(user: str, tmp_path: Path) -> None:
    path = SAMPLES[user]
    settings = Settings(home=tmp_path / "home")
    report = import_apple_health(path, user, settings=settings)
    elements = top_level(path)
    mapped = [e for e in elements if e.tag == "Record" and e.get("type") in (HR, STEPS, SLEEP)]
    sleep_sources = {e.get("sourceName") for e in records_of(path, SLEEP)}
    expected = {
        "heart_rate": len(records_of(path, HR)),
        "steps": len(records_of(path, STEPS)),
        # Each sample's sleep records are one per source and hours apart: one sleep each.
        "sleeps": len(sleep_sources) if len(records_of(path, SLEEP)) == len(sleep_sources) else -1,
        "workouts": 2 * sum(e.tag == "Workout" for e in elements),
        "devices": len({e.get("sourceName") for e in mapped}),
        "users": sum(e.tag == "Me" for e in elements),
    }
    assert {k: v for k, v in report.records.items()} == {k: v for k, v in expected.items() if v}
    assert report.ingest.rejected == [] and report.skipped == []
    others = sum(e.tag not in ("Workout", "Me", "ExportDate") and e not in mapped for e in elements)
    assert sum(report.not_imported.values()) == others


def test_heart_rate_keeps_the_offset_of_each_reading(lake: Settings) -> None:
    readings = bronze(lake, "heart_rate")
    want = sorted(
        (apple(e.get("startDate")), float(e.get("value")))
        for path in SAMPLES.values()
        for e in records_of(path, HR)
    )
    got = sorted((datetime.fromisoformat(r["ts"]), float(r["bpm"])) for r in readings)
    assert got == want
    dog = next(r for r in readings if r["device_id"] == "apple-dogsheep-apple-watch")
    assert dog["ts"] == "2018-09-10T02:28:55-07:00"
    assert utc(dog["ts"]) == datetime(2018, 9, 10, 9, 28, 55, tzinfo=UTC)


def test_step_counts_are_spread_per_minute_keeping_each_total(lake: Settings) -> None:
    buckets = bronze(lake, "steps")
    raw = records_of(SAMPLES["tdda"], STEPS)
    assert len(buckets) == len(raw)
    by_start = {datetime.fromisoformat(b["created_at"]): b for b in buckets}
    for element in raw:
        bucket = by_start[apple(element.get("startDate"))]
        assert datetime.fromisoformat(bucket["ended_at"]) == apple(element.get("endDate"))
        assert sum(m["steps"] for m in bucket["metrics"]) == int(element.get("value"))
    day_total = sum(int(e.get("value")) for e in raw if e.get("startDate").startswith("2014-09-13"))
    assert day_total == 2517
    assert sum(m["steps"] for b in buckets for m in b["metrics"]) == day_total


def test_sleep_analysis_becomes_a_sleep_per_source(lake: Settings) -> None:
    sleeps = {s["device_id"]: s for s in bronze(lake, "sleeps")}
    for element in records_of(SAMPLES["alx"], SLEEP):
        device = "apple-alx-" + element.get("sourceName").lower().replace("'", "").replace(" ", "-")
        [metric] = sleeps[device]["metrics"]
        start, end = apple(element.get("startDate")), apple(element.get("endDate"))
        assert (
            datetime.fromisoformat(metric["start_ts"]),
            datetime.fromisoformat(metric["end_ts"]),
        ) == (start, end)
        assert metric["duration"] == (end - start).total_seconds() * 1000
        level = element.get("value").removeprefix("HKCategoryValueSleepAnalysis")
        assert (
            metric["levels"]["data"][0]["level"] == {"InBed": "in_bed", "AsleepCore": "core"}[level]
        )


def test_devices_users_and_workouts(lake: Settings) -> None:
    devices = {d["device_id"]: d for d in bronze(lake, "devices")}
    assert devices["apple-alx-alexandres-apple-watch"]["kind"] == "watch"
    assert devices["apple-alx-alexandres-apple-watch"]["model"] == "Apple Watch (Watch6,7)"
    assert devices["apple-alx-alexandres-iphone"]["kind"] == "phone"
    assert devices["apple-tdda-health"]["kind"] == "phone"
    users = {u["user_id"]: u for u in bronze(lake, "users")}
    assert users["tdda"] == {
        "user_id": "tdda",
        "op": "create",
        "updated_at": "2016-04-15T07:27:26+01:00",
        "dob": "1965-07-31",
        "gender": "male",
    }
    events = [e for e in bronze(lake, "workouts") if e["user_id"] == "dogsheep"]
    assert sorted((e["action"], e["ts"]) for e in events) == [
        ("start", "2016-11-14T07:25:41-07:00"),
        ("stop", "2016-11-14T07:30:52-07:00"),
    ]
    assert {(e["workout_id"], e["session_id"]) for e in events} == {
        ("running", "2016-11-14T07:25:41-07:00")
    }


def test_the_zip_and_the_folder_give_the_same_records_as_the_xml(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for file in sorted(ZIP_CONTENTS.rglob("*")):
            out.write(file, file.relative_to(ZIP_CONTENTS).as_posix())
    payloads = {}
    for name, path in {"zip": archive, "folder": ZIP_CONTENTS, "xml": SAMPLES["dogsheep"]}.items():
        settings = Settings(home=tmp_path / name)
        report = import_apple_health(path, "dogsheep", settings=settings)
        if name == "zip":
            assert report.skipped == [] and report.files == 1
        payloads[name] = {
            s: sorted(json.dumps(r) for r in bronze(settings, s)) for s in report.records
        }
    assert payloads["zip"] == payloads["folder"] == payloads["xml"]
    assert set(payloads["zip"]) == {"users", "devices", "heart_rate", "workouts"}


def test_correlation_children_are_not_counted_twice_and_bad_values_are_passed_on(
    tmp_path: Path,
) -> None:
    export = tmp_path / "export.xml"
    export.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_US">
 <ExportDate value="2024-06-01 08:10:05 +0200"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 01:00:00 +0200" endDate="2024-01-01 01:00:00 +0200" value="70"/>
 <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="W" startDate="2024-01-01 01:00:00 +0200" endDate="2024-01-01 01:00:00 +0200">
  <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 01:00:00 +0200" endDate="2024-01-01 01:00:00 +0200" value="70"/>
 </Correlation>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="someday" endDate="someday" value="71"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/s" startDate="2024-01-01 01:00:05 +0200" endDate="2024-01-01 01:00:05 +0200" value="1.2"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="W" unit="count" startDate="2024-01-01 00:00:00 +0200" endDate="2024-01-03 00:00:00 +0200" value="9000"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeTraditionalStrengthTraining" sourceName="W" startDate="2024-01-01 10:00:00 +0200" endDate="never"/>
 <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 01:00:10 +0200" endDate="2024-01-01 01:00:10 +0200" value="72"
</HealthData>
"""
    )
    settings = Settings(home=tmp_path / "home")
    report = import_apple_health(export, "u", settings=settings)
    assert report.records["heart_rate"] == 1  # the nested copy is not a second reading
    [bad_ts] = report.ingest.rejected
    assert (bad_ts.file, bad_ts.position, bad_ts.stream) == ("export.xml", "line 8", "heart_rate")
    assert "ts" in bad_ts.reason
    skipped = {s.position: s.reason for s in report.skipped}
    assert "'count/s'" in skipped["line 9"]
    assert "more than 24 hours" in skipped["line 10"]
    assert "endDate 'never'" in skipped["line 11"]
    assert "not well-formed XML" in skipped["line 13"]
    [start] = bronze(settings, "workouts")
    assert (start["action"], start["workout_id"]) == ("start", "traditional-strength-training")
    assert report.not_imported == {
        "Apple Health <Correlation> elements (no Wearhouse stream for them)": 1
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-04-09 17:16:45 -0700", "2016-04-09T17:16:45-07:00"),
        ("2024-01-01 01:01:36 +0200", "2024-01-01T01:01:36+02:00"),
        ("2024-01-01 01:01:36 +0000", "2024-01-01T01:01:36+00:00"),
        ("2024-02-30 01:01:36 +0200", None),
        ("2024-01-01 01:01:36", None),
        ("", None),
        (None, None),
    ],
)
def test_apple_dates_keep_their_offset(text: str | None, expected: str | None) -> None:
    assert apple_ts(text) == expected


def test_step_pieces_split_a_total_by_the_seconds_in_each_minute() -> None:
    start = datetime(2024, 1, 1, 10, 0, 30, tzinfo=UTC)
    pieces = step_pieces(start, start + timedelta(minutes=2), 100)
    assert pieces == [
        (start, 25),
        (datetime(2024, 1, 1, 10, 1, tzinfo=UTC), 50),
        (datetime(2024, 1, 1, 10, 2, tzinfo=UTC), 25),
    ]
    odd = step_pieces(start, start + timedelta(seconds=100), 7)
    assert sum(n for _, n in odd) == 7 and all(isinstance(n, int) for _, n in odd)
    assert [n for _, n in odd] == [2, 4, 1]  # 30, 60 and 10 s of 100: 2.1, 4.2, 0.7 steps
    assert step_pieces(start, start, 12) == [(start, 12)]
    halves = step_pieces(start, start + timedelta(minutes=1), 0.5)
    assert sum(n for _, n in halves) == pytest.approx(0.5)


def _interval(start: str, end: str, level: str, device: str = "d") -> SleepInterval:
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return SleepInterval(device, first, last, start, end, level, 1)


def test_sleep_intervals_an_hour_apart_make_one_sleep_counting_overlaps_once() -> None:
    night = [
        _interval("2024-01-01T23:00:00+01:00", "2024-01-02T07:00:00+01:00", "in_bed"),
        _interval("2024-01-01T23:10:00+01:00", "2024-01-02T02:00:00+01:00", "core"),
        _interval("2024-01-02T02:00:00+01:00", "2024-01-02T03:00:00+01:00", "deep"),
        _interval("2024-01-02T07:50:00+01:00", "2024-01-02T08:00:00+01:00", "awake"),
    ]
    nap = [_interval("2024-01-02T14:00:00+01:00", "2024-01-02T14:30:00+01:00", "asleep")]
    sessions = sleep_sessions(list(reversed(night + nap)))
    assert [len(s) for s in sessions] == [4, 1]
    [metric] = sleep_record(sessions[0])["metrics"]
    assert (metric["start_ts"], metric["end_ts"]) == (
        "2024-01-01T23:00:00+01:00",
        "2024-01-02T08:00:00+01:00",
    )
    assert metric["duration"] == (8 * 60 + 10) * 60 * 1000  # 8 h in bed + 10 min awake later
    assert [d["level"] for d in metric["levels"]["data"]] == ["in_bed", "core", "deep", "awake"]


def test_workout_ids_are_activity_slugs() -> None:
    assert workout_id("HKWorkoutActivityTypeRunning") == "running"
    assert workout_id("HKWorkoutActivityTypeHighIntensityIntervalTraining") == (
        "high-intensity-interval-training"
    )
    assert workout_id(None) == "other"
