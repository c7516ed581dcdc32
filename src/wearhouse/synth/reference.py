"""Small reference tables the generator draws from: places, names, devices, activities."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_ACTIVITIES_CSV = Path(__file__).resolve().parent.parent / "transform" / "seeds" / "activities.csv"


@dataclass(frozen=True)
class City:
    """A place people live, with its IANA time zone and centre coordinates."""

    name: str
    state: str
    country: str
    timezone: str
    lat: float
    lon: float
    weight: float  # relative share of the fleet living there


CITIES: tuple[City, ...] = (
    City("New York", "NY", "United States", "America/New_York", 40.7128, -74.0060, 3.0),
    City("Chicago", "IL", "United States", "America/Chicago", 41.8781, -87.6298, 2.0),
    City("Austin", "TX", "United States", "America/Chicago", 30.2672, -97.7431, 1.5),
    City("Denver", "CO", "United States", "America/Denver", 39.7392, -104.9903, 1.0),
    City("San Francisco", "CA", "United States", "America/Los_Angeles", 37.7749, -122.4194, 2.0),
    City("Seattle", "WA", "United States", "America/Los_Angeles", 47.6062, -122.3321, 1.5),
    City("Toronto", "ON", "Canada", "America/Toronto", 43.6532, -79.3832, 1.5),
    City("Vancouver", "BC", "Canada", "America/Vancouver", 49.2827, -123.1207, 1.0),
    City("London", "England", "United Kingdom", "Europe/London", 51.5074, -0.1278, 2.0),
    City("Manchester", "England", "United Kingdom", "Europe/London", 53.4808, -2.2426, 1.0),
    City("Berlin", "Berlin", "Germany", "Europe/Berlin", 52.5200, 13.4050, 1.5),
    City("Munich", "Bavaria", "Germany", "Europe/Berlin", 48.1351, 11.5820, 1.0),
    City("Paris", "Île-de-France", "France", "Europe/Paris", 48.8566, 2.3522, 1.5),
    City("Madrid", "Community of Madrid", "Spain", "Europe/Madrid", 40.4168, -3.7038, 1.0),
    City("Sydney", "NSW", "Australia", "Australia/Sydney", -33.8688, 151.2093, 1.0),
    City("Tokyo", "Tokyo", "Japan", "Asia/Tokyo", 35.6762, 139.6503, 1.0),
)

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "female": (
        "Emma",
        "Olivia",
        "Sophia",
        "Mia",
        "Ava",
        "Isabella",
        "Charlotte",
        "Amelia",
        "Hannah",
        "Laura",
        "Maria",
        "Chloe",
        "Grace",
        "Yuki",
        "Lucia",
        "Anna",
        "Zoe",
        "Priya",
        "Fatima",
        "Elena",
    ),
    "male": (
        "Liam",
        "Noah",
        "Oliver",
        "James",
        "Lucas",
        "Mateo",
        "Ethan",
        "Daniel",
        "Henry",
        "Leo",
        "Jack",
        "Samuel",
        "David",
        "Hiroshi",
        "Pablo",
        "Felix",
        "Omar",
        "Arjun",
        "Thomas",
        "Max",
    ),
    "nonbinary": (
        "Alex",
        "Sam",
        "Jordan",
        "Taylor",
        "Robin",
        "Kai",
        "Charlie",
        "River",
    ),
}

LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Muller",
    "Schmidt",
    "Dubois",
    "Moreau",
    "Fernandez",
    "Tanaka",
    "Sato",
    "Nguyen",
    "Patel",
    "Kim",
    "Chen",
    "Singh",
    "Clarke",
    "Evans",
)

GENDERS: tuple[str, ...] = ("female", "male", "nonbinary")
GENDER_WEIGHTS: tuple[float, ...] = (0.49, 0.48, 0.03)

AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("under 18", 11, 18),
    ("18-25", 18, 25),
    ("25-35", 25, 35),
    ("35-45", 35, 45),
    ("45-55", 45, 55),
    ("55-65", 55, 65),
    ("65-75", 65, 75),
    ("75-85", 75, 85),
    ("85-95", 85, 95),
    ("95+", 95, 102),
)
"""DESIGN.md section 5 age groups as (label, first age, first age of the next group)."""

# Share of wearable owners by age group once every group has its first member.
AGE_GROUP_WEIGHTS: tuple[float, ...] = (0.05, 0.14, 0.24, 0.2, 0.15, 0.1, 0.07, 0.03, 0.015, 0.005)


@dataclass(frozen=True)
class Model:
    """A device model: what it is called, its kind and its maker's MAC prefix."""

    name: str
    kind: str
    oui: str


WEARABLES: tuple[Model, ...] = (
    Model("Fitbit Versa 2", "watch", "c8:ff:28"),
    Model("Fitbit Charge 6", "band", "c8:ff:29"),
    Model("Garmin Venu 3", "watch", "c4:ac:59"),
    Model("Garmin Forerunner 265", "watch", "c4:ac:5a"),
    Model("Apple Watch 9", "watch", "f0:99:b6"),
    Model("Oura Ring 4", "ring", "a0:38:f8"),
    Model("Whoop 4.0", "band", "e8:4f:25"),
    Model("Samsung Galaxy Watch 6", "watch", "5c:49:7d"),
)

PHONES: tuple[Model, ...] = (
    Model("Pixel 8", "phone", "3c:28:6d"),
    Model("iPhone 15", "phone", "f4:0f:24"),
)

GYMS: tuple[str, ...] = tuple(f"g{n:02d}" for n in range(1, 9))

INTENSITY_BPM: dict[str, float] = {"low": 95.0, "moderate": 125.0, "high": 155.0}
"""Typical heart rate while doing an activity of each intensity."""

# Steps per minute a wrist device counts during each activity (others: arm noise only).
CADENCE: dict[str, tuple[float, float]] = {
    "walking": (95.0, 125.0),
    "running": (140.0, 180.0),
    "hiit": (40.0, 110.0),
    "boxing": (20.0, 80.0),
    "elliptical": (60.0, 130.0),
}
IDLE_CADENCE: tuple[float, float] = (0.0, 12.0)


@dataclass(frozen=True)
class Activity:
    """One row of the activities reference data shipped with the dbt project."""

    activity_id: str
    name: str
    intensity: str


@cache
def activities() -> tuple[Activity, ...]:
    """The activities of `transform/seeds/activities.csv`, in file order."""
    with _ACTIVITIES_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(Activity(r["activity_id"], r["name"], r["intensity"]) for r in rows)
