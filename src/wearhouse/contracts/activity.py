"""What people do: workout session events and gym door events."""

from __future__ import annotations

from typing import Literal

from wearhouse.contracts.base import Id, Record, Timestamp


class Workouts(Record):
    """`workouts`: the start or the stop of a workout session."""

    user_id: Id
    workout_id: Id
    session_id: Id
    action: Literal["start", "stop"]
    ts: Timestamp


class GymVisits(Record):
    """`gym_visits`: a login at a gym's door, with the logout once known."""

    mac_address: Id
    gym_id: Id
    login: Timestamp
    logout: Timestamp | None = None
