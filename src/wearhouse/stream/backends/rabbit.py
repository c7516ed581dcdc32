"""RabbitMQ: durable queues <prefix>.<stream> on the default exchange, persistent messages.

Deliveries run concurrently up to the channel's prefetch (`batch_messages`), so the messages in
flight share group commits; each is acknowledged after its commit, or requeued if its handler fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wearhouse.stream.backends._faststream import (
    BROKER_LOG,
    GRACEFUL_TIMEOUT_S,
    MESSAGE_LOG_LEVEL,
    FastStreamBackend,
    skip_decoding,
)
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.stream.ingestor import Delivery


def queue(url: BrokerUrl, config: StreamSettings, stream: str) -> Any:
    """The durable queue of one stream."""
    from faststream.rabbit import RabbitQueue

    return RabbitQueue(url.address(config.prefix, stream), durable=True)


class RabbitBackend(FastStreamBackend):
    """RabbitMQ through FastStream (aio-pika), acknowledging each delivery after its commit."""

    def broker(self, url: BrokerUrl, config: StreamSettings) -> Any:
        """A RabbitBroker (robust connection: it reconnects by itself after an outage)."""
        from faststream.rabbit import Channel, RabbitBroker

        return RabbitBroker(
            url.url,
            timeout=5,
            reconnect_interval=2.0,
            default_channel=Channel(prefetch_count=config.batch_messages),
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
        """Consume the stream's durable queue."""
        from faststream.middlewares import AckPolicy

        subscriber = broker.subscriber(
            queue(url, config, stream), ack_policy=AckPolicy.NACK_ON_ERROR
        )
        subscriber(handler)
        return subscriber

    def deliveries(self, message: Any, address: str) -> list[Delivery]:
        """One delivery: its body."""
        return [Delivery(address, message.raw_message.body)]

    async def prepare(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]
    ) -> None:
        """Declare the durable queues, so messages published before a consumer are kept."""
        for stream in streams:
            await broker.declare_queue(queue(url, config, stream))

    async def send(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, stream: str, body: bytes
    ) -> None:
        """Publish a persistent message to the stream's queue and wait for the broker's confirm."""
        await broker.publish(
            body,
            queue=url.address(config.prefix, stream),
            persist=True,
            content_type="application/json",
            timeout=10,
        )

    async def remove(self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]) -> None:
        """Delete the queues of this prefix."""
        broker = self.broker(url, config)
        await broker.connect()
        try:
            for stream in streams:
                declared = await broker.declare_queue(queue(url, config, stream))
                await declared.delete(if_unused=False, if_empty=False)
        finally:
            await broker.stop()


BACKEND = RabbitBackend()
