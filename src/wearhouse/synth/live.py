"""A live feed from a synthetic fleet: its profiles, then its readings in time order, re-dated to now.

The same generator as `write_fleet` (one day of the fleet), replayed for device simulators.
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from wearhouse.synth.config import FleetConfig
from wearhouse.synth.writer import write_fleet

Record = tuple[str, dict[str, Any]]


def profiles(workdir: Path) -> Iterator[Record]:
    """The users and devices of the fleet, to register before any reading."""
    for line in (workdir / "users.jsonl").read_bytes().splitlines():
        yield "users", orjson.loads(line)
    for device in orjson.loads((workdir / "devices.json").read_bytes()):
        yield "devices", device


def _epoch(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _readings(path: Path, stream: str) -> Iterator[tuple[float, str, dict[str, Any]]]:
    for line in path.read_bytes().splitlines():
        record = orjson.loads(line)
        metrics = record.get("metrics")
        if metrics is None:
            yield _epoch(record["ts"]), stream, record
            continue
        for metric in metrics:
            yield _epoch(metric["ts"]), stream, {"device_id": record["device_id"], **metric}


def readings(workdir: Path) -> Iterator[tuple[float, str, dict[str, Any]]]:
    """Every heart-rate and step reading of the fleet as single readings, oldest first."""
    streams = [
        sorted(_readings(workdir / f"{name}.jsonl", name), key=lambda r: r[0])
        for name in ("heart_rate", "steps")
    ]
    yield from heapq.merge(*streams, key=lambda r: r[0])


def generate(devices: int, seed: int, hr_interval_s: int = 5, workdir: Path | None = None) -> Path:
    """Write one day of a fleet of `devices` people (today, UTC) and return its folder."""
    folder = workdir or Path(tempfile.mkdtemp(prefix="wearhouse-live-"))
    config = FleetConfig(
        users=devices, days=1, seed=seed, start=date.today(), hr_interval_s=hr_interval_s
    )
    write_fleet(config, folder)
    return folder


def redated(reading: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """The reading stamped with the current time (ISO 8601, UTC)."""
    now = at or datetime.now(UTC)
    return {**reading, "ts": now.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
