"""The live hub without a server: what ingestion hands over, bounded queues, filters, alert order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from wearhouse.live.frames import Frame, alert_frame, reading_frame, readings
from wearhouse.live.hub import Filters, LiveHub, Subscriber
from wearhouse.settings import Settings

READING = '{"device_id": "d1", "ts": "2026-11-26T10:00:00Z", "bpm": 70}'


def hub(tmp_path: Path) -> LiveHub:
    return LiveHub(Settings(home=tmp_path))


def frame(device: str = "d1", user: str | None = "u1", stream: str = "heart_rate") -> Frame:
    key = "bpm" if stream == "heart_rate" else "steps"
    payload = f'{{"device_id": "{device}", "ts": "2026-11-26T10:00:00Z", "{key}": 70}}'
    [found] = readings(stream, payload)
    return reading_frame(found, user, "2026-11-26T10:00:01+00:00")


def test_with_nobody_listening_ingestion_hands_over_nothing(tmp_path: Path) -> None:
    live = hub(tmp_path)
    live.committed("heart_rate", [READING])
    live.committed("sleeps", ['{"device_id": "d1"}'])
    assert not live._inbox
    # device registrations are kept: they say who wears what for later readings
    live.committed("devices", ['{"device_id": "d1", "user_id": "u1"}'])
    assert len(live._inbox) == 1


def test_a_subscriber_gets_committed_readings_in_order(tmp_path: Path) -> None:
    async def run() -> list[dict[str, object]]:
        live = hub(tmp_path)
        await live.start()
        try:
            subscriber = live.subscribe(Filters())
            live.committed("devices", ['{"device_id": "d1", "user_id": "u1"}'])
            live.committed("heart_rate", [READING, READING.replace("70", "71")])
            taken = await asyncio.wait_for(subscriber.take(), 5)
            assert taken is not None
            dropped, frames = taken
            assert dropped == 0
            return [orjson.loads(f.text()) for f in frames]
        finally:
            await live.stop()

    got = asyncio.run(run())
    assert [(f["device_id"], f["user_id"], f["bpm"]) for f in got] == [
        ("d1", "u1", 70),
        ("d1", "u1", 71),
    ]


def test_a_full_queue_drops_the_oldest_and_counts_them() -> None:
    async def run() -> tuple[int, list[int]]:
        subscriber = Subscriber(Filters(), capacity=3)
        for n in range(5):
            reading = frame()
            reading.body["bpm"] = n
            subscriber.offer(reading)
        taken = await subscriber.take()
        assert taken is not None
        dropped, frames = taken
        return dropped, [f.body["bpm"] for f in frames]

    assert asyncio.run(run()) == (2, [2, 3, 4])


def test_filters() -> None:
    alert = alert_frame(
        {"type": "alert", "kind": "device_silent", "user_id": "u1", "device_id": "d1"}
    )
    assert Filters().match(frame()) and Filters().match(alert)
    assert not Filters(user_id="u2").match(frame())
    assert Filters(user_id="u1").match(frame())
    assert not Filters(user_id="u1").match(frame(user=None))
    assert not Filters(device_id="d2").match(frame())
    assert not Filters(kinds=frozenset({"alert"})).match(frame())
    assert Filters(kinds=frozenset({"alert"})).match(alert)
    assert not Filters(streams=frozenset({"steps"})).match(frame())
    assert Filters(streams=frozenset({"steps"})).match(frame(stream="steps"))
    assert Filters(streams=frozenset({"steps"})).match(alert)  # streams choose readings only


def test_closing_ends_a_waiting_subscriber() -> None:
    async def run() -> object:
        subscriber = Subscriber(Filters(), capacity=3)
        waiting = asyncio.create_task(subscriber.take())
        await asyncio.sleep(0)
        subscriber.close()
        return await asyncio.wait_for(waiting, 5)

    assert asyncio.run(run()) is None
