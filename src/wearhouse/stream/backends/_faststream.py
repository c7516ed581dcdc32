"""The FastStream consumer and publisher shared by NATS, Redis, RabbitMQ and Kafka.

A broker module says how to build its FastStream broker, how to subscribe to one stream, and how
to find the bodies in a received message; everything else is here, identical for every broker.
Handlers return only after `ingest` has committed the messages to bronze, and the subscribers'
ack policy (NACK_ON_ERROR) acknowledges a message only when its handler returned: so a message is
acknowledged after its records are durable, and one whose handler failed is redelivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from wearhouse.stream.backends import Ingest, Publish
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.stream.ingestor import Delivery

# FastStream logs every message at the level given to the broker; DEBUG keeps that out of the
# consumer's INFO log (and its cost out of the hot path), while errors still reach the log.
BROKER_LOG = logging.getLogger("wearhouse.stream.broker")
MESSAGE_LOG_LEVEL = logging.DEBUG
# Broker.stop waits this long for handlers in flight (their commits) before giving up on them.
GRACEFUL_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 5.0
# Publishes awaiting their broker confirmation at once.
PUBLISH_CONCURRENCY = 64


async def skip_decoding(message: Any) -> None:
    """FastStream's decoder for every broker: bodies are read by the Ingestor, never here.

    FastStream's own decoder parses JSON bodies before the handler runs; a body that is not
    JSON would then fail outside the handler, be nacked and come back forever instead of
    reaching quarantine (and valid bodies would be parsed twice).
    """
    return None


async def connect(broker: Any, url: BrokerUrl) -> Any:
    """Connect within CONNECT_TIMEOUT_S (clients that retry forever would otherwise hang here)."""
    try:
        return await asyncio.wait_for(broker.connect(), CONNECT_TIMEOUT_S)
    except TimeoutError:
        raise ConnectionError(
            f"no connection to {url.safe} within {CONNECT_TIMEOUT_S:.0f} s"
        ) from None


class FastStreamBackend:
    """A broker reached through FastStream; subclasses fill in the broker-specific hooks."""

    def broker(self, url: BrokerUrl, config: StreamSettings) -> Any:
        """A FastStream broker for the URL, not connected yet."""
        raise NotImplementedError

    def subscribe(
        self,
        broker: Any,
        url: BrokerUrl,
        config: StreamSettings,
        stream: str,
        handler: Callable[..., Any],
    ) -> Any:
        """Register `handler` for one stream's messages; returns the FastStream subscriber."""
        raise NotImplementedError

    def deliveries(self, message: Any, address: str) -> list[Delivery]:
        """The bodies of a FastStream message (a batch or one) received on `address`."""
        raise NotImplementedError

    async def prepare(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]
    ) -> None:
        """Create what must exist before consuming or publishing (streams, groups, queues)."""

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
        """Commit messages left unacknowledged that the broker will not resend by itself.

        Called when the consumer starts and then every `claim_idle_s`; most brokers need nothing.
        """

    async def send(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, stream: str, body: bytes
    ) -> None:
        """Publish one body and wait for the broker's confirmation."""
        raise NotImplementedError

    async def send_many(
        self,
        broker: Any,
        url: BrokerUrl,
        config: StreamSettings,
        stream: str,
        bodies: Sequence[bytes],
    ) -> None:
        """Publish bodies concurrently (a bounded number in flight); returns once all confirmed."""
        gate = asyncio.Semaphore(PUBLISH_CONCURRENCY)

        async def send_one(body: bytes) -> None:
            async with gate:
                await self.send(broker, url, config, stream, body)

        await asyncio.gather(*(send_one(body) for body in bodies))

    async def remove(self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]) -> None:
        """Delete what Wearhouse created on the broker for this prefix (tests and benchmarks)."""

    def handler(
        self, broker: Any, stream: str, address: str, ingest: Ingest
    ) -> Callable[[Any], Awaitable[None]]:
        """The FastStream handler of one stream: returns once the message's records are durable.

        Brokers are built with apply_types=False (no dependency injection per message, a good
        part of FastStream's cost per message), so the message is taken from the context.
        """

        async def handle(_: Any) -> None:
            message = broker.context.get_local("message")
            await ingest(stream, self.deliveries(message, address))

        handle.__name__ = f"ingest_{stream}"
        return handle

    async def consume(
        self,
        url: BrokerUrl,
        config: StreamSettings,
        streams: Sequence[str],
        ingest: Ingest,
        ready: Callable[[], None],
        stop: asyncio.Event,
    ) -> None:
        """Consume `streams` until `stop` is set; raises when the broker cannot be reached."""
        broker = self.broker(url, config)
        for stream in streams:
            address = url.address(config.prefix, stream)
            self.subscribe(
                broker, url, config, stream, self.handler(broker, stream, address, ingest)
            )
        try:
            await connect(broker, url)
            await self.prepare(broker, url, config, streams)
            for stream in streams:
                await self.recover(broker, url, config, stream, ingest, starting=True)
            await broker.start()
            ready()
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), config.claim_idle_s)
                except TimeoutError:
                    for stream in streams:
                        await self.recover(broker, url, config, stream, ingest, starting=False)
        finally:
            await broker.stop()

    @asynccontextmanager
    async def publishing(
        self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]
    ) -> AsyncIterator[Publish]:
        """A connected publisher whose calls return once the broker confirmed every body."""
        broker = self.broker(url, config)
        try:
            await connect(broker, url)
            await self.prepare(broker, url, config, streams)

            async def publish(stream: str, bodies: Sequence[bytes]) -> None:
                await self.send_many(broker, url, config, stream, bodies)

            yield publish
        finally:
            await broker.stop()
