"""What gold should say, recomputed in plain Python from the stream files a fleet was written to.

Nothing here reads the lake: each rule of DESIGN.md is applied to the raw JSON again, so a test
that compares these figures with gold checks the dbt models, not the models against themselves.
Times are epoch seconds (UTC) throughout.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from statistics import fmean
from typing import Any

import orjson

from wearhouse.synth import FILES

DAY = 86_400
FUTURE_TOLERANCE_S = DAY
WORKOUT_MAX_S = 3 * 3_600
AGE_BOUNDS = [(18, "under 18"), (25, "18-25"), (35, "25-35"), (45, "35-45"), (55, "45-55")]
AGE_BOUNDS += [(65, "55-65"), (75, "65-75"), (85, "75-85"), (95, "85-95")]


def epoch(value: str | float) -> float:
    """Epoch seconds of ISO 8601 text (no offset means UTC) or of an epoch number."""
    if isinstance(value, (int, float)):
        return float(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def utc_day(ts: float) -> date:
    """The UTC calendar day of a moment."""
    return datetime.fromtimestamp(ts, UTC).date()


def age_group(dob: date, day: date) -> str:
    """The DESIGN.md age group of someone born on `dob`, on `day`."""
    age = day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
    return next((name for bound, name in AGE_BOUNDS if age < bound), "95+")


@dataclass(frozen=True)
class Line:
    """One record of a stream file: where it was (1-based line, or array item) and what it said."""

    file: Path
    position: str
    record: dict[str, Any] | None  # None when the text is not a JSON object


def stream_of(path: Path) -> str | None:
    """The stream a file feeds by its name, e.g. heart_rate_extra.jsonl -> heart_rate."""
    for stream in sorted(FILES, key=len, reverse=True):
        rest = path.name.removeprefix(stream)
        if rest != path.name and not rest[:1].isalpha() and path.suffix in (".json", ".jsonl"):
            return stream
    return None


def read_stream(path: Path) -> list[Line]:
    """Every record of one stream file, JSON array or NDJSON."""
    raw = path.read_bytes()
    if raw.lstrip().startswith(b"["):
        return [Line(path, f"item {i}", item) for i, item in enumerate(orjson.loads(raw))]
    lines = []
    for number, text in enumerate(raw.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError:
            record = None
        lines.append(Line(path, f"line {number}", record if isinstance(record, dict) else None))
    return lines


@dataclass(frozen=True)
class Device:
    device_id: str
    user_id: str
    kind: str
    mac_address: str

    @property
    def priority(self) -> int:
        """A worn device (1) over a phone (2)."""
        return 2 if self.kind == "phone" else 1


@dataclass(frozen=True)
class Reading:
    device_id: str
    user_id: str
    ts: float
    value: float


@dataclass(frozen=True)
class Sleep:
    device_id: str
    user_id: str
    start: float
    end: float


@dataclass(frozen=True)
class Session:
    user_id: str
    workout_id: str
    session_id: str
    start: float
    stop: float


@dataclass
class Fleet:
    """The valid content of a fleet's files, by the validity rules of DESIGN.md section 4."""

    lines: dict[str, list[Line]]
    ingested_at: float
    devices: dict[str, Device] = field(init=False)
    dob: dict[str, date] = field(init=False)

    def __post_init__(self) -> None:
        records = [line.record for line in self.lines["devices"] if line.record]
        self.devices = {
            r["device_id"]: Device(r["device_id"], r["user_id"], r["kind"], r["mac_address"])
            for r in records
        }
        assert len(self.devices) == len(records), "a device registered twice: extend the model"
        self.dob = {}
        for line in self.lines["users"]:
            if line.record and line.record.get("dob"):
                self.dob.setdefault(line.record["user_id"], date.fromisoformat(line.record["dob"]))

    def _in_time(self, ts: float) -> bool:
        return ts <= self.ingested_at + FUTURE_TOLERANCE_S

    def _readings(self, stream: str, key: str, lo: float, hi: float) -> list[Reading]:
        """Valid readings, single and bucketed; a (device, ts) sent twice counts once."""
        seen: dict[tuple[str, float], Reading] = {}
        for line in self.lines[stream]:
            record = line.record
            if record is None or record.get("device_id") is None:
                continue
            metrics = record["metrics"] if record.get("metrics") is not None else [record]
            device = self.devices.get(record["device_id"])
            for metric in metrics:
                if device is None or metric.get("ts") is None or metric.get(key) is None:
                    continue
                ts, value = epoch(metric["ts"]), metric[key]
                if not lo <= value <= hi or not self._in_time(ts):
                    continue
                seen.setdefault(
                    (device.device_id, ts), Reading(device.device_id, device.user_id, ts, value)
                )
        return list(seen.values())

    def heart_rate(self) -> list[Reading]:
        """Valid heart-rate readings: bpm 20-250, known device, not in the future."""
        return self._readings("heart_rate", "bpm", 20, 250)

    def steps(self) -> list[Reading]:
        """Valid per-minute step counts: 0-1000, known device, not in the future."""
        return self._readings("steps", "steps", 0, 1000)

    def sleeps(self) -> list[Sleep]:
        """Valid sleeps: end after start, under 24 h, known device; first of a (device, start)."""
        seen: dict[tuple[str, float], Sleep] = {}
        for line in self.lines["sleeps"]:
            record = line.record
            device = self.devices.get((record or {}).get("device_id", ""))
            if record is None or device is None:
                continue
            for metric in record["metrics"]:
                start, end = epoch(metric["start_ts"]), epoch(metric["end_ts"])
                if start < end < start + DAY and self._in_time(end):
                    seen.setdefault(
                        (device.device_id, start),
                        Sleep(device.device_id, device.user_id, start, end),
                    )
        return list(seen.values())

    def sessions(self) -> list[Session]:
        """Completed workouts: a start whose next event of its session is a stop within 3 h."""
        events: dict[tuple[str, str, str], list[tuple[float, str]]] = defaultdict(list)
        for line in self.lines["workouts"]:
            r = line.record
            assert r is not None
            events[(r["user_id"], r["workout_id"], r["session_id"])].append(
                (epoch(r["ts"]), r["action"])
            )
        found = []
        for key, items in events.items():
            items = sorted(set(items))
            for (ts, action), (next_ts, next_action) in itertools.pairwise(items):
                if action == "start" and next_action == "stop" and next_ts - ts <= WORKOUT_MAX_S:
                    found.append(Session(*key, ts, next_ts))
        return found

    def age_group(self, user_id: str, day: date) -> str:
        """The user's age group on a day (dob never changes in a synthetic fleet)."""
        return age_group(self.dob[user_id], day)


