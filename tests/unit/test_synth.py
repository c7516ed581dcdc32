"""The synthetic fleet generator: deterministic, valid against the contracts, realistic."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from wearhouse.contracts import STREAMS
from wearhouse.synth import FILES, FleetConfig, write_fleet

CFG = FleetConfig(users=12, days=3, seed=7, start=date(2026, 10, 1), hr_interval_s=60)
START = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
END = START + 3 * 86_400
AGE_GROUPS = ["under 18", "18-25", "25-35", "35-45", "45-55", "55-65", "65-75", "75-85"]
AGE_GROUPS += ["85-95", "95+"]

Fleet = dict[str, list[dict[str, Any]]]


def epoch(value: str | int) -> float:
    """Epoch seconds of an ISO Z text or an epoch number."""
    if isinstance(value, int):
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def load(out_dir: Path) -> Fleet:
    """Every record of a generated fleet, per stream."""
    fleet = {}
    for stream, name in FILES.items():
        raw = (out_dir / name).read_bytes()
        if name.endswith(".json"):
            fleet[stream] = orjson.loads(raw)
        else:
            fleet[stream] = [orjson.loads(line) for line in raw.splitlines()]
    return fleet


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out_dir = tmp_path_factory.mktemp("fleet")
    return out_dir, write_fleet(CFG, out_dir)


@pytest.fixture(scope="module")
def fleet(generated: tuple[Path, dict[str, int]]) -> Fleet:
    return load(generated[0])


def heart_rate(fleet: Fleet) -> dict[str, list[tuple[float, int, dict[str, Any]]]]:
    """Readings per device as (epoch, bpm, record or bucket the reading came in)."""
    readings = defaultdict(list)
    for record in fleet["heart_rate"]:
        if "metrics" in record:
            for metric in record["metrics"]:
                readings[record["device_id"]].append((epoch(metric["ts"]), metric["bpm"], record))
        else:
            readings[record["device_id"]].append((epoch(record["ts"]), record["bpm"], record))
    return readings


def sessions(fleet: Fleet) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """Workout events per (user, session), keyed by action."""
    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for event in fleet["workouts"]:
        key = (event["user_id"], event["session_id"])
        assert event["action"] not in out[key], f"two {event['action']} events for {key}"
        out[key][event["action"]] = event
    return out


def wearables(fleet: Fleet) -> dict[str, dict[str, Any]]:
    """The wearable device of each user."""
    return {d["user_id"]: d for d in fleet["devices"] if d["kind"] != "phone"}


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(
    generated: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    first, _ = generated
    write_fleet(CFG, tmp_path / "again")
    write_fleet(FleetConfig(users=12, days=3, seed=8, hr_interval_s=60), tmp_path / "other")
    for name in FILES.values():
        assert (first / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
        assert (first / name).read_bytes() != (tmp_path / "other" / name).read_bytes(), name


def test_counts_match_what_was_written(
    generated: tuple[Path, dict[str, int]], fleet: Fleet
) -> None:
    _, counts = generated
    for stream, name in FILES.items():
        assert counts[name] == len(fleet[stream]), name
    hr = sum(len(r["metrics"]) if "metrics" in r else 1 for r in fleet["heart_rate"])
    steps = sum(len(r["metrics"]) for r in fleet["steps"])
    assert counts["heart_rate_readings"] == hr
    assert counts["steps_readings"] == steps
    assert counts["bad_records"] == 0


def test_every_record_satisfies_its_stream_contract(fleet: Fleet) -> None:
    for stream, records in fleet.items():
        assert records, f"no {stream} records"
        for record in records:
            STREAMS[stream].model_validate(record)


def test_users_cover_every_age_group_and_carry_cdc(fleet: Fleet) -> None:
    creates = [u for u in fleet["users"] if u["op"] == "create"]
    assert sorted(u["user_id"] for u in creates) == [f"u{i:04d}" for i in range(1, 13)]
    groups = set()
    for user in creates:
        born = date.fromisoformat(user["dob"])
        age = 2026 - born.year - ((born.month, born.day) > (10, 1))
        bounds = [18, 25, 35, 45, 55, 65, 75, 85, 95]
        groups.add(AGE_GROUPS[sum(age >= b for b in bounds)])
        assert epoch(user["updated_at"]) < START
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*@example\.com", user["email"])
        assert 120 < user["height_cm"] < 215 and 25 < user["weight_kg"] < 200
        assert user["timezone"].count("/") == 1
    assert groups == set(AGE_GROUPS)
    for update in (u for u in fleet["users"] if u["op"] == "update"):
        assert None not in update.values() and len(update) == len(creates[0])
        assert START <= epoch(update["updated_at"]) < END


def test_a_fleet_of_twenty_deletes_someone_on_the_last_day(tmp_path: Path) -> None:
    cfg = FleetConfig(users=20, days=2, seed=3, hr_interval_s=3600)
    write_fleet(cfg, tmp_path)
    deletes = [u for u in load(tmp_path)["users"] if u["op"] == "delete"]
    assert deletes
    for delete in deletes:
        assert set(delete) == {"user_id", "op", "updated_at"}
        assert START + 86_400 <= epoch(delete["updated_at"]) < START + 2 * 86_400


def test_devices_are_known_wherever_they_are_used(fleet: Fleet) -> None:
    devices = {d["device_id"]: d for d in fleet["devices"]}
    macs = [d["mac_address"] for d in fleet["devices"]]
    assert len(set(macs)) == len(macs)
    assert all(re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac) for mac in macs)
    assert sorted(wearables(fleet)) == [f"u{i:04d}" for i in range(1, 13)]
    assert all(epoch(d["registered_at"]) < START for d in devices.values())
    for stream in ("heart_rate", "steps", "sleeps"):
        assert {r["device_id"] for r in fleet[stream]} <= set(devices), stream
    gym_macs = {v["mac_address"] for v in fleet["gym_visits"]}
    assert gym_macs <= {d["mac_address"] for d in wearables(fleet).values()}


def test_heart_rate_readings_are_plausible_and_not_duplicated(fleet: Fleet) -> None:
    for device, readings in heart_rate(fleet).items():
        times = [ts for ts, _, _ in readings]
        assert len(times) == len(set(times)), f"duplicate timestamps on {device}"
        assert all(35 <= bpm <= 200 for _, bpm, _ in readings)
        assert all(START <= ts < END for ts in times)
    for bucket in (r for r in fleet["heart_rate"] if "metrics" in r):
        assert epoch(bucket["ended_at"]) - epoch(bucket["created_at"]) == 4 * 3600
        assert all(
            epoch(bucket["created_at"]) <= m["ts"] < epoch(bucket["ended_at"])
            for m in bucket["metrics"]
        )


def test_each_workout_has_a_start_a_stop_and_its_readings_inside(fleet: Fleet) -> None:
    readings = heart_rate(fleet)
    found = sessions(fleet)
    assert found
    for (user, session), events in found.items():
        assert set(events) == {"start", "stop"}, (user, session)
        start, stop = epoch(events["start"]["ts"]), epoch(events["stop"]["ts"])
        assert 20 * 60 <= stop - start <= 90 * 60
        inside = [
            (ts, r)
            for ts, _, r in readings[wearables(fleet)[user]["device_id"]]
            if start < ts <= stop
        ]
        assert [ts for ts, _ in inside] == [
            start + 60 * k for k in range(1, int(stop - start) // 60 + 1)
        ]
        activity = {r.get("activity_id") for _, r in inside}
        assert activity == {events["start"]["workout_id"].removeprefix("w")}


def test_workout_readings_carry_gps_only_for_phone_owners(fleet: Fleet) -> None:
    owners = {d["user_id"] for d in fleet["devices"] if d["kind"] == "phone"}
    by_device = {d["device_id"]: d["user_id"] for d in fleet["devices"]}
    workout_readings = [r for r in fleet["heart_rate"] if "activity_id" in r]
    assert workout_readings
    for reading in workout_readings:
        assert ("lat" in reading) == (by_device[reading["device_id"]] in owners)


def test_phone_owners_get_spot_checks_every_day(fleet: Fleet) -> None:
    phones = {d["device_id"] for d in fleet["devices"] if d["kind"] == "phone"}
    assert phones
    per_day = Counter(
        (r["device_id"], int(epoch(r["ts"]) - START) // 86_400)
        for r in fleet["heart_rate"]
        if r["device_id"] in phones
    )
    assert len(per_day) == 3 * len(phones)
    assert all(2 <= n <= 4 for n in per_day.values())


def test_gym_visits_hold_a_workout_start(fleet: Fleet) -> None:
    visits: dict[tuple[str, str, str], list[Any]] = defaultdict(list)
    for door in fleet["gym_visits"]:
        visits[(door["mac_address"], door["gym_id"], door["login"])].append(door["logout"])
    assert visits
    owner = {d["mac_address"]: d["user_id"] for d in fleet["devices"]}
    starts = defaultdict(list)
    for (user, _), events in sessions(fleet).items():
        starts[user].append((epoch(events["start"]["ts"]), epoch(events["stop"]["ts"])))
    for (mac, gym, login), logouts in visits.items():
        assert logouts[0] is None and logouts[1] is not None and len(logouts) == 2
        assert re.fullmatch(r"g0[1-8]", gym)
        inside = [
            (start, stop)
            for start, stop in starts[owner[mac]]
            if epoch(login) < start and stop < epoch(logouts[1])
        ]
        assert len(inside) == 1
        (start, stop), out = inside[0], epoch(logouts[1])
        assert 3 * 60 <= start - epoch(login) <= 20 * 60 and 3 * 60 <= out - stop <= 20 * 60


def test_sleeps_are_whole_nights_and_bpm_drops_while_asleep(fleet: Fleet) -> None:
    readings = heart_rate(fleet)
    asleep: list[int] = []
    awake: list[int] = []
    for record in fleet["sleeps"]:
        (sleep,) = record["metrics"]
        start, end = epoch(sleep["start_ts"]), epoch(sleep["end_ts"])
        assert 5.5 * 3600 <= end - start <= 9 * 3600 < 86_400
        assert start >= START and end < END and epoch(record["created_at"]) == end
        assert sleep["duration"] == (end - start) * 1000
        assert sum(sleep["levels"].values()) * 60 == end - start
        for ts, bpm, source in readings[record["device_id"]]:
            if "metrics" in source:
                (asleep if start <= ts < end else awake).append(bpm)
    assert sum(asleep) / len(asleep) + 5 < sum(awake) / len(awake)


def test_steps_cover_every_minute_and_phones_count_fewer(fleet: Fleet) -> None:
    kinds = {d["device_id"]: d["kind"] for d in fleet["devices"]}
    minutes: dict[str, dict[float, int]] = defaultdict(dict)
    for bucket in fleet["steps"]:
        created = epoch(bucket["created_at"])
        assert epoch(bucket["ended_at"]) - created == 15 * 60
        assert [m["ts"] for m in bucket["metrics"]] == [created + 60 * k for k in range(15)]
        assert all(0 <= m["steps"] <= 250 for m in bucket["metrics"])
        minutes[bucket["device_id"]].update({m["ts"]: m["steps"] for m in bucket["metrics"]})
    user_of = {d["device_id"]: d["user_id"] for d in fleet["devices"]}
    worn = {user_of[d]: counts for d, counts in minutes.items() if kinds[d] != "phone"}
    for device, counts in minutes.items():
        if kinds[device] == "phone":
            assert all(n <= worn[user_of[device]][ts] for ts, n in counts.items())
        else:
            assert len(counts) == 3 * 1440
            assert 1_500 < sum(counts.values()) / 3 < 20_000


def test_progress_reports_every_user(tmp_path: Path) -> None:
    done: list[int] = []
    write_fleet(FleetConfig(users=3, days=1, hr_interval_s=600), tmp_path, progress=done.append)
    assert sum(done) == 3


def test_with_errors_adds_the_bad_records_and_only_those(tmp_path: Path) -> None:
    counts = write_fleet(
        FleetConfig(users=12, days=3, seed=7, hr_interval_s=60, with_errors=True), tmp_path
    )
    assert counts["bad_records"] == 8
    lines = (tmp_path / "heart_rate.jsonl").read_bytes().splitlines()
    not_json = [line for line in lines if not line.startswith(b"{")]
    assert len(not_json) == 1
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(not_json[0])
    records = [orjson.loads(line) for line in lines if line.startswith(b"{")]
    singles = [r for r in records if "metrics" not in r]
    assert sum("device_id" not in r for r in records) == 1
    assert {r["bpm"] for r in singles if r.get("device_id") == "d00001"} >= {0, 400}
    assert [r["device_id"] for r in singles if r.get("device_id") == "d99999"]
    assert [r for r in singles if "device_id" in r and epoch(r["ts"]) >= END + 6 * 86_400]
    steps = [orjson.loads(line) for line in (tmp_path / "steps.jsonl").read_bytes().splitlines()]
    assert [s for s in steps if s.get("steps") == -5]
    sleeps = [orjson.loads(line) for line in (tmp_path / "sleeps.jsonl").read_bytes().splitlines()]
    backwards = [s for s in sleeps if s["metrics"][0]["end_ts"] < s["metrics"][0]["start_ts"]]
    assert len(backwards) == 1
    # Everything else is the same fleet as without errors.
    assert (
        counts["heart_rate_readings"] == write_fleet(CFG, tmp_path / "clean")["heart_rate_readings"]
    )
