"""The live hub: committed records in, frames out to every WebSocket subscriber, alerts on the way.

Ingestion only hands over references: `committed` (a GroupCommitter listener) appends the
committed payloads to an inbox and returns; decoding, bucket expansion, alert rules and fan-out
run in the hub's own task. With nobody subscribed and no Redis configured, `committed` returns
at once and nothing is kept.

Each subscriber has a bounded queue: when a client reads more slowly than frames arrive, its
oldest frames are dropped and it is told how many with a `lag` frame; the hub never waits for a
client, so a slow client cannot slow ingestion or other clients.

With `WEARHOUSE_SERVE__REDIS_URL`, committed batches go to Redis instead (redis_bus.py) and every
process builds its frames from the channel, so a reading committed by one API process or broker
consumer reaches the clients of all of them. Without it, the feed is the process's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import Counter, Gauge

from wearhouse.live.alerts import HeartRateAlert, HeartRateWatch, Silence, SilenceWatch
from wearhouse.live.directory import Directory, gold_versions, load_directory
from wearhouse.live.frames import (
    LIVE_STREAMS,
    Frame,
    Reading,
    alert_frame,
    reading_frame,
    readings,
    registrations,
    utc_text,
)
from wearhouse.live.redis_bus import RENEW_S, RedisBus
from wearhouse.settings import Settings

log = logging.getLogger(__name__)

KINDS = ("reading", "alert")
DIRECTORY_REFRESH_S = 30.0
WATCHED = frozenset((*LIVE_STREAMS, "devices"))

SUBSCRIBERS = Gauge("wearhouse_live_subscribers", "WebSocket clients on the live feed")
DROPPED = Counter(
    "wearhouse_live_frames_dropped_total", "Frames dropped for clients that read too slowly"
)

Batch = tuple[str, float, list[str]]
"""(stream, commit time as Unix seconds, committed payloads)."""


@dataclass(frozen=True, slots=True)
class Filters:
    """What one subscriber asked for, narrowed by what its token may see."""

    user_id: str | None = None
    device_id: str | None = None
    kinds: frozenset[str] = frozenset(KINDS)
    streams: frozenset[str] = frozenset(LIVE_STREAMS)
    with_location: bool = True

    def match(self, frame: Frame) -> bool:
        """Whether the frame is for this subscriber."""
        if frame.kind not in self.kinds:
            return False
        if frame.stream is not None and frame.stream not in self.streams:
            return False
        if self.user_id is not None and frame.user_id != self.user_id:
            return False
        return self.device_id is None or frame.device_id == self.device_id

    def describe(self) -> dict[str, Any]:
        """The filters as the hello frame shows them."""
        return {
            "user_id": self.user_id,
            "device_id": self.device_id,
            "kinds": sorted(self.kinds),
            "streams": sorted(self.streams),
        }


class Subscriber:
    """One client's bounded queue of frames."""

    def __init__(self, filters: Filters, capacity: int) -> None:
        self.filters = filters
        self.capacity = capacity
        self.closed = False
        self._frames: deque[Frame] = deque()
        self._dropped = 0
        self._ready = asyncio.Event()

    def offer(self, frame: Frame) -> None:
        """Queue the frame if it matches; drop the oldest when the queue is full. Never waits."""
        if not self.filters.match(frame):
            return
        if len(self._frames) >= self.capacity:
            self._frames.popleft()
            self._dropped += 1
            DROPPED.inc()
        self._frames.append(frame)
        self._ready.set()

    async def take(self) -> tuple[int, list[Frame]] | None:
        """Wait for frames; returns how many were dropped since the last call and the queued
        frames, or None once the hub has closed."""
        while not self._frames and not self.closed:
            await self._ready.wait()
            self._ready.clear()
        if self.closed:
            return None
        frames, dropped = list(self._frames), self._dropped
        self._frames.clear()
        self._dropped = 0
        return dropped, frames

    def close(self) -> None:
        """End the subscription (the server is stopping)."""
        self.closed = True
        self._ready.set()


