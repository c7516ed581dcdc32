"""The whole pipeline on real engines: a synthetic fleet through files -> bronze -> dbt -> Delta.

Every gold figure checked here is recomputed independently from the generated stream files
(tests/integration/reference.py), never from silver.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import reference
from edge_cases import BIRTHDAY_USER, EdgeCases, write_edge_cases

from wearhouse.ingest.files import IngestReport, ingest_path
from wearhouse.lake.read import connect
from wearhouse.settings import Settings
from wearhouse.synth import FleetConfig, write_fleet
from wearhouse.synth.faults import NOT_JSON, UNKNOWN_DEVICE
from wearhouse.transform.service import TransformReport, transform

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
CONFIG = FleetConfig(
    users=12,
    days=5,
    seed=3,
    start=TODAY - timedelta(days=6),
    hr_interval_s=60,
    with_errors=True,
)
Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Built:
    """One fleet through the pipeline, with what the lake held right after the first transform."""

    settings: Settings
    fleet_dir: Path
    edge_dir: Path
    edge: EdgeCases
    counts: dict[str, int]
    ingested_at: float
    report: IngestReport  # of the fleet directory
    result: TransformReport
    gold: dict[str, Rows]
    silver: dict[str, Rows]  # only the small tables the tests look into
    silver_counts: dict[str, int]

    @property
    def quarantine(self) -> Rows:
        return self.silver["quarantine"]


def silver_counts(settings: Settings) -> dict[str, int]:
    """Row counts of the silver reading tables."""
    tables = ("heart_rate", "steps", "sleep_sessions", "workout_sessions", "gym_visits")
    con = connect(settings, layers=("silver",))
    try:
        return {t: con.execute(f"select count(*) from silver.{t}").fetchall()[0][0] for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, layer_rows: Callable[..., dict[str, Rows]]
) -> Built:
    root = tmp_path_factory.mktemp("pipeline")
    settings = Settings(home=root / "home")
    counts = write_fleet(CONFIG, root / "fleet")
    edge = write_edge_cases(CONFIG, root / "fleet", root / "edge")
    ingested_at = time.time()
    report = ingest_path(root / "fleet", settings=settings)
    edge_report = ingest_path(root / "edge", settings=settings)
    assert not edge_report.rejected
    result = transform(settings)
    silver = layer_rows(settings, "silver", ["quarantine", "gym_visits"])
    return Built(
        settings=settings,
        fleet_dir=root / "fleet",
        edge_dir=root / "edge",
        edge=edge,
        counts=counts,
        ingested_at=ingested_at,
        report=report,
        result=result,
        gold=layer_rows(settings, "gold"),
        silver=silver,
        silver_counts=silver_counts(settings),
    )


@pytest.fixture(scope="module")
def fleet(built: Built) -> reference.Fleet:
    return reference.load_fleet([built.fleet_dir, built.edge_dir], built.ingested_at)


def epoch_of(value: datetime) -> float:
    """Epoch seconds of a timestamp read from the lake (naive ones are UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def same(got: float | None, want: float | None) -> bool:
    """Equal within rel=1e-9, or both missing."""
    if want is None or got is None:
        return got is None and want is None
    return got == pytest.approx(want, rel=1e-9)


def test_the_first_build_publishes_every_layer_table(built: Built) -> None:
    assert set(built.gold) == {
        "age_group_monthly",
        "dim_devices",
        "dim_users",
        "gym_activity_summary",
        "heart_rate_by_activity",
        "user_daily",
        "user_monthly",
        "user_weekly",
        "workout_bpm_summary",
    }
    assert "gold.user_daily" in built.result.published.written
    assert "error" not in built.result.dbt.statuses.values()
    assert "fail" not in built.result.dbt.statuses.values()


def test_step_totals_per_user_day_take_each_minute_from_the_best_device(
    built: Built, fleet: reference.Fleet
) -> None:
    rows = built.gold["user_daily"]
    gold = {(r["user_id"], r["day"]): r["step_count"] for r in rows}
    assert len(gold) == len(rows), "user_daily has two rows for one user-day"
    expected = reference.steps_per_user_day(fleet)
    assert set(gold) == reference.user_days(fleet)
    assert gold == {key: expected.get(key, 0) for key in gold}
    # The fleet must exercise the rule: summing every device would count some minutes twice.
    naive: dict[tuple[str, date], float] = defaultdict(float)
    for r in fleet.steps():
        naive[(r.user_id, reference.utc_day(r.ts))] += r.value
    assert any(naive[key] > total for key, total in expected.items())


def test_workout_bpm_summary_covers_readings_of_all_the_users_devices(
    built: Built, fleet: reference.Fleet
) -> None:
    rows = built.gold["workout_bpm_summary"]
    gold = {
        (r["user_id"], r["workout_id"], r["session_id"], epoch_of(r["start_time"])): r for r in rows
    }
    assert len(gold) == len(rows)
    expected = reference.workout_bpm(fleet)
    assert expected, "the fleet has no completed workout"
    assert set(gold) == set(expected)
    wrong = []
    for key, want in expected.items():
        row = gold[key]
        got = (row["min_bpm"], row["avg_bpm"], row["max_bpm"])
        if row["num_recordings"] != want.num_recordings or not all(
            same(g, w) for g, w in zip(got, (want.min_bpm, want.avg_bpm, want.max_bpm), strict=True)
        ):
            wrong.append((key, (*got, row["num_recordings"]), want))
    assert not wrong, f"{len(wrong)} sessions differ (key, gold, expected): {wrong[:5]}"
    # The phone's reading, stamped in local time, is the session's highest.
    assert gold[built.edge.phone_workout]["max_bpm"] == 245
    assert {r["session_id"] for r in rows} >= {"x3", "x4"}
    assert not {r["session_id"] for r in rows} & {"x1", "x2"}


def test_gym_activity_lists_each_session_started_inside_a_closed_visit(
    built: Built, fleet: reference.Fleet
) -> None:
    rows = built.gold["gym_activity_summary"]
    columns = ("date", "gym_id", "mac_address", "user_id", "workout_id", "session_id")
    gold = {
        tuple(r[c] for c in columns): (r["minutes_in_gym"], r["minutes_exercising"]) for r in rows
    }
    assert len(gold) == len(rows)
    expected = reference.gym_activity(fleet)
    assert expected, "the fleet has no gym session"
    assert set(gold) == set(expected)
    wrong = {
        key: (gold[key], want)
        for key, want in expected.items()
        if not (same(gold[key][0], want[0]) and same(gold[key][1], want[1]))
    }
    assert not wrong, f"minutes differ (gold, expected): {wrong}"
    gyms = {key[1] for key in gold}
    assert "g98" in gyms, "a visit closed by a later batch is missing"
    assert "g99" not in gyms, "a visit never closed is listed"


def test_a_visit_keeps_its_latest_logout_whatever_the_order_received(built: Built) -> None:
    mac, gym, login = built.edge.corrected_visit
    [visit] = [
        r
        for r in built.silver["gym_visits"]
        if (r["mac_address"], r["gym_id"], epoch_of(r["login"])) == (mac, gym, login)
    ]
    assert epoch_of(visit["logout"]) == built.edge.corrected_logout


def test_age_group_monthly_matches_sleeping_heart_rate_and_steps_per_user(
    built: Built, fleet: reference.Fleet
) -> None:
    rows = built.gold["age_group_monthly"]
    gold = {(r["month"], r["age_group"]): r for r in rows}
    assert len(gold) == len(rows)
    expected = reference.age_group_monthly(fleet)
    assert set(gold) == set(expected)
    wrong = []
    for key, want in expected.items():
        row = gold[key]
        if not (
            row["users"] == want.users
            and same(row["avg_sleep_bpm"], want.avg_sleep_bpm)
            and same(row["avg_step_count"], want.avg_step_count)
        ):
            got = (row["users"], row["avg_sleep_bpm"], row["avg_step_count"])
            wrong.append((key, got, want))
    assert not wrong, f"{len(wrong)} rows differ (key, gold, expected): {wrong}"
    assert any(w.avg_sleep_bpm is not None for w in expected.values())


def test_user_daily_age_group_is_the_age_on_that_day(built: Built, fleet: reference.Fleet) -> None:
    wrong = [
        (r["user_id"], r["day"], r["age_group"])
        for r in built.gold["user_daily"]
        if r["age_group"] != fleet.age_group(r["user_id"], r["day"])
    ]
    assert not wrong
    # The first users of a fleet cover every age group.
    assert len({r["age_group"] for r in built.gold["user_daily"]}) == 10
    # Someone turning 18 during the period changes group on the birthday, not before or after.
    groups = {
        r["day"]: r["age_group"] for r in built.gold["user_daily"] if r["user_id"] == BIRTHDAY_USER
    }
    birthday = built.edge.birthday
    assert {g for day, g in groups.items() if day < birthday} == {"under 18"}
    assert {g for day, g in groups.items() if day >= birthday} == {"18-25"}


def _payload(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def test_quarantine_holds_each_injected_fault_with_its_reason(built: Built) -> None:
    late = built.ingested_at + 86_400

    def ts_after(payload: dict[str, Any], moment: float) -> bool:
        return payload.get("ts") is not None and reference.epoch(payload["ts"]) > moment

    def sleep_backwards(payload: dict[str, Any]) -> bool:
        [metric] = payload["metrics"]
        return reference.epoch(metric["end_ts"]) < reference.epoch(metric["start_ts"])

    faults: list[tuple[str, Callable[[str, dict[str, Any] | None], bool], str]] = [
        ("heart_rate", lambda _, p: p is not None and p.get("bpm") == 0, "is outside 20-250"),
        ("heart_rate", lambda _, p: p is not None and p.get("bpm") == 400, "is outside 20-250"),
        (
            "heart_rate",
            lambda _, p: p is not None and p.get("device_id") == UNKNOWN_DEVICE,
            f"unknown device {UNKNOWN_DEVICE}",
        ),
        ("heart_rate", lambda _, p: p is not None and ts_after(p, late), "more than 24 hours"),
        ("heart_rate", lambda _, p: p is not None and "device_id" not in p, "device_id"),
        ("heart_rate", lambda text, _: text == NOT_JSON.decode().strip(), "not valid JSON"),
        ("steps", lambda _, p: p is not None and p.get("steps") == -5, "is outside 0-1000"),
        ("sleeps", lambda _, p: p is not None and sleep_backwards(p), "before it starts"),
        # Not a synth fault: the edge cases' session that stops 4 h after it starts.
        (
            "workouts",
            lambda _, p: (
                p is not None and p.get("session_id") == "x1" and p.get("action") == "start"
            ),
            "sessions longer than 3 h are not counted",
        ),
    ]
    rows = built.quarantine
    assert len(rows) == len(faults) == built.counts["bad_records"] + 1
    matched: set[int] = set()
    for stream, holds, reason in faults:
        hits = [
            i
            for i, r in enumerate(rows)
            if r["stream"] == stream and holds(r["payload"], _payload(r["payload"]))
        ]
        assert len(hits) == 1, f"{stream} fault with {reason!r}: {len(hits)} quarantined rows"
        assert reason in rows[hits[0]]["reason"], rows[hits[0]]
        matched |= set(hits)
    assert matched == set(range(len(rows)))
    assert all(r["_batch_id"] and r["_ingested_at"] for r in rows)


def test_ingest_report_names_each_edge_rejection_by_file_and_line(
    built: Built, fleet: reference.Fleet
) -> None:
    lines = [line for line in fleet.lines["heart_rate"] if line.file.parent == built.fleet_dir]
    not_json = [line.position for line in lines if line.record is None]
    no_device = [line.position for line in lines if line.record and "device_id" not in line.record]
    assert len(not_json) == len(no_device) == 1
    rejected = {r.position: r for r in built.report.rejected}
    assert sorted(rejected) == sorted(not_json + no_device)
    for rejection in rejected.values():
        assert rejection.file == str(built.fleet_dir / "heart_rate.jsonl")
        assert rejection.stream == "heart_rate"
    assert "not valid JSON" in rejected[not_json[0]].reason
    assert "device_id" in rejected[no_device[0]].reason
    # The quarantined copies say where they came from too.
    edge = {r["reason"].split(": ")[0] for r in built.quarantine}
    assert {f"heart_rate.jsonl {position}" for position in rejected} <= edge
    for stream, name in {"heart_rate": "heart_rate.jsonl", "steps": "steps.jsonl"}.items():
        edge_rejections = sum(r.stream == stream for r in built.report.rejected)
        assert built.report.records[stream] == built.counts[name] - edge_rejections


def test_no_valid_reading_is_lost(built: Built, fleet: reference.Fleet) -> None:
    # The synth counts only good readings (faults.py writes its records without counting them).
    counts, edge, written = built.silver_counts, built.edge, built.counts
    assert counts["heart_rate"] == written["heart_rate_readings"] + edge.heart_rate_readings
    assert counts["heart_rate"] == len(fleet.heart_rate())
    assert counts["steps"] == written["steps_readings"] + edge.steps_readings == len(fleet.steps())
    assert (
        counts["sleep_sessions"] == written["sleeps.jsonl"] - 1 + edge.sleeps == len(fleet.sleeps())
    )
    sessions = written["workouts.json"] // 2 + edge.sessions
    assert counts["workout_sessions"] == sessions == len(fleet.sessions())


def test_reingesting_the_same_files_changes_no_gold_row(
    built: Built, layer_rows: Callable[..., dict[str, Rows]]
) -> None:
    settings = built.settings
    again = ingest_path(built.fleet_dir, settings=settings)
    assert again.records == built.report.records
    ingest_path(built.edge_dir, settings=settings)
    rebuilt = transform(settings)
    assert silver_counts(settings) == built.silver_counts
    assert layer_rows(settings, "gold") == built.gold
    gold_written = [key for key in rebuilt.published.written if key.startswith("gold.")]
    assert gold_written == [], "a gold table was republished with the same rows"


def test_a_transform_without_new_data_publishes_nothing(
    built: Built,
    layer_rows: Callable[..., dict[str, Rows]],
    delta_versions: Callable[[Settings], dict[str, int]],
) -> None:
    settings = built.settings
    before, versions = layer_rows(settings, "gold"), delta_versions(settings)
    quiet = transform(settings)
    assert quiet.published.written == {}
    assert layer_rows(settings, "gold") == before
    assert delta_versions(settings) == versions


def test_a_full_refresh_rebuilds_the_same_gold(
    built: Built, layer_rows: Callable[..., dict[str, Rows]]
) -> None:
    result = transform(built.settings, full_refresh=True)
    rebuilt = {name: result.dbt.statuses.get(name) for name in built.gold}
    assert all(status not in (None, "error", "skipped") for status in rebuilt.values()), rebuilt
    assert layer_rows(built.settings, "gold") == built.gold
