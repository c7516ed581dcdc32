"""The live feed's alert rules on plain sequences of readings, and its payload expansion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from wearhouse.live.alerts import (
    HeartRateAlert,
    HeartRateWatch,
    PersonalRange,
    SilenceWatch,
    max_heart_rate,
    personal_range,
)
from wearhouse.live.directory import Directory
from wearhouse.live.frames import parse_ts, reading_frame, readings, registrations

START = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
RANGE = PersonalRange(low=45, high=160, exercise_high=178)


def run(
    bpms: list[float], every_s: float = 5, personal: PersonalRange = RANGE, exercising: bool = False
) -> list[HeartRateAlert]:
    """Feed one reading every `every_s` seconds to a fresh watch; the alerts it raised."""
    watch = HeartRateWatch()
    found = []
    for n, bpm in enumerate(bpms):
        alert = watch.observe(START + timedelta(seconds=n * every_s), bpm, personal, exercising)
        if alert is not None:
            found.append(alert)
    return found


def test_personal_range_from_resting_rate_and_age() -> None:
    assert max_heart_rate(40) == 180
    assert personal_range(60, 40) == PersonalRange(low=45, high=162, exercise_high=180)
    # older: a lower maximum; a very low resting rate never takes the low limit under 35
    assert personal_range(42, 70) == PersonalRange(low=35, high=143, exercise_high=159)


def test_personal_range_defaults_when_unknown() -> None:
    assert personal_range(None, None) == PersonalRange(low=40, high=162, exercise_high=180)


def test_a_sustained_minute_above_the_range_raises_one_alert() -> None:
    alerts = run([170] * 30)  # 145 s above 160
    assert len(alerts) == 1
    [alert] = alerts
    assert alert.kind == "heart_rate_high"
    assert alert.since == START
    assert alert.ts == START + timedelta(seconds=60)
    assert alert.limit == 160
    assert alert.message() == "Heart rate above 160 bpm for 60 s (personal range 45-160)"


def test_just_under_a_minute_raises_nothing() -> None:
    assert run([170] * 12) == []  # readings at 0..55 s


def test_a_brief_spike_raises_nothing() -> None:
    assert run([80] * 5 + [190] * 3 + [80] * 20) == []


def test_one_reading_in_range_restarts_the_minute() -> None:
    assert run([170] * 10 + [120] + [170] * 10) == []


def test_back_in_range_rearms_for_a_new_episode() -> None:
    alerts = run([170] * 14 + [100] * 5 + [170] * 14)
    assert [a.kind for a in alerts] == ["heart_rate_high", "heart_rate_high"]


def test_low_alert_below_the_personal_range() -> None:
    [alert] = run([40] * 20)
    assert alert.kind == "heart_rate_low"
    assert alert.limit == 45
    assert "below 45 bpm" in alert.message()


def test_switching_sides_starts_a_new_excursion() -> None:
    alerts = run([170] * 8 + [40] * 8)  # 35 s high, then 35 s low
    assert alerts == []


def test_exercise_raises_the_high_limit() -> None:
    assert run([170] * 20, exercising=True) == []
    [alert] = run([185] * 20, exercising=True)
    assert alert.limit == 178


def test_a_gap_in_readings_is_not_evidence_of_a_sustained_minute() -> None:
    watch = HeartRateWatch()
    assert watch.observe(START, 170, RANGE) is None
    assert watch.observe(START + timedelta(minutes=10), 170, RANGE) is None
    assert watch.observe(START + timedelta(minutes=10, seconds=30), 170, RANGE) is None
    assert watch.observe(START + timedelta(minutes=11), 170, RANGE) is not None


def test_late_and_invalid_readings_are_ignored() -> None:
    watch = HeartRateWatch()
    assert watch.observe(START + timedelta(seconds=30), 170, RANGE) is None
    assert watch.observe(START, 170, RANGE) is None  # older than the latest: ignored
    assert watch.observe(START + timedelta(seconds=60), 300, RANGE) is None  # outside 20-250
    assert watch.observe(START + timedelta(seconds=90), 170, RANGE) is not None


def test_silence_is_reported_once_until_the_device_sends_again() -> None:
    watch = SilenceWatch(after_s=300)
    watch.heard("d1", "u1", now=1000)
    watch.heard("d2", None, now=1200)
    assert watch.silent(now=1299) == []
    [silent] = watch.silent(now=1300)
    assert (silent.device_id, silent.user_id, silent.silent_s) == ("d1", "u1", 300)
    assert watch.silent(now=1400) == []
    assert [s.device_id for s in watch.silent(now=1500)] == ["d2"]
    watch.heard("d1", "u1", now=1600)
    assert [s.device_id for s in watch.silent(now=1900)] == ["d1"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-26T10:00:00Z", START),
        ("2026-11-26T11:00:00+01:00", START),
        ("2026-11-26T10:00:00", START),
        (START.timestamp(), START),
        ("yesterday", None),
        (None, None),
        (True, None),
    ],
)
def test_timestamps(value: object, expected: datetime | None) -> None:
    assert parse_ts(value) == expected


def test_buckets_expand_into_single_readings() -> None:
    bucket = {
        "device_id": 17,
        "created_at": "2026-11-26T10:00:00Z",
        "ended_at": "2026-11-26T10:01:00Z",
        "metrics": [
            {"ts": "2026-11-26T10:00:00Z", "bpm": 70, "confidence": 2},
            {"ts": "not a time", "bpm": 71},
            {"ts": "2026-11-26T10:00:10Z", "bpm": 72.5},
        ],
    }
    found = list(readings("heart_rate", orjson.dumps(bucket)))
    assert [(r.device_id, r.ts, r.value, r.extra) for r in found] == [
        ("17", START, 70, {"confidence": 2}),
        ("17", START + timedelta(seconds=10), 72.5, {}),
    ]
    frame = reading_frame(found[0], "u1", "2026-11-26T10:00:01+00:00")
    assert orjson.loads(frame.text()) == {
        "type": "reading",
        "stream": "heart_rate",
        "device_id": "17",
        "user_id": "u1",
        "ts": "2026-11-26T10:00:00+00:00",
        "bpm": 70,
        "ingested_at": "2026-11-26T10:00:01+00:00",
        "confidence": 2,
    }


def test_steps_frames_and_location_hidden_from_analysts() -> None:
    [steps] = readings("steps", '{"device_id": "d1", "ts": "2026-11-26T10:00:00Z", "steps": 12}')
    assert orjson.loads(reading_frame(steps, None, "x").text())["steps"] == 12
    [hr] = readings("heart_rate", '{"device_id": "d1", "ts": 0, "bpm": 60, "lat": 1.5, "lon": 2}')
    frame = reading_frame(hr, None, "x")
    assert orjson.loads(frame.text())["lat"] == 1.5
    assert "lat" not in orjson.loads(frame.text(with_location=False))
    assert "lon" not in orjson.loads(frame.text(with_location=False))


def test_device_registrations_map_devices_to_users() -> None:
    directory = Directory(devices={"d1": "u1"})
    assert registrations('{"device_id": 5, "user_id": "u5"}') == ("5", "u5")
    assert registrations('{"device_id": "d9"}') is None
    directory.register("d1", "u2")
    assert directory.user_of("d1") == "u2"
    assert directory.user_of("d3") is None
    newer = directory.replaced_by(Directory(devices={"d1": "u2"}))
    assert newer.registered == {}  # gold caught up with the live registration
    assert newer.user_of("d1") == "u2"