def load_fleet(dirs: list[Path], ingested_at: float) -> Fleet:
    """The stream files of `dirs` in the order they were ingested (directory by directory, files
    by name), judged as if ingested at `ingested_at` (epoch seconds)."""
    lines: dict[str, list[Line]] = {stream: [] for stream in FILES}
    for directory in dirs:
        for path in sorted(directory.iterdir()):
            stream = stream_of(path)
            if stream is not None:
                lines[stream] += read_stream(path)
    return Fleet(lines, ingested_at)


def _best_device(devices: dict[str, Device], ids: set[str] | list[str]) -> str:
    return min(ids, key=lambda d: (devices[d].priority, d))


def steps_per_user_day(fleet: Fleet) -> dict[tuple[str, date], int]:
    """Per user and UTC day: the sum over minutes of the steps of that minute's best device."""
    per_minute: dict[tuple[str, float], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in fleet.steps():
        per_minute[(r.user_id, r.ts // 60 * 60)][r.device_id] += r.value
    totals: dict[tuple[str, date], int] = defaultdict(int)
    for (user, minute), by_device in per_minute.items():
        totals[(user, utc_day(minute))] += int(by_device[_best_device(fleet.devices, by_device)])
    return dict(totals)


@dataclass(frozen=True)
class WorkoutBpm:
    min_bpm: float | None
    avg_bpm: float | None
    max_bpm: float | None
    num_recordings: int


def workout_bpm(fleet: Fleet) -> dict[tuple[str, str, str, float], WorkoutBpm]:
    """Per session (user, workout, session, start): BPM of the user's readings in (start, stop]."""
    by_user: dict[str, list[Reading]] = defaultdict(list)
    for r in fleet.heart_rate():
        by_user[r.user_id].append(r)
    out = {}
    for s in fleet.sessions():
        bpm = [r.value for r in by_user[s.user_id] if s.start < r.ts <= s.stop]
        key = (s.user_id, s.workout_id, s.session_id, s.start)
        if bpm:
            out[key] = WorkoutBpm(min(bpm), fmean(bpm), max(bpm), len(bpm))
        else:
            out[key] = WorkoutBpm(None, None, None, 0)
    return out


def gym_activity(fleet: Fleet) -> dict[tuple[Any, ...], tuple[float, float]]:
    """Per (date, gym, mac, user, workout, session): (minutes in gym, minutes exercising)."""
    logouts: dict[tuple[str, str, float], float | None] = {}
    for line in fleet.lines["gym_visits"]:
        r = line.record
        assert r is not None
        key = (r["mac_address"].strip().lower(), r["gym_id"], epoch(r["login"]))
        logouts.setdefault(key, None)
        if r.get("logout") is not None:
            # The latest logout wins, whatever order the door events arrive in.
            logouts[key] = max(epoch(r["logout"]), logouts[key] or float("-inf"))
    owner = {d.mac_address.strip().lower(): d.user_id for d in fleet.devices.values()}
    sessions = fleet.sessions()
    out = {}
    for (mac, gym, login), logout in logouts.items():
        if logout is None or mac not in owner:
            continue
        for s in sessions:
            if s.user_id == owner[mac] and login <= s.start <= logout:
                key = (utc_day(login), gym, mac, s.user_id, s.workout_id, s.session_id)
                out[key] = ((logout - login) / 60, (s.stop - s.start) / 60)
    return out


def counted_sleeps(fleet: Fleet) -> list[Sleep]:
    """Per user and wake-up day, the sleeps of the best device."""
    by_day: dict[tuple[str, date], list[Sleep]] = defaultdict(list)
    for s in fleet.sleeps():
        by_day[(s.user_id, utc_day(s.end))].append(s)
    out = []
    for sleeps in by_day.values():
        best = _best_device(fleet.devices, {s.device_id for s in sleeps})
        out += [s for s in sleeps if s.device_id == best]
    return out


def prioritized_heart_rate(fleet: Fleet) -> list[Reading]:
    """Readings of the best-priority devices among those measuring each user-minute."""
    per_minute: dict[tuple[str, float], list[Reading]] = defaultdict(list)
    for r in fleet.heart_rate():
        per_minute[(r.user_id, r.ts // 60 * 60)].append(r)
    kept = []
    for readings in per_minute.values():
        best = min(fleet.devices[r.device_id].priority for r in readings)
        kept += [r for r in readings if fleet.devices[r.device_id].priority == best]
    return kept


def user_days(fleet: Fleet) -> set[tuple[str, date]]:
    """The (user, day) pairs that have any heart rate, steps or counted sleep: user_daily's rows."""
    days = {(r.user_id, utc_day(r.ts)) for r in fleet.heart_rate()}
    days |= {(r.user_id, utc_day(r.ts)) for r in fleet.steps()}
    return days | {(s.user_id, utc_day(s.end)) for s in counted_sleeps(fleet)}


@dataclass(frozen=True)
class AgeGroupMonth:
    users: int
    avg_sleep_bpm: float | None
    avg_step_count: float


def age_group_monthly(fleet: Fleet) -> dict[tuple[date, str], AgeGroupMonth]:
    """Per (month, age group): users, mean sleeping BPM, and steps per user."""
    sleeps_by_user: dict[str, list[Sleep]] = defaultdict(list)
    for s in counted_sleeps(fleet):
        sleeps_by_user[s.user_id].append(s)
    sleeping_bpm: dict[tuple[date, str], list[float]] = defaultdict(list)
    for r in prioritized_heart_rate(fleet):
        for s in sleeps_by_user[r.user_id]:
            if s.start <= r.ts < s.end:
                day = utc_day(s.end)
                sleeping_bpm[(day.replace(day=1), fleet.age_group(r.user_id, day))].append(r.value)
    users: dict[tuple[date, str], set[str]] = defaultdict(set)
    steps: dict[tuple[date, str], int] = defaultdict(int)
    totals = steps_per_user_day(fleet)
    for user, day in user_days(fleet):
        key = (day.replace(day=1), fleet.age_group(user, day))
        users[key].add(user)
        steps[key] += totals.get((user, day), 0)
    return {
        key: AgeGroupMonth(
            len(members),
            fmean(sleeping_bpm[key]) if sleeping_bpm.get(key) else None,
            steps[key] / len(members),
        )
        for key, members in users.items()
    }
