"""`wearhouse import pmdata` on the real PMData sample (../shared/data/pmdata: p01, p03, p12).

Expectations are recomputed from the raw files (json and csv modules), not from the importer.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.sources.pmdata import import_pmdata
from wearhouse.sources.pmdata.overview import read_overview
from wearhouse.sources.report import ImportReport

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
PMDATA = DATA / "pmdata"
pytestmark = pytest.mark.skipif(
    not PMDATA.is_dir(), reason=f"the real PMData sample is not at {DATA.resolve()}"
)
PARTICIPANTS = ("p01", "p03", "p12")


@dataclass
class Imported:
    settings: Settings
    report: ImportReport


def bronze(settings: Settings, stream: str) -> list[dict[str, Any]]:
    con = connect(settings, layers=("bronze",))
    try:
        return [
            json.loads(p) for (p,) in con.execute(f"select payload from bronze.{stream}").fetchall()
        ]
    finally:
        con.close()


def raw(participant: str, name: str) -> list[dict[str, Any]]:
    path = PMDATA / participant / "fitbit" / name
    return json.loads(path.read_text()) if path.is_file() else []


def overview_rows() -> list[list[str]]:
    with (PMDATA / "participant-overview.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[2:]  # two header rows


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    settings = Settings(home=tmp_path_factory.mktemp("pmdata") / "home")
    return Imported(settings, import_pmdata(PMDATA, settings=settings))


def test_record_counts_per_stream_equal_the_files(imported: Imported) -> None:
    people = len(overview_rows())
    expected = {
        "users": people,
        "devices": people,
        "steps": sum(len(raw(p, "steps.json")) for p in PARTICIPANTS),
        "sleeps": sum(len(raw(p, "sleep.json")) for p in PARTICIPANTS),
        "workouts": sum(2 * len(raw(p, "exercise.json")) for p in PARTICIPANTS),
    }
    assert people == 16 and expected["steps"] == 53_042
    assert dict(imported.report.records) == expected
    assert {s: len(bronze(imported.settings, s)) for s in expected} == expected
    assert imported.report.ingest.rejected == []


def test_steps_first_last_and_a_daily_total(imported: Imported) -> None:
    items = raw("p03", "steps.json")
    records = [
        r for r in bronze(imported.settings, "steps") if r["device_id"] == "fitbit-pmdata-p03"
    ]
    stamps = sorted(datetime.fromisoformat(r["ts"]) for r in records)
    want = sorted(datetime.strptime(i["dateTime"], "%Y-%m-%d %H:%M:%S") for i in items)
    assert (stamps[0], stamps[-1]) == (want[0], want[-1])
    assert stamps[0] == datetime(2019, 11, 1, 0, 48)
    day = "2020-02-06"  # the busiest day of the sample
    total = sum(int(i["value"]) for i in items if i["dateTime"].startswith(day))
    assert total == 16_964
    assert sum(r["steps"] for r in records if r["ts"].startswith(day)) == total


def test_users_come_from_the_overview_with_messy_cells_normalised(imported: Imported) -> None:
    users = {u["user_id"]: u for u in bronze(imported.settings, "users")}
    rows = {r[0]: r for r in overview_rows()}
    assert set(users) == {f"pmdata-{p}" for p in rows}
    for participant, row in rows.items():
        user = users[f"pmdata-{participant}"]
        assert user["op"] == "create" and user["updated_at"] == "2019-11-01T00:00:00"
        assert user["gender"] == row[3].replace("\xa0", "").strip().lower()
        assert user["height_cm"] == float(row[2])
        dob = date.fromisoformat(user["dob"])
        # The approximate dob gives the overview's age for the whole study.
        assert age_on(dob, date(2019, 11, 1)) == int(row[1]) == age_on(dob, date(2020, 3, 31))
        assert user.get("max_heart_rate") == (float(row[5]) if row[5].strip() else None)
    assert rows["p06"][3] == "male\xa0" and users["pmdata-p06"]["gender"] == "male"
    blank = [n for n in imported.report.notes if "Max heart rate" in n]
    assert [n.split(" (")[1][:3] for n in blank] == ["p07", "p12", "p15"]
    assert all(n.startswith("participant-overview.csv line ") for n in blank)


def test_each_participant_wears_a_versa_2(imported: Imported) -> None:
    devices = bronze(imported.settings, "devices")
    assert {d["device_id"]: d["user_id"] for d in devices} == {
        f"fitbit-pmdata-{r[0]}": f"pmdata-{r[0]}" for r in overview_rows()
    }
    assert {(d["model"], d["kind"]) for d in devices} == {("Fitbit Versa 2", "watch")}


def test_exercises_become_sessions_and_sleeps_keep_their_times(imported: Imported) -> None:
    events = bronze(imported.settings, "workouts")
    starts = {e["session_id"]: e for e in events if e["action"] == "start"}
    for participant in PARTICIPANTS:
        for item in raw(participant, "exercise.json"):
            event = starts[str(item["logId"])]
            assert event["user_id"] == f"pmdata-{participant}"
            assert datetime.fromisoformat(event["ts"]) == datetime.strptime(
                item["startTime"], "%Y-%m-%d %H:%M:%S"
            )
    sleeps = [
        r for r in bronze(imported.settings, "sleeps") if r["device_id"] == "fitbit-pmdata-p01"
    ]
    first = raw("p01", "sleep.json")[0]
    [metric] = next(
        r["metrics"] for r in sleeps if r["metrics"][0]["log_id"] == str(first["logId"])
    )
    # Two forms in one record: "2019-11-02 00:09:30" and "2019-11-02T07:19:30.000".
    assert (metric["start_ts"], metric["end_ts"]) == ("2019-11-02T00:09:30", "2019-11-02T07:19:30")
    assert metric["duration"] == first["duration"] == 430 * 60 * 1000


def test_resting_days_without_a_value_and_orphan_scores_are_listed(imported: Imported) -> None:
    zero = [
        ("p03/fitbit/resting_heart_rate.json", f"item {i}")
        for i, item in enumerate(raw("p03", "resting_heart_rate.json"))
        if item["value"]["value"] == 0 and item["value"]["date"] is None
    ]
    assert len(zero) == 51
    skipped = [(s.file, s.position) for s in imported.report.skipped]
    assert [s for s in skipped if s[0].endswith("resting_heart_rate.json")] == zero
    sleep_ids = {str(s["logId"]) for s in raw("p01", "sleep.json")}
    with (PMDATA / "p01" / "fitbit" / "sleep_score.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    orphans = [
        ("p01/fitbit/sleep_score.csv", f"line {n}")
        for n, row in enumerate(rows, start=2)
        if row["sleep_log_entry_id"] not in sleep_ids
    ]
    assert orphans == [("p01/fitbit/sleep_score.csv", "line 2")]
    assert [s for s in skipped if s[0].endswith("sleep_score.csv")] == orphans


def test_one_participant_folder_can_be_imported(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    report = import_pmdata(PMDATA / "p12", settings=settings)
    assert report.records["users"] == 1 and report.records["devices"] == 1
    assert report.records["sleeps"] == len(raw("p12", "sleep.json"))
    assert {u["user_id"] for u in bronze(settings, "users")} == {"pmdata-p12"}


def test_heart_rate_json_in_the_documented_pmdata_form(tmp_path: Path) -> None:
    # The real heart_rate.json files (60-120 MB) are not in the sample; their documented form is.
    root = tmp_path / "pmdata"
    shutil.copytree(PMDATA / "p12", root / "p12")
    readings = [
        {"dateTime": "2019-11-05 21:11:40", "value": {"bpm": 70, "confidence": 1}},
        {"dateTime": "2019-11-05 21:11:45", "value": {"bpm": 72, "confidence": 3}},
    ]
    (root / "p12" / "fitbit" / "heart_rate.json").write_text(json.dumps(readings))
    settings = Settings(home=tmp_path / "home")
    report = import_pmdata(root, settings=settings)
    assert report.records["heart_rate"] == 2
    assert bronze(settings, "heart_rate") == [
        {"device_id": "fitbit-pmdata-p12", "ts": "2019-11-05T21:11:40", "bpm": 70, "confidence": 1},
        {"device_id": "fitbit-pmdata-p12", "ts": "2019-11-05T21:11:45", "bpm": 72, "confidence": 3},
    ]
    assert [n for n in report.notes if "no participant overview" in n]


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is not None, reason="openpyxl reads it")
def test_an_xlsx_alone_asks_for_its_csv_export(tmp_path: Path) -> None:
    root = tmp_path / "pmdata"
    shutil.copytree(PMDATA / "p12", root / "p12")
    shutil.copy(PMDATA / "participant-overview.xlsx", root)
    with pytest.raises(
        ValueError, match=r"participant-overview\.xlsx: .*openpyxl.*participant-overview\.csv"
    ):
        import_pmdata(root, settings=Settings(home=tmp_path / "home"))


def test_the_overview_reader_takes_the_second_header_row() -> None:
    people = read_overview(PMDATA / "participant-overview.csv")
    assert [p.participant for p in people] == [f"p{n:02d}" for n in range(1, 17)]
    assert people[0].position == "line 3"
    assert (people[0].age, people[0].height_cm, people[0].max_heart_rate) == (48, 195.0, 182.0)
