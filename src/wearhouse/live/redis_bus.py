"""The live feed over Redis pub/sub: every API process and broker consumer shares one channel.

Publishers put committed batches on the channel as they are (stream, commit time, raw payloads);
each API process reads the channel and builds its own frames. One process at a time holds the
alert lease (a Redis key with a time-to-live, renewed while the process lives) and is the only
one to evaluate alerts, publishing them on the same channel: alerts are computed once per feed,
over every reading of every publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

LEASE_MS = 15_000
RENEW_S = 5.0
RETRY_S = (0.5, 10.0)
LOG_EVERY_S = 30.0

# Take the lease when free, or extend it when this process holds it.
_CLAIM = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisBus:
    """Publish to and (optionally) listen on the live channel; Redis outages are logged and retried."""

    def __init__(
        self, url: str, channel: str, on_message: Callable[[bytes], None] | None = None
    ) -> None:
        self.url = url
        self.channel = channel
        self.lease_key = f"{channel}:alerts-lease"
        self.on_message = on_message
        self.identity = uuid.uuid4().hex
        self.subscribed = asyncio.Event()
        self._client: redis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._last_error_log = 0.0

    @property
    def safe_url(self) -> str:
        """The URL without a password, for logs."""
        head, at, tail = self.url.rpartition("@")
        return f"{head.split('://')[0]}://***@{tail}" if at else self.url

    async def start(self, wait_s: float = 5.0) -> None:
        """Connect; when listening, wait (at most `wait_s`) until the channel is subscribed."""
        self._client = redis.Redis.from_url(self.url)
        if self.on_message is None:
            return
        self._listener = asyncio.create_task(self._listen(), name="wearhouse-live-redis")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.subscribed.wait(), wait_s)
        if not self.subscribed.is_set():
            log.warning(
                "live feed: Redis at %s is not answering yet; retrying in the background",
                self.safe_url,
            )

    async def stop(self) -> None:
        """Give up the alert lease, stop listening, close the connection."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._client is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._client.eval(_RELEASE, 1, self.lease_key, self.identity)  # type: ignore[misc]
            await self._client.aclose()
            self._client = None

    async def publish(self, message: bytes) -> bool:
        """Put one message on the channel; False (and a log line now and then) when Redis is down."""
        assert self._client is not None, "start() the bus first"
        try:
            await self._client.publish(self.channel, message)
            return True
        except (RedisError, OSError) as exc:
            self._complain("cannot publish to", exc)
            return False

    async def claim_alerts(self) -> bool:
        """Take or extend the alert lease; True while this process holds it."""
        assert self._client is not None, "start() the bus first"
        try:
            claim = self._client.eval(_CLAIM, 1, self.lease_key, self.identity, LEASE_MS)
            held = await claim  # type: ignore[misc]
        except (RedisError, OSError) as exc:
            self._complain("cannot renew the alert lease on", exc)
            return False
        return bool(held)

    async def _listen(self) -> None:
        delay = RETRY_S[0]
        while True:
            assert self._client is not None
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                delay = RETRY_S[0]
                log.info(
                    "live feed: listening on Redis channel %s at %s", self.channel, self.safe_url
                )
                async for message in pubsub.listen():
                    if message.get("type") == "message" and self.on_message is not None:
                        self.on_message(message["data"])
            except (RedisError, OSError) as exc:
                self.subscribed.clear()
                self._complain("lost the channel on", exc, force=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_S[1])
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    def _complain(self, what: str, exc: BaseException, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_error_log >= LOG_EVERY_S:
            self._last_error_log = now
            log.warning(
                "live feed %s Redis at %s (%s: %s): check that Redis is running and "
                "WEARHOUSE_SERVE__REDIS_URL is right; ingestion is not affected",
                what,
                self.safe_url,
                type(exc).__name__,
                exc,
            )
