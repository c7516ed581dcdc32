"""Pydantic models of the Wearhouse streams (DESIGN.md section 3), used to validate at the edges."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from wearhouse.contracts.activity import GymVisits, Workouts
from wearhouse.contracts.profiles import Devices, Users
from wearhouse.contracts.readings import SHAPES, HeartRate, Steps
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


def _branch_errors(stream: str, items: list[Any]) -> tuple[list[Any], str]:
    """For a reading-or-bucket stream, the errors of the shape the record meant, and a hint."""
    single, bucket = SHAPES[stream]
    branches: dict[str, list[Any]] = {}
    for item in items:
        loc = tuple(item["loc"])
        branches.setdefault(str(loc[0]) if loc else "", []).append({**item, "loc": loc[1:]})
    if len(branches) != 2:
        return items, ""
    reading_errors, bucket_errors = branches.values()
    bucket_missing = {e["loc"][0] for e in bucket_errors if e["type"] == "missing" and e["loc"]}
    chosen = reading_errors if set(bucket) <= bucket_missing else bucket_errors
    hint = f" (a reading needs {' + '.join(single)}; a bucket needs {', '.join(bucket)})"
    only_missing = all(e["type"] == "missing" for e in chosen)
    return chosen, hint if only_missing else ""


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """A pydantic error location as a field path: ("metrics", 17, "bpm") -> "metrics[17].bpm"."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def relevant_errors(error: ValidationError, stream: str | None = None) -> tuple[list[Any], str]:
    """The errors worth reporting (for two-shape streams, those of the shape meant) and a hint."""
    items: list[Any] = list(error.errors())
    if stream in SHAPES:
        return _branch_errors(stream, items)
    return items, ""


def describe(error: ValidationError, limit: int = 3, stream: str | None = None) -> str:
    """Turn a pydantic error into one line naming each bad field and what was wrong."""
    items, hint = relevant_errors(error, stream)
    parts = []
    for item in items[:limit]:
        field = field_path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        got = item.get("input")
        shown = (
            ""
            if item["type"] in ("missing", "value_error") or isinstance(got, (dict, list))
            else f" (got {got!r})"
        )
        parts.append(f"{field}: {message}{shown}" if field else f"{message}{shown}")
    more = len(items) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts) + hint


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
