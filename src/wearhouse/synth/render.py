"""Stream records of a person's day as JSON text, in the shapes of DESIGN.md section 3."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from wearhouse.synth.encode import Rows, bucket_lines
from wearhouse.synth.schedule import Session, Sleep
from wearhouse.synth.signals import BUCKET_MIN, DaySignals, Readings
from wearhouse.synth.timefmt import iso

HR_BUCKET_S = 4 * 3_600
STEPS_BUCKET_S = BUCKET_MIN * 60


def heart_rate_buckets(device_id: str, day_start: int, readings: Readings) -> tuple[bytes, int]:
    """A day of regular readings as Fitbit-style 4-hour bucket lines, and how many lines."""
    rows = Rows(readings.ts.size).text('{"ts":').uint(readings.ts).text(',"bpm":')
    rows.uint(readings.bpm).text(',"confidence":').uint(readings.confidence).text("},")
    body, ends = rows.render()
    edges = np.arange(day_start, day_start + 86_400 + 1, HR_BUCKET_S)
    bounds = np.searchsorted(readings.ts, edges).tolist()
    return bucket_lines(_prefixes(device_id, edges[:-1], HR_BUCKET_S), body, ends, bounds)


def steps_buckets(device_id: str, minutes: np.ndarray, steps: np.ndarray) -> tuple[bytes, int]:
    """Per-minute step counts (whole 15-minute buckets) as bucket lines, and how many lines."""
    rows = Rows(minutes.size).text('{"ts":').uint(minutes).text(',"steps":')
    body, ends = rows.uint(steps).text("},").render()
    bounds = list(range(0, minutes.size + 1, BUCKET_MIN))
    prefixes = _prefixes(device_id, minutes[::BUCKET_MIN], STEPS_BUCKET_S)
    return bucket_lines(prefixes, body, ends, bounds)


def phone_steps_buckets(device_id: str, signals: DaySignals) -> tuple[bytes, int]:
    """The phone's step buckets of a day (waking hours only), and how many lines."""
    per_minute = np.repeat(signals.phone_buckets, BUCKET_MIN)
    return steps_buckets(device_id, signals.minutes[per_minute], signals.phone_steps[per_minute])


def _prefixes(device_id: str, starts: np.ndarray, length: int) -> list[bytes]:
    head = '{"device_id":"' + device_id + '","created_at":"'
    return [
        f'{head}{iso(start)}","ended_at":"{iso(start + length)}","metrics":['.encode()
        for start in starts.tolist()
    ]


def single_readings(
    device_id: str,
    readings: Readings,
    activity_id: str | None = None,
    track: tuple[np.ndarray, np.ndarray] | None = None,
) -> memoryview:
    """Single heart-rate reading lines, with the activity and GPS position when known."""
    rows = Rows(readings.ts.size).text('{"device_id":"' + device_id + '","ts":"')
    rows.iso(readings.ts).text('","bpm":').uint(readings.bpm)
    rows.text(',"confidence":').uint(readings.confidence)
    if activity_id is not None:
        rows.text(',"activity_id":"' + activity_id + '"')
    if track is not None:
        rows.text(',"lat":').decimal(track[0], 5).text(',"lon":').decimal(track[1], 5)
    return rows.text("}\n").render()[0]


def sleep_record(device_id: str, sleep: Sleep) -> dict[str, Any]:
    """The `sleeps` record a device writes when the person wakes up."""
    return {
        "device_id": device_id,
        "created_at": iso(sleep.end),
        "ended_at": iso(sleep.end + sleep.logged_after),
        "metrics": [
            {
                "start_ts": iso(sleep.start),
                "end_ts": iso(sleep.end),
                "duration": (sleep.end - sleep.start) * 1_000,
                "levels": sleep.levels,
            }
        ],
    }


def workout_events(user_id: str, session: Session) -> list[dict[str, Any]]:
    """The start and stop events of a workout session."""
    base = {"user_id": user_id, "workout_id": session.workout_id, "session_id": session.session_id}
    return [
        {**base, "action": "start", "ts": iso(session.start)},
        {**base, "action": "stop", "ts": iso(session.stop)},
    ]


def gym_events(mac_address: str, session: Session) -> list[dict[str, Any]]:
    """The door events of the gym visit around a session: login, then login with logout."""
    visit = session.visit
    if visit is None:
        return []
    base = {"mac_address": mac_address, "gym_id": visit.gym_id, "login": iso(visit.login)}
    return [{**base, "logout": None}, {**base, "logout": iso(visit.logout)}]


def line(record: dict[str, Any]) -> bytes:
    """One NDJSON line."""
    return orjson.dumps(record) + b"\n"
