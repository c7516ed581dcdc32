"""Write a fleet to stream files, one person at a time, so memory stays flat at any size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

import numpy as np
import orjson

from wearhouse.synth import render
from wearhouse.synth.config import FleetConfig
from wearhouse.synth.faults import write_faults
from wearhouse.synth.people import SIGNALS, Device, Person, plan_people, rng_for
from wearhouse.synth.schedule import Day, Schedule, Session, plan_schedule
from wearhouse.synth.signals import (
    BPM_RANGE,
    BUCKET_MIN,
    DaySignals,
    Readings,
    day_signals,
    gym_location,
    session_readings,
    session_track,
    wearable_readings,
)

FILES: dict[str, str] = {
    "users": "users.jsonl",
    "devices": "devices.json",
    "heart_rate": "heart_rate.jsonl",
    "steps": "steps.jsonl",
    "sleeps": "sleeps.jsonl",
    "workouts": "workouts.json",
    "gym_visits": "gym_visits.json",
}
"""The file each stream is written to; `.json` files hold one JSON array."""

_BUFFER = 4 * 1024 * 1024


class FleetFiles:
    """The open stream files of one fleet and the counts of what went into them."""

    def __init__(self, out_dir: Path) -> None:
        self._handles: dict[str, BinaryIO] = {
            stream: (out_dir / name).open("wb", buffering=_BUFFER) for stream, name in FILES.items()
        }
        self.counts: dict[str, int] = {name: 0 for name in FILES.values()}
        self.counts.update(heart_rate_readings=0, steps_readings=0, bad_records=0)
        for stream, name in FILES.items():
            if name.endswith(".json"):
                self._handles[stream].write(b"[")

    def lines(self, stream: str, data: bytes | memoryview, records: int) -> None:
        """Append NDJSON text holding `records` lines."""
        self._handles[stream].write(data)
        self.counts[FILES[stream]] += records

    def record(self, stream: str, record: dict[str, Any]) -> None:
        """Append one record, as a line or as the next array element."""
        name = FILES[stream]
        if name.endswith(".json"):
            separator = b"\n" if self.counts[name] == 0 else b",\n"
            self._handles[stream].write(separator + orjson.dumps(record))
            self.counts[name] += 1
        else:
            self.lines(stream, render.line(record), 1)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for stream, handle in self._handles.items():
            if FILES[stream].endswith(".json"):
                handle.write(b"\n]\n")
            handle.close()


def write_fleet(
    cfg: FleetConfig, out_dir: Path, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Generate the fleet into `out_dir`; return records per file and readings per kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    people = plan_people(cfg)
    with FleetFiles(out_dir) as files:
        _write_profiles(people, files)
        for person in people:
            _write_person(cfg, person, files)
            if cfg.with_errors and person.index == 0:
                write_faults(cfg, person, files)  # early, so good lines follow the bad ones
            if progress is not None:
                progress(1)
    return files.counts


def _write_profiles(people: list[Person], files: FleetFiles) -> None:
    # The CDC log is in time order, as the app's change stream would deliver it.
    changes = [r for p in people for r in p.records()]
    for record in sorted(changes, key=lambda r: (r["updated_at"], r["user_id"])):
        files.record("users", record)
    for person in people:
        for device in (person.wearable, person.phone):
            if device is not None:
                files.record("devices", device.record())


def _write_person(cfg: FleetConfig, person: Person, files: FleetFiles) -> None:
    schedule = plan_schedule(cfg, person)
    for day in schedule.days:
        _write_day(cfg, person, schedule, day, files)
    for night in schedule.nights:
        # Only nights wholly inside the period: the first and last ones are cut off.
        if cfg.start_epoch <= night.start and night.end + night.logged_after < cfg.end_epoch:
            files.record("sleeps", render.sleep_record(person.wearable.device_id, night))
    for session in schedule.sessions():
        for event in render.workout_events(person.user_id, session):
            files.record("workouts", event)
        for event in render.gym_events(person.wearable.mac_address, session):
            files.record("gym_visits", event)


def _write_day(
    cfg: FleetConfig, person: Person, schedule: Schedule, day: Day, files: FleetFiles
) -> None:
    signals = day_signals(rng_for(cfg, person.index, SIGNALS, day.index), person, schedule, day)
    # Everything that depends on the reading interval draws from its own stream, so the
    # steps, sleeps and workouts of a fleet do not change with the interval.
    rng = rng_for(cfg, person.index, SIGNALS, day.index, cfg.hr_interval_s)
    wearable = person.wearable.device_id
    readings = wearable_readings(rng, signals, day, cfg.hr_interval_s)
    _heart_rate(files, *render.heart_rate_buckets(wearable, day.start, readings), readings)
    for session in day.sessions:
        _write_session(rng, cfg, person, session, files)
    if person.phone is not None:
        _write_spot_checks(rng, person, person.phone, day, signals.bpm, files)
    files.lines("steps", *render.steps_buckets(wearable, signals.minutes, signals.steps))
    files.counts["steps_readings"] += signals.minutes.size
    _write_phone_steps(person, signals, files)


def _write_session(
    rng: np.random.Generator, cfg: FleetConfig, person: Person, session: Session, files: FleetFiles
) -> None:
    readings = session_readings(rng, person, session, cfg.hr_interval_s)
    track = None
    # Only a phone has GPS: the wearable's workout readings get positions through it.
    if person.phone is not None and readings.ts.size:
        origin = person.home_at(session.start)
        if session.visit is not None:
            origin = gym_location(person, session.visit.gym_id, session.start)
        track = session_track(rng, origin, session.activity, readings.ts)
    text = render.single_readings(
        person.wearable.device_id, readings, session.activity.activity_id, track
    )
    _heart_rate(files, text, readings.ts.size, readings)


def _heart_rate(
    files: FleetFiles, text: bytes | memoryview, lines: int, readings: Readings
) -> None:
    files.lines("heart_rate", text, lines)
    files.counts["heart_rate_readings"] += readings.ts.size


def _write_spot_checks(
    rng: np.random.Generator,
    person: Person,
    phone: Device,
    day: Day,
    bpm: np.ndarray,
    files: FleetFiles,
) -> None:
    ts = np.array(day.spot_checks, dtype=np.int64)
    # A camera check reads the same heart as the wrist, a bit less precisely.
    values = np.rint(bpm[(ts - day.start) // 60] + rng.normal(0, 3, ts.size)).astype(np.int64)
    readings = Readings(ts, np.clip(values, *BPM_RANGE), rng.integers(1, 4, ts.size))
    home = np.array([person.home_at(int(t)) for t in ts]).reshape(-1, 2)
    track = (home[:, 0] + rng.normal(0, 0.005, ts.size), home[:, 1] + rng.normal(0, 0.005, ts.size))
    text = render.single_readings(phone.device_id, readings, None, track)
    _heart_rate(files, text, ts.size, readings)


def _write_phone_steps(person: Person, signals: DaySignals, files: FleetFiles) -> None:
    if person.phone is None:
        return
    files.lines("steps", *render.phone_steps_buckets(person.phone.device_id, signals))
    files.counts["steps_readings"] += int(signals.phone_buckets.sum()) * BUCKET_MIN
