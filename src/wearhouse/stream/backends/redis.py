"""Redis Streams: stream keys <prefix>:<stream>, read by the consumer group <group> in batches.

An entry carries its JSON body in the field `data` (`XADD wearhouse:heart_rate * data '{...}'`);
entries published by FastStream (field `__data__`) are read too. Redis never hands a pending entry
to anyone by itself, so at start-up this consumer re-reads the entries it had read but not
acknowledged before it stopped (its name, `consumer`, is stable across restarts), and it claims
entries left pending on other consumers for `claim_idle_s` (those consumers are presumed dead).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson

from wearhouse.stream.backends import Ingest
from wearhouse.stream.backends._faststream import (
    BROKER_LOG,
    GRACEFUL_TIMEOUT_S,
    MESSAGE_LOG_LEVEL,
    FastStreamBackend,
    skip_decoding,
)
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.stream.ingestor import Delivery

FIELD = b"data"
FASTSTREAM_FIELD = b"__data__"
PIPELINE_CHUNK = 500


def entry(address: str, fields: dict[bytes, bytes] | None) -> Delivery:
    """The body of one stream entry, or a poison delivery saying what is missing."""
    fields = fields or {}
    if FIELD in fields:
        return Delivery(address, fields[FIELD])
    if FASTSTREAM_FIELD in fields:
        from faststream.redis.parser import BinaryMessageFormatV1

        body, _ = BinaryMessageFormatV1.parse(fields[FASTSTREAM_FIELD])
        return Delivery(address, body)
    shown = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in fields.items()}
    return Delivery(
        address,
        orjson.dumps(shown),
        problem=f"the entry has no `data` field (it has {', '.join(shown) or 'no field'}): "
        f"publish with XADD {address} * data '<a JSON record or array>'",
    )


class RedisBackend(FastStreamBackend):
    """Redis Streams through FastStream's batch stream subscriber with a consumer group."""

    def broker(self, url: BrokerUrl, config: StreamSettings) -> Any:
        """A RedisBroker for the URL (redis://[:password@]host:port[/db])."""
        from faststream.redis import RedisBroker

        return RedisBroker(
            url.url,
            socket_connect_timeout=3,
            logger=BROKER_LOG,
            log_level=MESSAGE_LOG_LEVEL,
            graceful_timeout=GRACEFUL_TIMEOUT_S,
            decoder=skip_decoding,
            apply_types=False,
        )

    def subscribe(
        self,
        broker: Any,
        url: BrokerUrl,
        config: StreamSettings,
        stream: str,
        handler: Callable[..., Any],
    ) -> Any:
        """The group's new entries of the stream key, `batch_messages` at a time."""
        from faststream.middlewares import AckPolicy
        from faststream.redis import StreamSub

        subscriber = broker.subscriber(
            stream=StreamSub(
                url.address(config.prefix, stream),
                group=config.group,
                consumer=config.consumer,
                batch=True,
                max_records=config.batch_messages,
                polling_interval=max(config.batch_wait_ms, 100),
            ),
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )
        subscriber(handler)
        return subscriber

    def deliveries(self, message: Any, address: str) -> list[Delivery]:
        """The entries of one read batch."""
        return [entry(address, fields) for fields in message.raw_message["data"]]

    async def prepare(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]
    ) -> None:
        """Create the group on each key from its first entry, so nothing sent before is skipped."""
        from redis.exceptions import ResponseError

        client = await broker.connect()
        for stream in streams:
            try:
                await client.xgroup_create(
                    url.address(config.prefix, stream), config.group, id="0", mkstream=True
                )
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def recover(
        self,
        broker: Any,
        url: BrokerUrl,
        config: StreamSettings,
        stream: str,
        ingest: Ingest,
        *,
        starting: bool,
    ) -> None:
        """Commit and acknowledge this consumer's pending entries (at start), then stale ones."""
        client = await broker.connect()
        key = url.address(config.prefix, stream)
        while starting:  # re-reading from 0 returns what this consumer read but never acknowledged
            answer = await client.xreadgroup(
                config.group, config.consumer, {key: "0"}, count=config.batch_messages
            )
            entries = answer[0][1] if answer else []
            if not entries:
                break
            await self._commit(client, config, key, entries, ingest, stream)
        start = "0-0"
        while True:
            start, entries, *_ = await client.xautoclaim(
                key,
                config.group,
                config.consumer,
                min_idle_time=int(config.claim_idle_s * 1000),
                start_id=start,
                count=config.batch_messages,
            )
            if entries:
                await self._commit(client, config, key, entries, ingest, stream)
            if start in (b"0-0", "0-0"):
                return

    @staticmethod
    async def _commit(
        client: Any,
        config: StreamSettings,
        key: str,
        entries: list[Any],
        ingest: Ingest,
        stream: str,
    ) -> None:
        # An entry deleted since it was read comes back without fields: nothing to commit.
        present = [(i, f) for i, f in entries if f]
        await ingest(stream, [entry(key, fields) for _, fields in present])
        await client.xack(key, config.group, *[i for i, _ in entries])

    async def send_many(
        self,
        broker: Any,
        url: BrokerUrl,
        config: StreamSettings,
        stream: str,
        bodies: Sequence[bytes],
    ) -> None:
        """XADD every body (field `data`), pipelined: one round trip per chunk."""
        client = await broker.connect()
        key = url.address(config.prefix, stream)
        for first in range(0, len(bodies), PIPELINE_CHUNK):
            async with client.pipeline(transaction=False) as pipe:
                for body in bodies[first : first + PIPELINE_CHUNK]:
                    pipe.xadd(key, {FIELD: body})
                await pipe.execute()

    async def send(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, stream: str, body: bytes
    ) -> None:
        """XADD one body."""
        await self.send_many(broker, url, config, stream, [body])

    async def remove(self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]) -> None:
        """Delete the stream keys of this prefix (and so their groups)."""
        broker = self.broker(url, config)
        client = await broker.connect()
        try:
            await client.delete(*[url.address(config.prefix, s) for s in streams])
        finally:
            await broker.stop()


BACKEND = RedisBackend()
