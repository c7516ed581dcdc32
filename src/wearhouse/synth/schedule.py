"""A person's timeline over the period: nights, workout sessions, gym visits, off-wrist gaps."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from wearhouse.synth.config import FleetConfig
from wearhouse.synth.people import DAY, SCHEDULE, Person, rng_for
from wearhouse.synth.reference import Activity

MIN = 60


@dataclass(frozen=True)
class Sleep:
    """One night: asleep from `start` to `end` (epoch seconds, whole minutes)."""

    start: int
    end: int
    levels: dict[str, int]  # minutes per sleep stage, summing to the duration
    logged_after: int  # seconds between waking and the device writing the record


@dataclass(frozen=True)
class Visit:
    """A gym visit around a workout session."""

    gym_id: str
    login: int
    logout: int


@dataclass(frozen=True)
class Session:
    """One workout session; readings fall in (start, stop]."""

    session_id: str
    workout_id: str
    activity: Activity
    start: int
    stop: int
    visit: Visit | None


@dataclass(frozen=True)
class Day:
    """What happens on one day: when the person wakes and goes to bed, works out, is off-wrist."""

    index: int
    start: int
    wake: int
    bedtime: int
    sessions: tuple[Session, ...]
    gaps: tuple[tuple[int, int], ...]  # wearable off the wrist, [start, end)
    spot_checks: tuple[int, ...]  # moments of phone heart-rate checks


@dataclass(frozen=True)
class Schedule:
    """The whole period for one person: every night (-1 .. days-1) and every day."""

    nights: tuple[Sleep, ...]
    days: tuple[Day, ...]

    def sessions(self) -> list[Session]:
        """All workout sessions in time order."""
        return [s for day in self.days for s in day.sessions]


def workout_id(activity: Activity) -> str:
    """The workout id of an activity: one kind of workout per activity, e.g. running is w9."""
    return f"w{activity.activity_id}"


def plan_schedule(cfg: FleetConfig, person: Person) -> Schedule:
    """The person's nights and days, drawn from their own random stream."""
    rng = rng_for(cfg, person.index, SCHEDULE)
    # Night k starts on the evening of day k; night -1 is the one before the period.
    midnights = [cfg.start_epoch + (k + 1) * DAY for k in range(-1, cfg.days)]
    nights = tuple(_draw_night(rng, person, midnight) for midnight in midnights)
    counter = itertools.count(1)
    days = tuple(
        _draw_day(rng, person, d, cfg.start_epoch + d * DAY, nights, counter)
        for d in range(cfg.days)
    )
    return Schedule(nights, days)


def _draw_day(
    rng: np.random.Generator,
    person: Person,
    index: int,
    day_start: int,
    nights: tuple[Sleep, ...],
    counter: Iterator[int],
) -> Day:
    wake, bedtime = nights[index].end, nights[index + 1].start
    sessions = _draw_sessions(rng, person, day_start, wake, bedtime, counter)
    gaps = _draw_gaps(rng, wake, bedtime, sessions)
    spots: tuple[int, ...] = ()
    if person.phone is not None:
        spots = _draw_spot_checks(rng, wake, min(bedtime, day_start + DAY), sessions)
    return Day(index, day_start, wake, bedtime, sessions, gaps, spots)


def _draw_night(rng: np.random.Generator, person: Person, midnight: int) -> Sleep:
    habits = person.habits
    bed_min = np.clip(habits.bedtime_min + rng.normal(0, 20), -130, 40)
    hours = np.clip(rng.normal(habits.sleep_hours, 0.5), 5.5, 9.0)
    start = midnight + round(float(bed_min)) * MIN
    minutes = round(float(hours) * 60)
    wake = round(minutes * rng.uniform(0.04, 0.10))
    deep = round(minutes * rng.uniform(0.12, 0.22))
    rem = round(minutes * rng.uniform(0.18, 0.25))
    levels = {"deep": deep, "light": minutes - wake - deep - rem, "rem": rem, "wake": wake}
    return Sleep(start, start + minutes * MIN, levels, int(rng.integers(0, 2)) * MIN)


def _draw_sessions(
    rng: np.random.Generator,
    person: Person,
    day_start: int,
    wake: int,
    bedtime: int,
    counter: Iterator[int],
) -> tuple[Session, ...]:
    habits = person.habits
    count = min(2, int(rng.poisson(habits.workout_rate))) if habits.workout_rate else 0
    if count == 0:
        return ()
    # Two sessions are a morning and an evening one; a single one goes to a preferred slot.
    slots = [0, 2] if count == 2 else [int(rng.choice(3, p=habits.slot_weights))]
    sessions = []
    for slot in slots:
        session = _draw_session(rng, person, day_start, wake, bedtime, slot, counter)
        if session is not None:
            sessions.append(session)
    return tuple(sessions)


def _draw_session(
    rng: np.random.Generator,
    person: Person,
    day_start: int,
    wake: int,
    bedtime: int,
    slot: int,
    counter: Iterator[int],
) -> Session | None:
    habits = person.habits
    if slot == 0:
        start = max(wake + int(rng.uniform(20, 90) * MIN), day_start + int(5.5 * 3_600))
    else:
        lo, hi = ((11.5, 13.0), (16.5, 19.5))[slot - 1]
        start = day_start + int(rng.uniform(lo, hi) * 3_600)
    start += int(rng.integers(0, MIN))
    minutes = int(np.clip(rng.normal(habits.session_minutes, 12), 20, 90))
    # Finish at least 45 minutes before bed: a workout never overlaps sleep.
    stop = min(start + minutes * MIN, bedtime - 45 * MIN)
    activity = habits.favourites[int(rng.integers(len(habits.favourites)))]
    visit = _draw_visit(rng, person, start, stop)
    if stop - start < 20 * MIN:
        return None
    session_id = f"s{next(counter):04d}"
    return Session(session_id, workout_id(activity), activity, start, stop, visit)


def _draw_visit(rng: np.random.Generator, person: Person, start: int, stop: int) -> Visit | None:
    gyms = person.habits.gyms
    # Gym-goers do most, not all, of their sessions at the gym (runs outside, yoga at home).
    if not gyms or rng.random() >= 0.75:
        return None
    gym = gyms[int(rng.integers(len(gyms)))]
    login = start - int(rng.uniform(3, 20) * MIN)
    logout = stop + int(rng.uniform(3, 20) * MIN)
    return Visit(gym, login, logout)


def _draw_gaps(
    rng: np.random.Generator, wake: int, bedtime: int, sessions: tuple[Session, ...]
) -> tuple[tuple[int, int], ...]:
    # About half the days the wearable comes off for a while (shower, charging): ~1% of time.
    if rng.random() >= 0.5:
        return ()
    minutes = int(rng.integers(8, 46))
    first, last = (wake + 30 * MIN) // MIN, (bedtime - 60 * MIN) // MIN - minutes
    if last <= first:
        return ()
    start = int(rng.integers(first, last)) * MIN
    end = start + minutes * MIN
    if any(start < s.stop and s.start < end for s in sessions):
        return ()  # no gap during a workout: its readings are sent on their own
    return ((start, end),)


def _draw_spot_checks(
    rng: np.random.Generator, wake: int, bedtime: int, sessions: tuple[Session, ...]
) -> tuple[int, ...]:
    count = int(rng.integers(2, 5))
    candidates = rng.integers(wake + 10 * MIN, bedtime - 10 * MIN, size=3 * count)
    free = [
        int(t) for t in candidates if not any(s.start - 300 <= t <= s.stop + 300 for s in sessions)
    ]
    return tuple(sorted(free[:count]))
