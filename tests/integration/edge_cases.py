"""Hand-made records, ingested after a synthetic fleet, for rules a plain fleet never meets.

They sit around one phone owner of the fleet (a second worn device, a phone reading in a
workout and in a sleeping minute, a reading sent twice, competing sleeps, odd workout event
sequences, gym visits left open, closed by a later batch or corrected) plus one new user who
turns 18 during the period. Every record is valid: none of them may reach the quarantine.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import reference

from wearhouse.synth import FleetConfig

SECOND_WORN = "d00000"  # sorts before every synthetic id: it wins ties between worn devices
UNOWNED_MAC = "02:00:00:00:00:99"  # gym door events of a device nobody registered
BIRTHDAY_USER, BIRTHDAY_DEVICE = "u9999", "d09999"
Records = dict[str, list[dict[str, Any]]]  # file name -> records


@dataclass(frozen=True)
class EdgeCases:
    """What was added, for the tests that count or look for it."""

    heart_rate_readings: int  # new (device, ts) pairs: a reading sent again is not one
    steps_readings: int
    sleeps: int
    sessions: int
    phone_workout: tuple[str, str, str, float]  # (user, workout, session, start) a phone read in
    corrected_visit: tuple[str, str, float]  # (mac, gym, login) whose logout was corrected
    corrected_logout: float  # the latest of the logouts sent
    birthday: date  # when BIRTHDAY_USER turns 18


@dataclass(frozen=True)
class _Owner:
    """The phone owner the records are built around, and what the fleet has for them."""

    watch: reference.Device
    phone: reference.Device
    session: reference.Session
    night: reference.Sleep
    other_night: reference.Sleep


def iso_z(ts: float) -> str:
    """ISO 8601 UTC text with a Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sleep(device: str, start: float, end: float) -> dict[str, Any]:
    metric = {"start_ts": iso_z(start), "end_ts": iso_z(end), "duration": (end - start) * 1000}
    return {
        "device_id": device,
        "created_at": iso_z(end),
        "ended_at": iso_z(end),
        "metrics": [metric],
    }


def _owner(fleet: reference.Fleet) -> _Owner:
    devices = sorted(fleet.devices.values(), key=lambda d: d.device_id)
    sessions = sorted(fleet.sessions(), key=lambda s: s.start)
    phone = next(
        d for d in devices if d.kind == "phone" and any(s.user_id == d.user_id for s in sessions)
    )
    watch = next(d for d in devices if d.user_id == phone.user_id and d.kind != "phone")
    session = next(s for s in sessions if s.user_id == phone.user_id)
    nights = sorted(
        (s for s in fleet.sleeps() if s.device_id == watch.device_id), key=lambda s: s.start
    )
    # The readings below share minutes with the watch: make sure it measured them.
    measured = {r.ts for r in fleet.heart_rate() if r.device_id == watch.device_id}
    assert {nights[0].start + 3_600, nights[0].start + 5_400, nights[0].start + 7_200} <= measured
    return _Owner(watch, phone, session, nights[0], nights[1])


def _around_the_owner(cfg: FleetConfig, o: _Owner) -> Records:
    ring = {
        "device_id": SECOND_WORN,
        "user_id": o.watch.user_id,
        "mac_address": "02:00:00:00:00:01",
    }
    ring |= {"model": "Test Ring", "kind": "ring", "registered_at": iso_z(cfg.start_epoch - 86_400)}
    local = datetime.fromtimestamp(o.session.start + 30, timezone(timedelta(hours=2)))
    noon = cfg.start_epoch + 86_400 + 12 * 3_600
    return {
        "devices_edge.jsonl": [ring],
        "heart_rate_edge.jsonl": [
            # A phone reading in a workout, stamped in local time: it counts for the workout.
            {"device_id": o.phone.device_id, "ts": local.isoformat(), "bpm": 245},
            # A phone reading in a sleeping minute the watch measured too: only the watch counts.
            {"device_id": o.phone.device_id, "ts": int(o.night.start) + 3_615, "bpm": 200},
            # The watch's reading sent again with another value and no offset: the first stays.
            {"device_id": o.watch.device_id, "ts": iso_z(o.night.start + 7_200)[:-1], "bpm": 240},
            # A second worn device in a sleeping minute: as good as the watch, both count.
            {"device_id": SECOND_WORN, "ts": iso_z(o.night.start + 5_420), "bpm": 30},
        ],
        # Minutes the watch counted too: the second worn device wins them (lower id).
        "steps_edge.jsonl": [
            {"device_id": SECOND_WORN, "ts": iso_z(noon + 60 * k), "steps": 777} for k in range(3)
        ],
        "sleeps_edge.jsonl": [
            # The second worn device's shorter night: it wins that wake-up day (lower id).
            _sleep(SECOND_WORN, o.other_night.start + 7_200, o.other_night.end),
            # The phone's longer night: the watch's wins that day.
            _sleep(o.phone.device_id, o.night.start - 3_600, o.night.end),
        ],
    }


