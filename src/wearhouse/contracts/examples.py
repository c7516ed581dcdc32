"""One realistic example record per stream, for the API documentation and tests."""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {
    "users": {
        "user_id": "u0001", "op": "create", "updated_at": "2026-10-01T08:00:00Z",
        "dob": "1990-04-12", "gender": "female", "height_cm": 168, "weight_kg": 61.5,
        "email": "ada.lee@example.com", "first_name": "Ada", "last_name": "Lee",
        "city": "Oslo", "state": "Oslo", "country": "Norway", "timezone": "Europe/Oslo",
    },
    "devices": {
        "device_id": "d00001", "user_id": "u0001", "mac_address": "aa:bb:cc:00:00:01",
        "model": "Fitbit Versa 2", "kind": "watch", "registered_at": "2026-10-01T08:05:00Z",
    },
    "heart_rate": {
        "device_id": "d00001", "created_at": "2026-10-02T00:00:00Z", "ended_at": "2026-10-02T04:00:00Z",
        "metrics": [
            {"ts": 1791072000, "bpm": 58, "confidence": 3},
            {"ts": 1791072005, "bpm": 57, "confidence": 3},
        ],
    },
    "steps": {"device_id": "d00001", "ts": "2026-10-02T07:31:00Z", "steps": 96},
    "sleeps": {
        "device_id": "d00001", "created_at": "2026-10-02T06:40:00Z", "ended_at": "2026-10-02T06:41:00Z",
        "metrics": [
            {"start_ts": "2026-10-01T22:55:00Z", "end_ts": "2026-10-02T06:40:00Z", "duration": 27900000,
             "levels": {"deep": 80, "light": 250, "rem": 95, "wake": 40}},
        ],
    },
    "workouts": {
        "user_id": "u0001", "workout_id": "w9", "session_id": "s0001", "action": "start",
        "ts": "2026-10-02T17:30:00Z",
    },
    "gym_visits": {
        "mac_address": "aa:bb:cc:00:00:01", "gym_id": "g01", "login": "2026-10-02T17:20:00Z",
        "logout": "2026-10-02T18:45:00Z",
    },
}  # fmt: skip
