"""Fitbit export records mapped to the stream contracts (DESIGN.md section 3).

Fitbit exports write local wall-clock times with no zone ("10/07/17 13:00:11",
"2019-11-01 00:48:00", "2019-11-02T07:19:30.000"): they are taken as given, with no offset, which
DESIGN.md reads as UTC. The wearer's zone is not in the export, so UTC days are the export's
local days.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import orjson

from wearhouse.sources.values import number, slug

_US = re.compile(r"(\d\d)/(\d\d)/(\d\d) (\d\d:\d\d:\d\d)")
_ISO = re.compile(r"(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?")

SCORE_FIELDS = (
    "overall_score",
    "composition_score",
    "revitalization_score",
    "duration_score",
    "deep_sleep_in_minutes",
    "resting_heart_rate",
    "restlessness",
)


def fitbit_ts(value: object) -> str | None:
    """A Fitbit time as ISO 8601 with no offset ("10/07/17 13:00:11" -> "2017-10-07T13:00:11").

    Accepts the three forms Fitbit mixes, even within one record: MM/DD/YY (US order, 20YY),
    "YYYY-MM-DD HH:MM:SS" and "YYYY-MM-DDTHH:MM:SS.fff". None when the text is none of them
    or not a real date.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if match := _US.fullmatch(text):
        month, day, year, clock = match.groups()
        iso = f"20{year}-{month}-{day}T{clock}"
    elif match := _ISO.fullmatch(text):
        day_part, clock, fraction = match.groups()
        iso = f"{day_part}T{clock}"
        if fraction and fraction.strip("0"):
            iso += f".{fraction}"
    else:
        return None
    try:
        datetime.fromisoformat(iso)
    except ValueError:
        return None
    return iso


def heart_rate(device_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """`{"dateTime", "value": {"bpm", "confidence"}}` -> a heart_rate single reading."""
    value = item.get("value")
    reading = value if isinstance(value, dict) else {"bpm": value}
    record: dict[str, Any] = {
        "device_id": device_id,
        "ts": fitbit_ts(item.get("dateTime")) or item.get("dateTime"),
        "bpm": number(reading.get("bpm")),
    }
    confidence = number(reading.get("confidence"))
    if confidence is not None:
        record["confidence"] = confidence
    return record


def steps(device_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """`{"dateTime", "value": "12"}` (per minute, the count as text) -> a steps single reading."""
    return {
        "device_id": device_id,
        "ts": fitbit_ts(item.get("dateTime")) or item.get("dateTime"),
        "steps": number(item.get("value")),
    }


def sleep(device_id: str, item: dict[str, Any], score: dict[str, Any] | None) -> dict[str, Any]:
    """A sleep log (classic or stages) -> a sleeps record holding that one sleep.

    `duration` is Fitbit's own (milliseconds in bed, start to end); `levels` is kept as Fitbit
    wrote it, and the sleep's score from sleep_score.csv, when there is one, rides along.
    Unreadable times are passed on as sent, so silver quarantines the sleep with its reason.
    """
    start, end = fitbit_ts(item.get("startTime")), fitbit_ts(item.get("endTime"))
    metric: dict[str, Any] = {
        "start_ts": start or item.get("startTime"),
        "end_ts": end or item.get("endTime"),
    }
    duration = number(item.get("duration"))
    if isinstance(duration, (int, float)):
        metric["duration"] = duration
    for key, name in (("logId", "log_id"), ("type", "type"), ("mainSleep", "main_sleep")):
        if item.get(key) is not None:
            metric[name] = str(item[key]) if key == "logId" else item[key]
    if isinstance(number(item.get("minutesAsleep")), (int, float)):
        metric["minutes_asleep"] = number(item["minutesAsleep"])
    metric["levels"] = item.get("levels")
    if score:
        metric["score"] = score
    record: dict[str, Any] = {"device_id": device_id}
    if start and end:
        record["created_at"], record["ended_at"] = start, end
    record["metrics"] = [metric]
    return record


def exercise(user_id: str, item: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """An exercise log -> its workout start and stop events, and why the stop is missing if it is.

    workout_id is the activity's name as a slug ("Walk" -> "walk"; its type id when unnamed),
    session_id the log id, start the log's startTime and stop startTime + duration (ms).
    """
    name = item.get("activityName")
    type_id = item.get("activityTypeId")
    workout_id = slug(name) if isinstance(name, str) and name.strip() else _text(type_id)
    start = fitbit_ts(item.get("startTime"))
    log_id = item.get("logId")
    session_id = _text(log_id) if log_id is not None else f"{workout_id}@{item.get('startTime')}"
    base = {"user_id": user_id, "workout_id": workout_id, "session_id": session_id}
    events = [{**base, "action": "start", "ts": start or item.get("startTime")}]
    duration = number(item.get("duration"))
    if start is None:
        return events, f"startTime {item.get('startTime')!r} is not a Fitbit date and time"
    if not isinstance(duration, (int, float)) or duration < 0:
        return events, f"duration {item.get('duration')!r} is not a number of milliseconds"
    stop = datetime.fromisoformat(start) + timedelta(milliseconds=duration)
    events.append({**base, "action": "stop", "ts": stop.isoformat()})
    return events, None


def _text(value: object) -> object:
    # Ids are strings in the contracts; an integer id is written as its decimal string.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def resting_day_problem(item: dict[str, Any]) -> str | None:
    """Why a resting-heart-rate day holds no measurement (value 0, date null), else None."""
    value = item.get("value")
    if not isinstance(value, dict):
        return f"value {value!r} is not Fitbit's {{date, value, error}} object"
    rate = number(value.get("value"))
    if not isinstance(rate, (int, float)) or rate <= 0:
        shown = orjson.dumps({"date": value.get("date"), "value": value.get("value")}).decode()
        return f"no resting heart rate was measured that day ({shown}): nothing to import"
    return None


def sleep_score(row: dict[str, str]) -> dict[str, Any]:
    """A sleep_score.csv row (either column order) -> the score fields that hold a value."""
    score = {name: number(row.get(name) or "") for name in SCORE_FIELDS}
    return {name: value for name, value in score.items() if value != ""}