def _workouts_and_visits(t: float, o: _Owner) -> Records:
    base = {"user_id": o.watch.user_id, "workout_id": "w5"}
    door = {"mac_address": o.watch.mac_address.upper()}  # MAC case is not meaningful

    def event(session_id: str, action: str, ts: float) -> dict[str, Any]:
        return {**base, "session_id": session_id, "action": action, "ts": iso_z(ts)}

    def visit(mac: str, gym: str, login: float, logout: float | None) -> dict[str, Any]:
        return {
            "mac_address": mac,
            "gym_id": gym,
            "login": iso_z(login),
            "logout": logout and iso_z(logout),
        }

    return {
        "workouts_edge.json": [
            event("x1", "start", t), event("x1", "stop", t + 4 * 3_600),  # too long
            event("x2", "start", t + 600),  # never stopped
            event("x3", "start", t + 1_200), event("x3", "start", t + 1_800),  # restarted
            event("x3", "stop", t + 3_600),
            event("x4", "start", t + 4_000), event("x4", "stop", t + 5_800),
        ],
        "gym_visits_edge_1.json": [
            visit(door["mac_address"], "g98", t + 1_500, None),  # closed by the next file
            visit(door["mac_address"], "g99", t + 3_900, None),  # never closed
            visit(UNOWNED_MAC, "g97", t, t + 7_200),
            visit(UNOWNED_MAC, "g97", t, t + 3_600),  # an earlier logout sent later: ignored
        ],
        "gym_visits_edge_2.json": [visit(door["mac_address"], "g98", t + 1_500, t + 3_700)],
    }  # fmt: skip


def _birthday_user(cfg: FleetConfig, birthday: date) -> Records:
    dob = birthday.replace(year=birthday.year - 18)
    profile = {
        "user_id": BIRTHDAY_USER,
        "op": "create",
        "updated_at": iso_z(cfg.start_epoch - 86_400),
    }
    profile |= {"dob": dob.isoformat(), "gender": "female", "city": "Oslo", "country": "Norway"}
    device = {"device_id": BIRTHDAY_DEVICE, "user_id": BIRTHDAY_USER, "kind": "band"}
    out: Records = defaultdict(list)
    out["users_edge.jsonl"].append(profile)
    out["devices_edge_birthday.json"].append(device | {"mac_address": "02:00:00:00:09:99"})
    for d in range(cfg.days):
        midnight = cfg.start_epoch + d * 86_400
        bucket = {"device_id": BIRTHDAY_DEVICE, "created_at": iso_z(midnight)}
        bucket["ended_at"] = iso_z(midnight + 8 * 3_600)
        bucket["metrics"] = [{"ts": midnight + 600 * k, "bpm": 50 + d + k % 7} for k in range(48)]
        out["heart_rate_edge_birthday.jsonl"].append(bucket)
        out["sleeps_edge_birthday.jsonl"].append(
            _sleep(BIRTHDAY_DEVICE, midnight + 3_600, midnight + 6 * 3_600)
        )
        for k in range(5):
            out["steps_edge_birthday.jsonl"].append(
                {
                    "device_id": BIRTHDAY_DEVICE,
                    "ts": int(midnight) + 43_200 + 60 * k,
                    "steps": 100 + d,
                }
            )
    return out


def write_edge_cases(cfg: FleetConfig, fleet_dir: Path, edge_dir: Path) -> EdgeCases:
    """Write the edge-case files into edge_dir, built around the fleet in fleet_dir."""
    owner = _owner(reference.load_fleet([fleet_dir], time.time()))
    night_of_day_3 = cfg.start_epoch + 2 * 86_400 + 2 * 3_600 + 17
    birthday = cfg.start + timedelta(days=2)
    if (birthday.month, birthday.day) == (2, 29):
        birthday += timedelta(days=1)
    files = {
        **_around_the_owner(cfg, owner),
        **_workouts_and_visits(night_of_day_3, owner),
        **_birthday_user(cfg, birthday),
    }
    edge_dir.mkdir()
    for name, records in files.items():
        if name.endswith(".json"):
            (edge_dir / name).write_text(json.dumps(records))
        else:
            (edge_dir / name).write_text("".join(json.dumps(r) + "\n" for r in records))
    s = owner.session
    return EdgeCases(
        heart_rate_readings=3 + 48 * cfg.days,
        steps_readings=3 + 5 * cfg.days,
        sleeps=2 + cfg.days,
        sessions=2,
        phone_workout=(s.user_id, s.workout_id, s.session_id, s.start),
        corrected_visit=(UNOWNED_MAC, "g97", night_of_day_3),
        corrected_logout=night_of_day_3 + 7_200,
        birthday=birthday,
    )