def heart_rate_alert(alert: HeartRateAlert, device_id: str, user_id: str | None) -> dict[str, Any]:
    """The alert frame of a sustained excursion."""
    bpm = int(alert.bpm) if float(alert.bpm).is_integer() else alert.bpm
    return {
        "type": "alert",
        "kind": alert.kind,
        "user_id": user_id,
        "device_id": device_id,
        "since": utc_text(alert.since),
        "ts": utc_text(alert.ts),
        "bpm": bpm,
        "limit": alert.limit,
        "message": alert.message(),
    }


def silence_alert(silence: Silence, after_s: float, now: float) -> dict[str, Any]:
    """The alert frame of a device that stopped sending; `limit` is the silence allowed, in s."""
    return {
        "type": "alert",
        "kind": "device_silent",
        "user_id": silence.user_id,
        "device_id": silence.device_id,
        "since": utc_text(datetime.fromtimestamp(silence.last_heard, UTC)),
        "ts": utc_text(datetime.fromtimestamp(now, UTC)),
        "bpm": None,
        "limit": after_s,
        "message": f"No readings from device {silence.device_id} for {silence.silent_s:.0f} s",
    }


class LiveHub:
    """The live feed of one process; `listen=False` only publishes (broker consumers, to Redis)."""

    def __init__(self, settings: Settings, *, listen: bool = True) -> None:
        self.settings = settings
        self.listen = listen
        self.capacity = settings.serve.live_queue_frames
        self.silent_after_s = settings.serve.live_silent_after_s
        self.directory = Directory()
        url = settings.serve.redis_url
        channel = settings.serve.live_channel
        self.bus = RedisBus(url, channel, self._received if listen else None) if url else None
        self._subscribers: set[Subscriber] = set()
        self._inbox: deque[Batch] = deque()
        self._alerts_out: deque[dict[str, Any]] = deque()
        self._wake = asyncio.Event()
        self._hr: dict[str, HeartRateWatch] = {}
        self._silence = SilenceWatch(self.silent_after_s)
        self._lease = False
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def backend(self) -> str:
        """`redis` or `in-process`."""
        return "in-process" if self.bus is None else "redis"

    @property
    def subscribers(self) -> int:
        """Clients connected to this process."""
        return len(self._subscribers)

    @property
    def alerting(self) -> bool:
        """Whether this process evaluates alerts now: the lease holder with Redis, otherwise
        whenever somebody listens."""
        return self._lease if self.bus is not None else bool(self._subscribers)

    async def start(self) -> None:
        """Connect to Redis when configured and start the hub's tasks."""
        if self.bus is not None:
            await self.bus.start()
        self._tasks.append(asyncio.create_task(self._drain(), name="wearhouse-live-drain"))
        if self.listen:
            await self._load_directory()
            self._tasks.append(asyncio.create_task(self._watch(), name="wearhouse-live-alerts"))
            self._tasks.append(
                asyncio.create_task(self._refresh_directory(), name="wearhouse-live-directory")
            )

    async def stop(self) -> None:
        """Publish what is waiting, end every subscription and stop."""
        if self._inbox or self._alerts_out:
            await self._flush()
        for subscriber in list(self._subscribers):
            subscriber.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.bus is not None:
            await self.bus.stop()

    def subscribe(self, filters: Filters) -> Subscriber:
        """A new subscriber receiving the frames that match `filters` from now on."""
        subscriber = Subscriber(filters, self.capacity)
        self._subscribers.add(subscriber)
        SUBSCRIBERS.inc()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Forget a subscriber (its client went away)."""
        if subscriber in self._subscribers:
            self._subscribers.discard(subscriber)
            SUBSCRIBERS.dec()

    def committed(self, stream: str, payloads: list[str]) -> None:
        """GroupCommitter listener: records of `stream` are durable in bronze. Never blocks."""
        if stream not in WATCHED or not payloads:
            return
        if self.bus is None and not self._subscribers and stream != "devices":
            return
        self._inbox.append((stream, time.time(), payloads))
        self._wake.set()

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._flush()

    async def _flush(self) -> None:
        batches = list(self._inbox)
        self._inbox.clear()
        alerts = list(self._alerts_out)
        self._alerts_out.clear()
        if self.bus is None:
            self._process(batches)
            return
        if batches:
            await self.bus.publish(orjson.dumps({"batches": batches}))
        if alerts:
            await self.bus.publish(orjson.dumps({"alerts": alerts}))

    def _received(self, message: bytes) -> None:
        """A message from the Redis channel: batches of any publisher, or alerts of the lease holder."""
        try:
            decoded = orjson.loads(message)
            batches = [(s, float(at), list(p)) for s, at, p in decoded.get("batches", ())]
            alerts = [a for a in decoded.get("alerts", ()) if isinstance(a, dict)]
        except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
            log.warning("live feed: ignored a malformed message on the Redis channel")
            return
        self._process(batches)
        for body in alerts:
            self._fan_out(alert_frame(body))

    def _process(self, batches: list[Batch]) -> None:
        alerting = self.alerting
        for stream, at, payloads in batches:
            if stream == "devices":
                for payload in payloads:
                    if (found := registrations(payload)) is not None:
                        self.directory.register(*found)
                continue
            if not self._subscribers and not alerting:
                continue
            ingested_at = utc_text(datetime.fromtimestamp(at, UTC))
            for payload in payloads:
                for reading in readings(stream, payload):
                    user = self.directory.user_of(reading.device_id)
                    if self._subscribers:
                        self._fan_out(reading_frame(reading, user, ingested_at))
                    if alerting:
                        self._observe(reading, user, at)

    def _observe(self, reading: Reading, user: str | None, at: float) -> None:
        self._silence.heard(reading.device_id, user, at)
        if reading.stream != "heart_rate":
            return
        watch = self._hr.get(reading.device_id)
        if watch is None:
            watch = self._hr[reading.device_id] = HeartRateWatch()
        found = watch.observe(
            reading.ts, reading.value, self.directory.range_of(user), reading.exercising
        )
        if found is not None:
            self._emit(heart_rate_alert(found, reading.device_id, user))

    def _emit(self, body: dict[str, Any]) -> None:
        log.info("live alert: %s", body["message"])
        if self.bus is None:
            self._fan_out(alert_frame(body))
        else:  # through the channel, so every process's clients get it
            self._alerts_out.append(body)
            self._wake.set()

    def _fan_out(self, frame: Frame) -> None:
        for subscriber in self._subscribers:
            subscriber.offer(frame)

    async def _watch(self) -> None:
        """Silent devices, and the alert lease when the feed is shared through Redis."""
        tick = max(0.1, min(1.0, self.silent_after_s / 4))
        renewed = 0.0
        while True:
            if self.bus is not None and time.monotonic() - renewed >= RENEW_S:
                self._lease = await self.bus.claim_alerts()
                renewed = time.monotonic()
            if self.alerting:
                now = time.time()
                for silence in self._silence.silent(now):
                    self._emit(silence_alert(silence, self.silent_after_s, now))
            else:  # nobody evaluated alerts meanwhile: start afresh next time
                self._silence.clear()
                self._hr.clear()
            await asyncio.sleep(tick)

    async def _refresh_directory(self) -> None:
        """Load who wears which device from gold, and reload it after each publish."""
        while True:
            await asyncio.sleep(DIRECTORY_REFRESH_S)
            await self._load_directory()

    async def _load_directory(self) -> None:
        try:
            versions = await asyncio.to_thread(gold_versions, self.settings)
            if versions != self.directory.versions:
                loaded = await asyncio.to_thread(load_directory, self.settings)
                self.directory = self.directory.replaced_by(loaded)
        except Exception:  # a bad table must not stop the feed; keep the last directory
            log.exception("live feed: could not read devices and users from gold")
