"""The people of a fleet: profiles with their CDC history, devices and personal habits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from wearhouse.synth.config import FleetConfig
from wearhouse.synth.reference import (
    AGE_GROUP_WEIGHTS,
    AGE_GROUPS,
    CITIES,
    FIRST_NAMES,
    GENDER_WEIGHTS,
    GENDERS,
    GYMS,
    LAST_NAMES,
    PHONES,
    WEARABLES,
    Activity,
    City,
    Model,
    activities,
)
from wearhouse.synth.timefmt import iso

DAY = 86_400

# Independent random streams per purpose, so e.g. changing the heart-rate interval leaves
# profiles, schedules and steps of every user unchanged.
PROFILE, HABITS, SCHEDULE, SIGNALS = 0, 1, 2, 3


def rng_for(cfg: FleetConfig, index: int, purpose: int, *more: int) -> np.random.Generator:
    """The random stream of one user (and purpose, and e.g. day): independent of run order."""
    return np.random.default_rng([cfg.seed, index, purpose, *more])


@dataclass(frozen=True)
class Device:
    """A registered device; `registered_at` in epoch seconds."""

    device_id: str
    user_id: str
    mac_address: str
    model: str
    kind: str
    registered_at: int

    def record(self) -> dict[str, Any]:
        """The `devices` stream record."""
        return {
            "device_id": self.device_id,
            "user_id": self.user_id,
            "mac_address": self.mac_address,
            "model": self.model,
            "kind": self.kind,
            "registered_at": iso(self.registered_at),
        }


@dataclass(frozen=True)
class Version:
    """One state of a profile, valid from `at` (epoch seconds)."""

    at: int
    op: str
    city: City
    weight_kg: float


@dataclass(frozen=True)
class Habits:
    """How one person lives: the knobs behind their sleep, workouts, steps and heart rate."""

    resting_bpm: float
    sleep_drop: float
    bedtime_min: float  # minutes after midnight UTC; negative is the evening before
    sleep_hours: float
    workout_rate: float  # mean sessions per day, 0 for people who never work out
    favourites: tuple[Activity, ...]
    slot_weights: tuple[float, float, float]  # morning, lunch, evening
    session_minutes: float
    fitness: float  # bpm above (or below) the typical workout heart rate
    gyms: tuple[str, ...]  # empty for people who never go to a gym
    step_target: float
    cadence: float
    phone_carry: float
    home: tuple[float, float]  # offset of home from the city centre, degrees


@dataclass(frozen=True)
class Person:
    """A user with profile history, devices and habits."""

    index: int
    user_id: str
    first_name: str
    last_name: str
    email: str
    gender: str
    dob: date
    age: float  # years at the start of the period
    height_cm: float
    versions: tuple[Version, ...]
    deleted_at: int | None
    wearable: Device
    phone: Device | None
    habits: Habits

    def city_at(self, epoch: int) -> City:
        """The city the person lives in at a moment."""
        current = self.versions[0].city
        for version in self.versions:
            if version.at <= epoch:
                current = version.city
        return current

    def home_at(self, epoch: int) -> tuple[float, float]:
        """Latitude and longitude of home at a moment."""
        city = self.city_at(epoch)
        return city.lat + self.habits.home[0], city.lon + self.habits.home[1]

    def records(self) -> list[dict[str, Any]]:
        """The person's `users` CDC records: create, updates, maybe a delete."""
        out = [self._profile(v) for v in self.versions]
        if self.deleted_at is not None:
            deleted = {"user_id": self.user_id, "op": "delete", "updated_at": iso(self.deleted_at)}
            out.append(deleted)
        return out

    def _profile(self, version: Version) -> dict[str, Any]:
        city = version.city
        return {
            "user_id": self.user_id,
            "op": version.op,
            "updated_at": iso(version.at),
            "dob": self.dob.isoformat(),
            "gender": self.gender,
            "height_cm": self.height_cm,
            "weight_kg": version.weight_kg,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "city": city.name,
            "state": city.state,
            "country": city.country,
            "timezone": city.timezone,
        }


def plan_people(cfg: FleetConfig) -> list[Person]:
    """Every person of the fleet, with fleet-wide ids (devices, e-mails) assigned in order."""
    people = [_draw_person(cfg, i) for i in range(cfg.users)]
    people = _unique_emails(people)
    people = _number_devices(cfg, people)
    return _ensure_a_delete(cfg, people)


