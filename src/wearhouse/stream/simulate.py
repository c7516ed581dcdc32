"""A synthetic fleet publishing to a broker as devices and gateways do (`simulate --broker`).

The fleet is `wearhouse.synth.live`: its profiles first, then its readings in time order, stamped
now. Every second, each device publishes one message per stream holding its readings of that
second (one record, or a JSON array when it has several).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from wearhouse.stream.backends import Publish, backend
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.synth import live

STREAMS = ("users", "devices", "heart_rate", "steps")
PROFILES_PER_MESSAGE = 100


@dataclass
class SimulationReport:
    """What a simulation published."""

    messages: int = 0
    readings: int = 0
    profiles: dict[str, int] = field(default_factory=dict)


def device_messages(batch: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, bytes]]:
    """One message per (stream, device): a single record, or a JSON array of several."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for stream, record in batch:
        grouped.setdefault((stream, str(record.get("device_id"))), []).append(record)
    return [
        (stream, orjson.dumps(records[0] if len(records) == 1 else records))
        for (stream, _), records in grouped.items()
    ]


async def _publish_grouped(publish: Publish, messages: list[tuple[str, bytes]]) -> None:
    by_stream: dict[str, list[bytes]] = {}
    for stream, body in messages:
        by_stream.setdefault(stream, []).append(body)
    await asyncio.gather(*(publish(stream, bodies) for stream, bodies in by_stream.items()))


async def _profiles(publish: Publish, folder: Any, report: SimulationReport) -> None:
    records: dict[str, list[dict[str, Any]]] = {}
    for stream, record in live.profiles(folder):
        records.setdefault(stream, []).append(record)
    for stream in ("users", "devices"):  # devices refer to users: register users first
        items = records.get(stream, [])
        bodies = [
            orjson.dumps(items[i : i + PROFILES_PER_MESSAGE])
            for i in range(0, len(items), PROFILES_PER_MESSAGE)
        ]
        await publish(stream, bodies)
        report.messages += len(bodies)
        report.profiles[stream] = len(items)


async def _readings(
    publish: Publish,
    readings: Iterator[tuple[float, str, dict[str, Any]]],
    rate: int,
    duration: float,
    report: SimulationReport,
    on_progress: Callable[[SimulationReport], None],
) -> None:
    started = time.monotonic()
    while not duration or time.monotonic() - started < duration:
        tick = time.monotonic()
        now = datetime.now(UTC)
        batch: list[tuple[str, dict[str, Any]]] = []
        for i in range(rate):
            try:
                _, stream, reading = next(readings)
            except StopIteration:
                break
            batch.append((stream, live.redated(reading, now + timedelta(seconds=i / rate))))
        if not batch:
            return
        messages = device_messages(batch)
        await _publish_grouped(publish, messages)
        report.messages += len(messages)
        report.readings += len(batch)
        on_progress(report)
        await asyncio.sleep(max(0.0, 1 - (time.monotonic() - tick)))


async def simulate(
    url: BrokerUrl,
    config: StreamSettings,
    *,
    devices: int,
    rate: int,
    duration: float,
    seed: int,
    on_progress: Callable[[SimulationReport], None] = lambda _: None,
) -> SimulationReport:
    """Publish a fleet's profiles, then its readings at `rate` per second for `duration` seconds."""
    folder = live.generate(devices, seed)
    report = SimulationReport()
    try:
        async with backend(url).publishing(url, config, STREAMS) as publish:
            await _profiles(publish, folder, report)
            await _readings(publish, live.readings(folder), rate, duration, report, on_progress)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return report
