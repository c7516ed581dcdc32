"""Pydantic models of the Wearhouse streams (DESIGN.md section 3), used to validate at the edges."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from wearhouse.contracts.activity import GymVisits, Workouts
from wearhouse.contracts.profiles import Devices, Users
from wearhouse.contracts.readings import HeartRate, Steps
from wearhouse.contracts.sleep import Sleeps

STREAMS: dict[str, type[BaseModel]] = {
    "users": Users,
    "devices": Devices,
    "heart_rate": HeartRate,
    "steps": Steps,
    "sleeps": Sleeps,
    "workouts": Workouts,
    "gym_visits": GymVisits,
}
"""Every stream Wearhouse accepts, with the model its records must satisfy."""


def describe(error: ValidationError, limit: int = 3) -> str:
    """Turn a pydantic error into one line naming each bad field and what was wrong."""
    parts = []
    for item in error.errors()[:limit]:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in item["loc"]).lstrip(
            "."
        )
        message = item["msg"].removeprefix("Value error, ")
        got = item.get("input")
        shown = (
            ""
            if item["type"] in ("missing", "value_error") or isinstance(got, (dict, list))
            else f" (got {got!r})"
        )
        parts.append(f"{field}: {message}{shown}" if field else f"{message}{shown}")
    more = len(error.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


__all__ = [
    "STREAMS",
    "Devices",
    "GymVisits",
    "HeartRate",
    "Sleeps",
    "Steps",
    "Users",
    "Workouts",
    "describe",
]