def _draw_person(cfg: FleetConfig, index: int) -> Person:
    rng = rng_for(cfg, index, PROFILE)
    user_id = f"u{index + 1:04d}"
    gender = str(rng.choice(GENDERS, p=GENDER_WEIGHTS))
    age = _draw_age(cfg, index, rng)
    first = str(rng.choice(FIRST_NAMES[gender]))
    last = str(rng.choice(LAST_NAMES))
    height = _draw_height(rng, gender, age)
    created = cfg.start_epoch - int(rng.uniform(2, 6) * DAY)
    versions = _draw_versions(cfg, rng, created, _draw_weight(rng, height, age))
    deleted = None
    if rng.random() < 0.04:
        deleted = cfg.end_epoch - DAY + int(rng.uniform(0.5, 0.99) * DAY)
    wearable = _draw_device(rng, user_id, WEARABLES, created)
    phone = _draw_device(rng, user_id, PHONES, created) if rng.random() < 0.5 else None
    return Person(
        index=index,
        user_id=user_id,
        first_name=first,
        last_name=last,
        email=f"{first}.{last}@example.com".lower(),
        gender=gender,
        dob=cfg.start - timedelta(days=round(age * 365.25)),
        age=age,
        height_cm=height,
        versions=versions,
        deleted_at=deleted,
        wearable=wearable,
        phone=phone,
        habits=draw_habits(rng_for(cfg, index, HABITS), age),
    )


def _draw_age(cfg: FleetConfig, index: int, rng: np.random.Generator) -> float:
    # The first users cover every age group once, so any fleet of 10+ has all of them.
    if index < len(AGE_GROUPS):
        group = index
    else:
        group = int(rng.choice(len(AGE_GROUPS), p=AGE_GROUP_WEIGHTS))
    _, lo, hi = AGE_GROUPS[group]
    # Stay clear of the group's edges for the whole period, so no one changes group mid-way.
    top = max(lo + 0.05, hi - 0.03 - cfg.days / 365.25)
    return float(rng.uniform(lo + 0.03, top))


def _draw_height(rng: np.random.Generator, gender: str, age: float) -> float:
    mean = {"female": 163.0, "male": 176.0}.get(gender, 170.0)
    if age < 18:
        mean *= 0.86 + 0.14 * (age - 11) / 7
    elif age > 75:
        mean -= 3.0
    return round(float(np.clip(rng.normal(mean, 7.0), 130, 210)), 1)


def _draw_weight(rng: np.random.Generator, height_cm: float, age: float) -> float:
    bmi = rng.normal(20.0, 2.5) if age < 18 else rng.normal(25.5, 4.0)
    return round(float(np.clip(bmi, 16.5, 42.0)) * (height_cm / 100) ** 2, 1)


def _pick_city(rng: np.random.Generator, exclude: City | None = None) -> City:
    options = [c for c in CITIES if c != exclude]
    weights = np.array([c.weight for c in options])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))]


