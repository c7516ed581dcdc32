"""Committed payloads to live frames: buckets expanded into single readings, ids and times normalised.

A frame is JSON text sent as one WebSocket message. Each frame is encoded once, however many
clients receive it; analysts get a second encoding without `lat`/`lon`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

LIVE_STREAMS = ("heart_rate", "steps")
"""Reading streams shown on the feed."""
VALUE_KEY = {"heart_rate": "bpm", "steps": "steps"}
OPTIONAL_KEYS = ("confidence", "activity_id", "lat", "lon")
LOCATION_KEYS = ("lat", "lon")


def utc_text(moment: datetime) -> str:
    """ISO 8601 in UTC with an explicit offset, e.g. 2026-11-26T10:00:00+00:00."""
    return moment.astimezone(UTC).isoformat()


def parse_ts(value: Any) -> datetime | None:
    """A record's timestamp (ISO 8601, offset honoured, none = UTC; or epoch seconds), in UTC."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value.strip())
            if moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _id(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return None


@dataclass(slots=True)
class Reading:
    """One reading of a live stream, as the feed shows it."""

    stream: str
    device_id: str
    ts: datetime
    value: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def exercising(self) -> bool:
        """The reading names an activity (the device knows its wearer is exercising)."""
        return self.extra.get("activity_id") is not None


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def readings(stream: str, payload: str | bytes) -> Iterator[Reading]:
    """The readings of one committed record; a bucket gives one reading per usable metric."""
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return
    if not isinstance(record, dict):
        return
    device = _id(record.get("device_id"))
    if device is None:
        return
    key = VALUE_KEY[stream]
    metrics = record.get("metrics")
    items = metrics if isinstance(metrics, list) else [record]
    for item in items:
        if not isinstance(item, dict):
            continue  # quarantined in silver; the feed shows what it can read
        ts, value = parse_ts(item.get("ts")), _number(item.get(key))
        if ts is None or value is None:
            continue
        extra = {k: item[k] for k in OPTIONAL_KEYS if item.get(k) is not None}
        yield Reading(stream, device, ts, value, extra)


def registrations(payload: str | bytes) -> tuple[str, str] | None:
    """(device_id, user_id) of a committed `devices` record."""
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    device, user = _id(record.get("device_id")), _id(record.get("user_id"))
    return None if device is None or user is None else (device, user)


@dataclass(slots=True)
class Frame:
    """One message of the feed and what filters look at; encoded lazily, once per variant."""

    kind: str  # "reading" or "alert"
    stream: str | None
    user_id: str | None
    device_id: str | None
    body: dict[str, Any]
    _full: str | None = None
    _without_location: str | None = None

    def text(self, with_location: bool = True) -> str:
        """The JSON text; without `lat`/`lon` for readers who may not see locations."""
        if with_location or not any(k in self.body for k in LOCATION_KEYS):
            if self._full is None:
                self._full = orjson.dumps(self.body).decode()
            return self._full
        if self._without_location is None:
            kept = {k: v for k, v in self.body.items() if k not in LOCATION_KEYS}
            self._without_location = orjson.dumps(kept).decode()
        return self._without_location


def reading_frame(reading: Reading, user_id: str | None, ingested_at: str) -> Frame:
    """The `reading` frame of the live-feed contract."""
    value = reading.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    body: dict[str, Any] = {
        "type": "reading",
        "stream": reading.stream,
        "device_id": reading.device_id,
        "user_id": user_id,
        "ts": utc_text(reading.ts),
        VALUE_KEY[reading.stream]: value,
        "ingested_at": ingested_at,
        **reading.extra,
    }
    return Frame("reading", reading.stream, user_id, reading.device_id, body)


def alert_frame(body: dict[str, Any]) -> Frame:
    """An `alert` frame from its JSON object (built here or received from another process)."""
    return Frame("alert", None, body.get("user_id"), body.get("device_id"), body)
