"""`wearhouse import fitbit` on a real Fitbit account export (../shared/data/fitbit_export).

Every expectation is recomputed here from the raw files with the standard library, never from
the importer's own helpers.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.sources.fitbit import import_fitbit
from wearhouse.sources.fitbit.records import fitbit_ts
from wearhouse.sources.report import ImportReport

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
EXPORT = DATA / "fitbit_export" / "user-site-export"
SLEEP_2022 = DATA / "fitbit_export" / "sleep-2022"
pytestmark = pytest.mark.skipif(
    not EXPORT.is_dir(), reason=f"the real Fitbit samples are not at {DATA.resolve()}"
)


@dataclass
class Imported:
    settings: Settings
    report: ImportReport


def bronze(settings: Settings, table: str) -> list[dict[str, Any]]:
    """The payloads of a bronze table (`rejected` also gives each reason)."""
    con = connect(settings, layers=("bronze",))
    try:
        if table == "rejected":
            rows = con.execute("select payload, reason from bronze.rejected").fetchall()
            return [{"payload": p, "reason": r} for p, r in rows]
        return [
            json.loads(p) for (p,) in con.execute(f"select payload from bronze.{table}").fetchall()
        ]
    finally:
        con.close()


def raw(pattern: str, root: Path = EXPORT) -> list[tuple[str, int, dict[str, Any]]]:
    """(file relative to root, index, item) of every item of the matching files."""
    return [
        (f.relative_to(root).as_posix(), i, item)
        for f in sorted(root.glob(pattern))
        for i, item in enumerate(json.loads(f.read_text()))
    ]


def us(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%y %H:%M:%S")


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    settings = Settings(home=tmp_path_factory.mktemp("fitbit") / "home")
    return Imported(settings, import_fitbit(EXPORT, "dan", settings=settings))


def test_record_counts_per_stream_equal_the_files(imported: Imported) -> None:
    expected = {
        "devices": 1,
        "heart_rate": len(raw("heart_rate/heart_rate-*.json")),
        "steps": len(raw("steps/steps-*.json")),
        "sleeps": len(raw("sleep/sleep-*.json")),
        "workouts": 2 * len(raw("exercise/exercise-*.json")),
    }
    assert expected["heart_rate"] > 18_000
    assert dict(imported.report.records) == expected
    assert {s: len(bronze(imported.settings, s)) for s in expected} == expected
    assert imported.report.ingest.rejected == []
    assert bronze(imported.settings, "rejected") == []


def test_heart_rate_readings_keep_every_value_and_the_first_and_last_time(
    imported: Imported,
) -> None:
    want = sorted(
        (us(i["dateTime"]), i["value"]["bpm"], i["value"]["confidence"])
        for _, _, i in raw("heart_rate/heart_rate-*.json")
    )
    records = bronze(imported.settings, "heart_rate")
    got = sorted((iso(r["ts"]), r["bpm"], r["confidence"]) for r in records)
    assert got == want
    assert (got[0][0], got[-1][0]) == (datetime(2017, 10, 7, 13, 0, 11), want[-1][0])
    assert {r["device_id"] for r in records} == {"fitbit-dan"}
    # Local wall-clock times are written as given, without an offset (UTC per DESIGN.md).
    assert all(len(r["ts"]) == 19 and r["ts"][10] == "T" for r in records)


def test_steps_sent_as_text_become_integers_per_minute(imported: Imported) -> None:
    items = raw("steps/steps-*.json")
    records = bronze(imported.settings, "steps")
    assert all(isinstance(r["steps"], int) for r in records)
    assert sorted((iso(r["ts"]), r["steps"]) for r in records) == sorted(
        (us(i["dateTime"]), int(i["value"])) for _, _, i in items
    )
    day = datetime(2017, 11, 7).date()
    assert sum(r["steps"] for r in records if iso(r["ts"]).date() == day) == sum(
        int(i["value"]) for _, _, i in items if us(i["dateTime"]).date() == day
    )


def test_sleeps_keep_start_end_duration_and_levels(imported: Imported) -> None:
    items = {str(i["logId"]): i for _, _, i in raw("sleep/sleep-*.json")}
    records = bronze(imported.settings, "sleeps")
    assert len(records) == len(items)
    for record in records:
        [metric] = record["metrics"]
        item = items[metric["log_id"]]
        start, end = iso(item["startTime"]), iso(item["endTime"])
        assert (iso(metric["start_ts"]), iso(metric["end_ts"])) == (start, end)
        assert (iso(record["created_at"]), iso(record["ended_at"])) == (start, end)
        # Fitbit's own duration, kept as sent: it can differ from end - start by Fitbit's rounding.
        assert metric["duration"] == item["duration"]
        assert abs(metric["duration"] - (end - start).total_seconds() * 1000) <= 60_000
        assert metric["levels"] == item["levels"]
        assert metric["type"] == "classic"


def test_exercises_become_a_start_and_a_stop_per_log(imported: Imported) -> None:
    events = bronze(imported.settings, "workouts")
    by_key = {(e["session_id"], e["action"]): e for e in events}
    for _, _, item in raw("exercise/exercise-*.json"):
        start = us(item["startTime"])
        session = str(item["logId"])
        assert iso(by_key[(session, "start")]["ts"]) == start
        assert iso(by_key[(session, "stop")]["ts"]) == start + timedelta(
            milliseconds=item["duration"]
        )
        assert by_key[(session, "start")]["workout_id"] == item["activityName"].lower().replace(
            " ", "-"
        )
        assert by_key[(session, "stop")]["user_id"] == "dan"


def test_resting_days_without_a_measurement_are_listed_with_file_and_position(
    imported: Imported,
) -> None:
    items = raw("resting_heart_rate/resting_heart_rate-*.json")
    zero = [(f, f"item {i}") for f, i, item in items if item["value"]["value"] == 0]
    assert len(zero) == 80
    skipped = imported.report.skipped
    assert [(s.file, s.position) for s in skipped] == zero
    assert all('"date":null' in s.reason and "value" in s.reason for s in skipped)
    resting = [k for k in imported.report.not_imported if k.startswith("resting-heart-rate days")]
    assert [imported.report.not_imported[k] for k in resting] == [len(items) - len(zero)]


def test_metrics_without_a_stream_are_counted_not_imported(imported: Imported) -> None:
    counts = {k.split(" ")[0]: v for k, v in imported.report.not_imported.items()}
    assert counts["time_in_heart_rate_zones-*.json"] == 3
    assert counts["weight-*.json"] == 1
    assert counts["very_active_minutes-*.json"] == 1
    assert counts["run_vo2_max-*.json"] == 1
    assert imported.report.files == 8  # the files read: heart rate, steps, sleep, exercise, resting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/07/17 13:00:11", "2017-10-07T13:00:11"),
        ("2019-11-01 00:48:00", "2019-11-01T00:48:00"),
        ("2019-11-02T07:19:30.000", "2019-11-02T07:19:30"),
        ("2019-11-02T07:19:30.250", "2019-11-02T07:19:30.250"),
        (" 11/01/19 15:29:27 ", "2019-11-01T15:29:27"),
        ("13/45/17 00:00:00", None),
        ("2019-02-30 00:00:00", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        (1572569280, None),
    ],
)
def test_fitbit_times_in_any_of_the_three_forms(text: object, expected: str | None) -> None:
    assert fitbit_ts(text) == expected


def test_device_id_and_kind_can_be_given_and_one_file_imported(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    one = EXPORT / "heart_rate" / "heart_rate-2017-11-11.json"
    report = import_fitbit(one, "dan", device_id="dan-versa", kind="watch", settings=settings)
    assert report.records["heart_rate"] == len(json.loads(one.read_text()))
    [device] = bronze(settings, "devices")
    assert device == {"device_id": "dan-versa", "user_id": "dan", "kind": "watch"}
    assert {r["device_id"] for r in bronze(settings, "heart_rate")} == {"dan-versa"}


def test_a_folder_without_fitbit_files_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"no Fitbit metric files .* heart_rate-YYYY-MM-DD\.json"):
        import_fitbit(tmp_path, "dan", settings=Settings(home=tmp_path / "home"))
    with pytest.raises(FileNotFoundError, match="no such file"):
        import_fitbit(tmp_path / "missing", "dan", settings=Settings(home=tmp_path / "home"))


def test_sleep_scores_ride_with_their_sleep_whatever_the_column_order(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    report = import_fitbit(SLEEP_2022, "ouv", settings=settings)
    with (SLEEP_2022 / "sleep_score.csv").open(newline="") as handle:
        reader = csv.DictReader(handle)
        # PMData's file starts with `timestamp`; this one with the id: columns differ in order.
        assert reader.fieldnames and reader.fieldnames[0] == "sleep_log_entry_id"
        rows = {row["sleep_log_entry_id"]: (n, row) for n, row in enumerate(reader, start=2)}
    sleeps = {r["metrics"][0]["log_id"]: r["metrics"][0] for r in bronze(settings, "sleeps")}
    matched = set(rows) & set(sleeps)
    assert matched
    for log_id in matched:
        score = sleeps[log_id]["score"]
        assert score["overall_score"] == int(rows[log_id][1]["overall_score"])
        assert score["restlessness"] == float(rows[log_id][1]["restlessness"])
    assert all("score" not in m for k, m in sleeps.items() if k not in rows)
    unmatched = sorted(n for log_id, (n, _) in rows.items() if log_id not in sleeps)
    assert [(s.file, s.position) for s in report.skipped] == [
        ("sleep_score.csv", f"line {n}") for n in unmatched
    ]


def test_messy_values_go_to_bronze_to_be_quarantined_and_unreadable_files_are_listed(
    tmp_path: Path,
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    hr = [
        {"dateTime": "01/01/20 10:00:00", "value": {"bpm": 70, "confidence": 1}},
        {"dateTime": "01/01/20 10:00:05", "value": {"bpm": "abc", "confidence": 1}},
        {"dateTime": "yesterday", "value": {"bpm": 71, "confidence": 1}},
        5,
        {"dateTime": "2020-01-01 10:00:20", "value": {"bpm": " 72 ", "confidence": "2"}},
    ]
    (export / "heart_rate-2020-01-01.json").write_text(json.dumps(hr))
    (export / "steps-2020-01-01.json").write_text(
        '[{"dateTime": "01/01/20 10:00:00", "value": "7"}, {"dateTime": "01/01/20 10:01:00", "value": "9"}, {"dateTime": "01/01/20 10:'
    )
    exercise = [{"logId": 1, "activityName": "Outdoor Bike", "startTime": "01/01/20 11:00:00"}]
    (export / "exercise-0.json").write_text(json.dumps(exercise))
    settings = Settings(home=tmp_path / "home")
    report = import_fitbit(export, "u1", settings=settings)

    rejected = {r.position: r for r in report.ingest.rejected}
    assert set(rejected) == {"item 1", "item 2", "item 3"}
    assert all(r.file == "heart_rate-2020-01-01.json" for r in rejected.values())
    assert "bpm" in rejected["item 1"].reason
    assert "ts" in rejected["item 2"].reason
    assert "JSON object" in rejected["item 3"].reason
    kept = bronze(settings, "rejected")
    assert len(kept) == 3 and all("heart_rate-2020-01-01.json item" in k["reason"] for k in kept)
    assert sorted(r["bpm"] for r in bronze(settings, "heart_rate")) == [70, 72]

    assert report.records["steps"] == 2
    [cut] = [s for s in report.skipped if s.file == "steps-2020-01-01.json"]
    assert cut.position.startswith("char ") and "2 items before it were imported" in cut.reason

    events = bronze(settings, "workouts")
    assert [(e["action"], e["workout_id"], e["session_id"]) for e in events] == [
        ("start", "outdoor-bike", "1")
    ]
    [stop] = [s for s in report.skipped if s.file == "exercise-0.json"]
    assert stop.position == "item 0" and "duration" in stop.reason