def _draw_versions(
    cfg: FleetConfig, rng: np.random.Generator, created: int, weight: float
) -> tuple[Version, ...]:
    versions = [Version(created, "create", _pick_city(rng), weight)]
    changes = 0 if rng.random() >= 0.3 else int(rng.integers(1, 3))
    # Updates fall inside the period but before the last day's deletes (if any).
    lo, hi = cfg.start_epoch + 3_600, max(cfg.start_epoch + 7_200, cfg.end_epoch - DAY // 2 - 1)
    for at in np.sort(rng.integers(lo, hi, size=changes)).tolist():
        last = versions[-1]
        if rng.random() < 0.35:
            versions.append(Version(at, "update", _pick_city(rng, last.city), last.weight_kg))
        else:
            change = float(rng.choice([-1, 1]) * rng.uniform(0.5, 3.5))
            versions.append(Version(at, "update", last.city, round(last.weight_kg + change, 1)))
    return tuple(versions)


def _draw_device(
    rng: np.random.Generator, user_id: str, models: tuple[Model, ...], created: int
) -> Device:
    model = models[int(rng.integers(len(models)))]
    # Paired in the app shortly after sign-up; id and MAC are numbered fleet-wide later.
    registered = created + int(rng.integers(60, 3 * 3_600))
    return Device("", user_id, model.oui, model.name, model.kind, registered)


def draw_habits(rng: np.random.Generator, age: float) -> Habits:
    """One person's habits, shaped by age."""
    never = rng.random() < (0.5 if age >= 85 else 0.25)
    goes_to_gym = not never and rng.random() < 0.55
    slots = rng.dirichlet([2.0, 1.0, 2.5])
    resting = rng.normal(63, 5) + (7 if age < 18 else 0) + 0.06 * (age - 40)
    gym_count = int(rng.integers(1, 3))
    gyms = tuple(rng.choice(GYMS, size=gym_count, replace=False).tolist()) if goes_to_gym else ()
    median_steps = 8_000 - 45 * max(0.0, age - 50)
    return Habits(
        resting_bpm=float(np.clip(resting, 55, 80)),
        sleep_drop=float(rng.uniform(5, 10)),
        bedtime_min=float(rng.uniform(-110, 20)),
        sleep_hours=float(rng.uniform(6.3, 8.4) - (0.4 if age > 65 else 0.0)),
        workout_rate=0.0 if never else float(rng.uniform(0.3, 1.2) * (0.6 if age > 70 else 1.0)),
        favourites=_pick_favourites(rng, age),
        slot_weights=(float(slots[0]), float(slots[1]), float(slots[2])),
        session_minutes=float(rng.uniform(30, 70)),
        fitness=float(rng.normal(0, 6) - 0.25 * max(0.0, age - 35)),
        gyms=gyms,
        step_target=float(np.clip(rng.lognormal(np.log(median_steps), 0.3), 3_000, 15_000)),
        cadence=float(rng.uniform(85, 115)),
        phone_carry=float(rng.uniform(0.5, 0.85)),
        home=(float(rng.normal(0, 0.03)), float(rng.normal(0, 0.04))),
    )


def _pick_favourites(rng: np.random.Generator, age: float) -> tuple[Activity, ...]:
    catalogue = activities()
    # Older people lean to low-intensity activities, younger ones to high-intensity ones.
    bias = {"low": 0.5 + age / 40, "moderate": 1.5, "high": max(0.1, 3.0 - age / 25)}
    weights = np.array([bias.get(a.intensity, 1.0) for a in catalogue])
    count = int(rng.integers(1, 4))
    picked = rng.choice(len(catalogue), size=count, replace=False, p=weights / weights.sum())
    return tuple(catalogue[i] for i in sorted(picked.tolist()))


def _unique_emails(people: list[Person]) -> list[Person]:
    seen: set[str] = set()
    out = []
    for person in people:
        email = person.email
        if email in seen:
            email = email.replace("@", f"{person.index + 1}@")
        seen.add(email)
        out.append(replace(person, email=email))
    return out


def _number_devices(cfg: FleetConfig, people: list[Person]) -> list[Person]:
    out, number = [], 0
    for person in people:
        number += 1
        wearable = _numbered(cfg, person.wearable, number)
        phone = None
        if person.phone is not None:
            number += 1
            phone = _numbered(cfg, person.phone, number)
        out.append(replace(person, wearable=wearable, phone=phone))
    return out


def _numbered(cfg: FleetConfig, device: Device, number: int) -> Device:
    # An odd multiplier modulo 2**24 is a bijection: the MAC suffixes never collide.
    suffix = ((number + cfg.seed * 7_919) * 0x9E3779B1) % (1 << 24)
    nic = ":".join(f"{(suffix >> shift) & 0xFF:02x}" for shift in (16, 8, 0))
    return replace(device, device_id=f"d{number:05d}", mac_address=f"{device.mac_address}:{nic}")


def _ensure_a_delete(cfg: FleetConfig, people: list[Person]) -> list[Person]:
    if cfg.users < 20 or any(p.deleted_at is not None for p in people):
        return people
    # Chosen by the seed, not by position, so a different seed deletes a different user.
    chosen = int(np.random.default_rng([cfg.seed, cfg.users]).integers(len(people)))
    deleted_at = cfg.end_epoch - DAY + DAY * 3 // 4
    people[chosen] = replace(people[chosen], deleted_at=deleted_at)
    return people
