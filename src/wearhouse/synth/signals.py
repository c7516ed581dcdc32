"""Minute-level and reading-level signals of one person's day: steps, heart rate, GPS tracks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wearhouse.synth.people import Person
from wearhouse.synth.reference import CADENCE, IDLE_CADENCE, INTENSITY_BPM, Activity
from wearhouse.synth.schedule import Day, Schedule, Session

MINUTES = 1_440
BUCKET_MIN = 15
BPM_RANGE = (35, 200)
STEPS_MAX = 250
# Metres per second of the track an activity leaves on the phone's GPS (0: indoors).
SPEED = {"walking": 1.3, "running": 2.8, "cycling": 5.5}


@dataclass(frozen=True)
class DaySignals:
    """Per-minute state of a day: asleep, steps counted by each device, baseline heart rate."""

    minutes: np.ndarray  # epoch second of each minute
    asleep: np.ndarray
    off_wrist: np.ndarray
    steps: np.ndarray  # wearable steps per minute
    phone_steps: np.ndarray  # phone steps per minute, 0 outside phone buckets
    phone_buckets: np.ndarray  # the 15-minute buckets the phone sends (waking hours)
    bpm: np.ndarray  # baseline heart rate per minute outside workouts


@dataclass(frozen=True)
class Readings:
    """Heart-rate readings: epoch seconds, bpm and confidence."""

    ts: np.ndarray
    bpm: np.ndarray
    confidence: np.ndarray


def workout_bpm(person: Person, activity: Activity) -> float:
    """The heart rate a person settles at during an activity."""
    target = INTENSITY_BPM.get(activity.intensity, 120.0) + person.habits.fitness
    ceiling = 0.92 * (208 - 0.7 * person.age)  # stays under the person's maximum heart rate
    return float(np.clip(target, person.habits.resting_bpm + 20, ceiling))


def day_signals(
    rng: np.random.Generator, person: Person, schedule: Schedule, day: Day
) -> DaySignals:
    """The minute-level signals of one day."""
    minutes = day.start + 60 * np.arange(MINUTES, dtype=np.int64)
    asleep, phase = _sleep_state(minutes, schedule, day)
    off = np.zeros(MINUTES, dtype=bool)
    for start, end in day.gaps:
        off |= (minutes >= start) & (minutes < end)
    workout_steps, in_workout = _workout_steps(rng, minutes, day.sessions)
    free = ~asleep & ~off & ~in_workout
    steps = np.where(in_workout, workout_steps, _daily_steps(rng, person, free, workout_steps))
    steps = np.clip(np.rint(steps), 0, STEPS_MAX).astype(np.int64)
    phone_steps, phone_buckets = _phone_steps(rng, person, steps, asleep)
    bpm = _baseline_bpm(rng, person, minutes, day, asleep, phase, steps)
    return DaySignals(minutes, asleep, off, steps, phone_steps, phone_buckets, bpm)


def _sleep_state(
    minutes: np.ndarray, schedule: Schedule, day: Day
) -> tuple[np.ndarray, np.ndarray]:
    asleep = np.zeros(MINUTES, dtype=bool)
    phase = np.zeros(MINUTES)
    # The night ending this morning and the one starting tonight (nights[k + 1] is night k).
    for night in schedule.nights[day.index : day.index + 2]:
        inside = (minutes >= night.start) & (minutes < night.end)
        asleep |= inside
        phase = np.where(inside, (minutes - night.start) / 60.0, phase)
    return asleep, phase


def _workout_steps(
    rng: np.random.Generator, minutes: np.ndarray, sessions: tuple[Session, ...]
) -> tuple[np.ndarray, np.ndarray]:
    steps = np.zeros(MINUTES)
    mask = np.zeros(MINUTES, dtype=bool)
    for session in sessions:
        inside = (minutes + 60 > session.start) & (minutes < session.stop)
        lo, hi = CADENCE.get(session.activity.name, IDLE_CADENCE)
        pace = rng.uniform(lo, hi)
        spread = 6.0 if hi > IDLE_CADENCE[1] else 3.0
        steps = np.where(inside, rng.normal(pace, spread, MINUTES), steps)
        mask |= inside
    return np.clip(steps, 0, STEPS_MAX), mask


def _daily_steps(
    rng: np.random.Generator, person: Person, free: np.ndarray, workout_steps: np.ndarray
) -> np.ndarray:
    """Steps outside workouts: puttering around plus walking bouts up to the day's target."""
    habits = person.habits
    putter = np.where(free & (rng.random(MINUTES) < 0.15), rng.integers(1, 25, MINUTES), 0)
    target = np.clip(habits.step_target * rng.lognormal(0.0, 0.2), 2_500, 15_000)
    budget = max(target - putter.sum() - workout_steps.sum(), 0.0)
    bout_minutes = 6.0
    candidates = np.flatnonzero(free)
    bouts = int(rng.poisson(budget / (bout_minutes * habits.cadence))) if candidates.size else 0
    starts = rng.choice(candidates, size=bouts) if bouts else np.zeros(0, dtype=np.int64)
    ends = np.minimum(starts + rng.geometric(1 / bout_minutes, size=bouts), MINUTES)
    walking = np.zeros(MINUTES + 1, dtype=np.int64)
    np.add.at(walking, starts, 1)
    np.add.at(walking, ends, -1)
    walking = (np.cumsum(walking[:MINUTES]) > 0) & free
    pace = rng.normal(habits.cadence, 7.0, MINUTES)
    return np.where(walking, pace, putter)


