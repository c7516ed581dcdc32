"""MQTT (devices that speak it natively): topics <prefix>/<stream>, QoS 1, a persistent session.

The consumer connects as client `<group>-<prefix>` with a persistent session (clean_session off),
so the broker keeps QoS 1 messages for it while it is away and resends those it never
acknowledged. PUBACKs are sent by hand, after the commit: paho-mqtt's manual-ack mode, reached
through aiomqtt's client (aiomqtt has no manual-ack switch of its own). An MQTT broker keeps
messages only for sessions it knows: start `wearhouse consume` once before devices publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from wearhouse.stream.backends import Ingest, Publish
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.stream.ingestor import Delivery

QOS = 1
PUBLISH_CONCURRENCY = 100


def client_id(config: StreamSettings) -> str:
    """The consumer's MQTT client id: its persistent session on the broker."""
    return f"{config.group}-{config.prefix}"


def _client(url: BrokerUrl, identifier: str, *, persistent: bool) -> Any:
    import aiomqtt

    return aiomqtt.Client(
        url.host,
        url.port,
        username=url.username,
        password=url.password,
        identifier=identifier,
        clean_session=not persistent,
        keepalive=30,
        timeout=10,
    )


def _body(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode()


class MqttBackend:
    """MQTT 3.1.1 through aiomqtt, batching what arrived and acknowledging after the commit."""

    async def consume(
        self,
        url: BrokerUrl,
        config: StreamSettings,
        streams: Sequence[str],
        ingest: Ingest,
        ready: Callable[[], None],
        stop: asyncio.Event,
    ) -> None:
        """Consume `streams` until `stop` is set; raises (aiomqtt.MqttError) when disconnected."""
        topics = {url.address(config.prefix, s): s for s in streams}
        client = _client(url, client_id(config), persistent=True)
        client._client.manual_ack_set(True)  # PUBACK only after the commit (see module doc)
        arrived: asyncio.Queue[Any] = asyncio.Queue()
        async with client:
            await client.subscribe([(topic, QOS) for topic in topics])

            async def receive() -> None:
                async for message in client.messages:
                    arrived.put_nowait(message)

            async def commit() -> None:
                while True:
                    batch = [await arrived.get()]
                    while len(batch) < config.batch_messages and not arrived.empty():
                        batch.append(arrived.get_nowait())
                    await self._commit(batch, topics, ingest)
                    for message in batch:  # in arrival order, as MQTT wants PUBACKs
                        client._client.ack(message.mid, message.qos)

            ready()
            tasks = [asyncio.create_task(receive()), asyncio.create_task(commit())]
            stopping = asyncio.create_task(stop.wait())
            try:
                done, _ = await asyncio.wait(
                    [*tasks, stopping], return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    if task is not stopping:
                        task.result()  # a lost connection raises here
            finally:
                for task in [*tasks, stopping]:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    @staticmethod
    async def _commit(batch: list[Any], topics: dict[str, str], ingest: Ingest) -> None:
        by_stream: defaultdict[str, list[Delivery]] = defaultdict(list)
        for message in batch:
            topic = message.topic.value
            by_stream[topics[topic]].append(Delivery(topic, _body(message.payload)))
        await asyncio.gather(*(ingest(stream, items) for stream, items in by_stream.items()))

    @asynccontextmanager
    async def publishing(
        self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]
    ) -> AsyncIterator[Publish]:
        """A QoS 1 publisher: each call returns once the broker acknowledged every message."""
        client = _client(url, f"wearhouse-publisher-{uuid.uuid4().hex[:12]}", persistent=False)
        client.pending_calls_threshold = PUBLISH_CONCURRENCY * 2
        client._client.max_inflight_messages_set(PUBLISH_CONCURRENCY)
        gate = asyncio.Semaphore(PUBLISH_CONCURRENCY)
        async with client:

            async def send(topic: str, body: bytes) -> None:
                async with gate:
                    await client.publish(topic, body, qos=QOS)

            async def publish(stream: str, bodies: Sequence[bytes]) -> None:
                topic = url.address(config.prefix, stream)
                await asyncio.gather(*(send(topic, body) for body in bodies))

            yield publish

    async def remove(self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]) -> None:
        """End the consumer's persistent session (and the messages queued for it)."""
        async with _client(url, client_id(config), persistent=False):
            pass


BACKEND = MqttBackend()
