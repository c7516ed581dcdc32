"""Apple Health records mapped to the stream contracts (DESIGN.md section 3).

- Dates look like "2016-04-09 17:16:45 -0700": written as ISO 8601 with that offset, which
  Wearhouse honours.
- Each `sourceName` (a watch, a phone, an app) is a device `apple-<user>-<source slug>`; its kind
  comes from the record's `device` description (model:Watch / model:iPhone) or the source name.
- Heart rate (count/min): one reading per record, at its startDate.
- Step count: a record is a total over startDate..endDate. It becomes a steps bucket whose
  metrics spread the total over the minutes the interval touches, in proportion to the seconds
  spent in each, as whole steps (largest remainder) so the record's total is kept exactly. The
  first piece is stamped at startDate and the others at their minute's start, so two records of
  one device never share a timestamp unless they start at the same instant (a duplicate).
- Sleep analysis: per source, intervals (in bed, asleep, core, deep, REM, awake) less than an
  hour apart make one sleep; its duration is the time the intervals cover (overlaps once) and
  its levels list every interval.
- Workout: start and stop events; workout_id is the activity as a slug ("running"),
  session_id the workout's start time as written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from wearhouse.sources.values import number, slug

_DATE = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ?([+-]\d\d):?(\d\d)")
# "<<HKDevice: 0x...>, name:Apple Watch, model:Watch, hardware:Watch6,7, software:10.2>"
_DEVICE_FIELD = re.compile(r"(\w+):(.*?)(?=, \w+:|>$|$)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
SLEEP_GAP = timedelta(hours=1)
MAX_STEP_SPAN = timedelta(hours=24)
_MINUTE = timedelta(minutes=1)

SLEEP_LEVELS = {
    "InBed": "in_bed",
    "Asleep": "asleep",
    "AsleepUnspecified": "asleep",
    "AsleepCore": "core",
    "AsleepDeep": "deep",
    "AsleepREM": "rem",
    "Awake": "awake",
    # HKCategoryValueSleepAnalysis raw values, found in some older exports.
    "0": "in_bed",
    "1": "asleep",
    "2": "awake",
    "3": "core",
    "4": "deep",
    "5": "rem",
}
_GENDERS = {"HKBiologicalSexMale": "male", "HKBiologicalSexFemale": "female"}


def apple_ts(text: str | None) -> str | None:
    """An Apple date as ISO 8601 with its offset ("2016-04-09 17:16:45 -0700" -> "...T17:16:45-07:00")."""
    if not text:
        return None
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    day, clock, hours, minutes = match.groups()
    iso = f"{day}T{clock}{hours}:{minutes}"
    try:
        datetime.fromisoformat(iso)
    except ValueError:
        return None
    return iso


@dataclass(frozen=True, slots=True)
class Source:
    """A source of records (a watch, a phone, an app) as a Wearhouse device."""

    device_id: str
    model: str
    kind: str


def source(user_id: str, attributes: dict[str, str]) -> Source:
    """The device behind a record, from its sourceName and its `device` description."""
    name = attributes.get("sourceName") or "unknown source"
    described = dict(_DEVICE_FIELD.findall(attributes.get("device", "")))
    model_field = described.get("model", "").strip().lower()
    lowered = name.lower()
    if model_field == "watch" or "watch" in lowered:
        kind = "watch"
    elif model_field in ("iphone", "ipod") or "phone" in lowered or name == "Health":
        kind = "phone"  # "Health" is the iPhone's own app (step counts of early exports)
    else:
        kind = "app"
    model = described.get("name", "").strip() or name
    if described.get("hardware"):
        model = f"{model} ({described['hardware'].strip()})"
    return Source(f"apple-{slug(user_id)}-{slug(name)}", model, kind)


def heart_rate(device_id: str, attributes: dict[str, str]) -> dict[str, Any]:
    """A HKQuantityTypeIdentifierHeartRate record -> a heart_rate reading at its startDate."""
    start = attributes.get("startDate")
    return {
        "device_id": device_id,
        "ts": apple_ts(start) or start,
        "bpm": number(attributes.get("value")),
    }


def step_pieces(start: datetime, end: datetime, total: float) -> list[tuple[datetime, float]]:
    """A total over start..end spread over the minutes it touches, by seconds spent in each.

    Whole totals are split into whole steps by largest remainder (ties to the earlier minute),
    so the pieces always add up to the total; an instant (end <= start) keeps it whole.
    """
    if end <= start:
        return [(start, total)]
    bounds = [start]
    edge = start.replace(second=0, microsecond=0) + _MINUTE
    while edge < end:
        bounds.append(edge)
        edge += _MINUTE
    bounds.append(end)
    span = (end - start).total_seconds()
    shares = [total * (b - a).total_seconds() / span for a, b in pairwise(bounds)]
    if float(total).is_integer():
        whole = [math.floor(s) for s in shares]
        left = int(total) - sum(whole)
        by_remainder = sorted(range(len(shares)), key=lambda i: (whole[i] - shares[i], i))
        for i in by_remainder[:left]:
            whole[i] += 1
        return list(zip(bounds, whole, strict=False))
    return [(b, round(s, 3)) for b, s in zip(bounds, shares, strict=False)]


def steps(device_id: str, attributes: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    """A HKQuantityTypeIdentifierStepCount record -> a steps bucket, or why it cannot be one."""
    start_text, end_text = attributes.get("startDate"), attributes.get("endDate")
    start, end = apple_ts(start_text), apple_ts(end_text)
    total = number(attributes.get("value"))
    if start is None or end is None or not isinstance(total, (int, float)):
        # Bad values are passed on as sent: the contract or silver quarantines them.
        return {"device_id": device_id, "ts": start or start_text, "steps": total}, None
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    if last - first > MAX_STEP_SPAN:
        return None, f"the step count spans more than 24 hours ({start} to {end})"
    pieces = step_pieces(first, last, total)
    metrics = [{"ts": start, "steps": pieces[0][1]}]
    metrics += [{"ts": ts.isoformat(), "steps": n} for ts, n in pieces[1:]]
    return {"device_id": device_id, "created_at": start, "ended_at": end, "metrics": metrics}, None


@dataclass(frozen=True, slots=True)
class SleepInterval:
    """One sleep-analysis record: a stage of one source between two instants."""

    device_id: str
    start: datetime
    end: datetime
    start_text: str
    end_text: str
    level: str
    line: int


def sleep_level(value: str | None) -> str:
    """HKCategoryValueSleepAnalysisAsleepCore -> core; unknown values are kept as sent."""
    key = (value or "").removeprefix("HKCategoryValueSleepAnalysis")
    return SLEEP_LEVELS.get(key, key or "unknown")


def sleep_interval(
    device_id: str, attributes: dict[str, str], line: int
) -> SleepInterval | dict[str, Any]:
    """A sleep-analysis record as an interval, or (dates unreadable) a sleeps record as sent."""
    start_text, end_text = attributes.get("startDate"), attributes.get("endDate")
    start, end = apple_ts(start_text), apple_ts(end_text)
    level = sleep_level(attributes.get("value"))
    if start is None or end is None:
        metric = {"start_ts": start or start_text, "end_ts": end or end_text, "levels": level}
        return {"device_id": device_id, "metrics": [metric]}
    first, last = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return SleepInterval(device_id, first, last, start, end, level, line)


def sleep_sessions(intervals: list[SleepInterval]) -> list[list[SleepInterval]]:
    """Intervals of one device grouped into sleeps: a gap of more than an hour starts a new one."""
    sessions: list[list[SleepInterval]] = []
    end: datetime | None = None
    for interval in sorted(intervals, key=lambda i: (i.start, i.end, i.level)):
        if end is None or interval.start > end + SLEEP_GAP:
            sessions.append([])
            end = interval.end
        sessions[-1].append(interval)
        end = max(end, interval.end)
    return sessions


def sleep_record(session: list[SleepInterval]) -> dict[str, Any]:
    """One sleep (intervals in start order) -> a sleeps record; duration counts overlaps once."""
    covered = timedelta()
    reach: datetime | None = None
    for interval in session:
        if reach is None or interval.start >= reach:
            covered += interval.end - interval.start
            reach = interval.end
        elif interval.end > reach:
            covered += interval.end - reach
            reach = interval.end
    first = session[0]
    last = max(session, key=lambda i: i.end)
    levels = [
        {
            "dateTime": i.start_text,
            "level": i.level,
            "seconds": (i.end - i.start).total_seconds(),
        }
        for i in session
    ]
    metric = {
        "start_ts": first.start_text,
        "end_ts": last.end_text,
        "duration": covered.total_seconds() * 1000,
        "levels": {"data": levels},
    }
    return {
        "device_id": first.device_id,
        "created_at": first.start_text,
        "ended_at": last.end_text,
        "metrics": [metric],
    }


def workout_id(activity_type: str | None) -> str:
    """HKWorkoutActivityTypeTraditionalStrengthTraining -> traditional-strength-training."""
    name = (activity_type or "").removeprefix("HKWorkoutActivityType") or "other"
    return slug(_CAMEL.sub("-", name))


def workout(user_id: str, attributes: dict[str, str]) -> tuple[list[dict[str, Any]], str | None]:
    """A Workout element -> its start and stop events, and why the stop is missing if it is."""
    start_text, end_text = attributes.get("startDate"), attributes.get("endDate")
    start, end = apple_ts(start_text), apple_ts(end_text)
    base = {
        "user_id": user_id,
        "workout_id": workout_id(attributes.get("workoutActivityType")),
        "session_id": start or start_text,
    }
    events = [{**base, "action": "start", "ts": start or start_text}]
    if end is None:
        return (
            events,
            f"endDate {end_text!r} is not an Apple date such as 2016-04-09 17:16:45 -0700",
        )
    return [*events, {**base, "action": "stop", "ts": end}], None


def profile(user_id: str, attributes: dict[str, str], exported_at: str | None) -> dict[str, Any]:
    """The <Me> element (date of birth, biological sex) -> a users create, as of the export date."""
    record: dict[str, Any] = {"user_id": user_id, "op": "create", "updated_at": exported_at}
    dob = attributes.get("HKCharacteristicTypeIdentifierDateOfBirth")
    if dob:
        record["dob"] = dob
    sex = attributes.get("HKCharacteristicTypeIdentifierBiologicalSex", "")
    if sex in _GENDERS:
        record["gender"] = _GENDERS[sex]
    elif sex == "HKBiologicalSexOther":
        record["gender"] = "other"
    return record