def _phone_steps(
    rng: np.random.Generator, person: Person, steps: np.ndarray, asleep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    buckets = MINUTES // BUCKET_MIN
    waking = np.logical_not(asleep.reshape(buckets, BUCKET_MIN).any(axis=1))
    # The phone is on the person only part of the time and misses some steps when it is.
    carried = rng.random(buckets) < person.habits.phone_carry
    share = np.where(carried & waking, rng.uniform(0.7, 0.95, buckets), 0.0)
    phone = np.floor(steps.reshape(buckets, BUCKET_MIN) * share[:, None]).astype(np.int64)
    return phone.ravel(), waking


def _baseline_bpm(
    rng: np.random.Generator,
    person: Person,
    minutes: np.ndarray,
    day: Day,
    asleep: np.ndarray,
    phase: np.ndarray,
    steps: np.ndarray,
) -> np.ndarray:
    habits = person.habits
    hour = (minutes - day.start) / 3_600.0
    moving = np.convolve(steps, np.ones(3) / 3, mode="same")
    awake = habits.resting_bpm + 6 + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + 0.22 * moving
    for session in day.sessions:
        # Heart rate takes a while to come down after a workout.
        lift = 0.35 * (workout_bpm(person, session.activity) - habits.resting_bpm)
        after = np.maximum(minutes - session.stop, 0) / 600.0
        awake = awake + np.where(minutes >= session.stop, lift * np.exp(-after), 0.0)
    # Sleep cycles of about 90 minutes: lower in deep sleep, higher in REM.
    sleeping = habits.resting_bpm - habits.sleep_drop + 2.5 * np.sin(2 * np.pi * phase / 90)
    wander = np.convolve(rng.normal(0, 1, MINUTES + 14), np.ones(15) / np.sqrt(15), "valid")
    return np.where(asleep, sleeping + 1.2 * wander, awake + 2.5 * wander)


def wearable_readings(
    rng: np.random.Generator, signals: DaySignals, day: Day, interval: int
) -> Readings:
    """The wearable's regular readings of a day, minus workouts and off-wrist moments."""
    offsets = np.arange(0, MINUTES * 60, interval, dtype=np.int64)
    keep = ~signals.off_wrist[offsets // 60]
    ts = day.start + offsets
    for session in day.sessions:
        keep &= ~((ts > session.start) & (ts <= session.stop))  # sent as workout readings
    offsets, ts = offsets[keep], ts[keep]
    centres = 60 * np.arange(MINUTES) + 30
    bpm = np.interp(offsets, centres, signals.bpm) + rng.normal(0, 1.5, ts.size)
    sure = signals.asleep[offsets // 60] * 0.2  # a still wrist reads more reliably
    return Readings(ts, _bpm_int(bpm), _confidence(rng.random(ts.size) + sure))


def session_readings(
    rng: np.random.Generator, person: Person, session: Session, interval: int
) -> Readings:
    """The wearable's readings during a workout, every `interval` seconds in (start, stop]."""
    count = (session.stop - session.start) // interval
    ts = session.start + interval * np.arange(1, count + 1, dtype=np.int64)
    elapsed = (ts - session.start).astype(float)
    rest, target = person.habits.resting_bpm, workout_bpm(person, session.activity)
    bpm = rest + 15 + (target - rest - 15) * (1 - np.exp(-elapsed / 180.0))
    bpm += 5 * elapsed / (session.stop - session.start)  # cardiac drift
    if session.activity.intensity == "high":
        bpm += 8 * np.sin(2 * np.pi * elapsed / 240.0)  # intervals
    knots = rng.normal(0, 3, (session.stop - session.start) // 60 + 2)
    bpm += np.interp(elapsed / 60.0, np.arange(knots.size), knots) + rng.normal(0, 1.5, count)
    shaky = 0.25 if session.activity.intensity == "high" else 0.1  # motion spoils readings
    return Readings(ts, _bpm_int(bpm), _confidence(rng.random(count) * (1 - shaky)))


def session_track(
    rng: np.random.Generator, origin: tuple[float, float], activity: Activity, ts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A GPS track (lat, lon) for a workout: a wandering path outdoors, jitter indoors."""
    speed = SPEED.get(activity.name, 0.0)
    step = speed * np.diff(ts, prepend=ts[:1] - (ts[1] - ts[0] if ts.size > 1 else 0))
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.25, ts.size))
    north = np.cumsum(step * np.cos(heading)) + rng.normal(0, 3, ts.size)
    east = np.cumsum(step * np.sin(heading)) + rng.normal(0, 3, ts.size)
    lat = origin[0] + north / 111_320
    lon = origin[1] + east / (111_320 * np.cos(np.radians(origin[0])))
    return lat, lon


def gym_location(person: Person, gym_id: str, epoch: int) -> tuple[float, float]:
    """Where a gym of the person's chain is, in the city they live in at the time."""
    city = person.city_at(epoch)
    number = int(gym_id.lstrip("g") or 0)
    return city.lat + ((number * 37) % 11 - 5) * 0.006, city.lon + ((number * 53) % 13 - 6) * 0.008


def _bpm_int(bpm: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(bpm), *BPM_RANGE).astype(np.int64)


def _confidence(u: np.ndarray) -> np.ndarray:
    # Mostly 3, sometimes 2, rarely 1 or 0; a higher `u` means a more reliable reading.
    return 3 - (u < 0.35).astype(np.int64) - (u < 0.06) - (u < 0.01)
