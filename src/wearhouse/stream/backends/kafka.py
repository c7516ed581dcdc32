"""Kafka: topics <prefix>.<stream>, consumer group <group>, batches committed after bronze.

Offsets are committed (acknowledged) only once a fetched batch is in bronze (FastStream batch
subscriber with manual commits), so a crash replays from the last committed offset.
"""

from __future__ import annotations

import contextlib
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


def bootstrap(url: BrokerUrl) -> str:
    """The bootstrap server of a kafka:// URL."""
    return f"{url.host}:{url.port}"


class KafkaBackend(FastStreamBackend):
    """Kafka through FastStream (aiokafka): batch subscriber, offsets committed after the commit."""

    def broker(self, url: BrokerUrl, config: StreamSettings) -> Any:
        """A KafkaBroker (PLAINTEXT) on the URL's host and port."""
        from faststream.kafka import KafkaBroker

        return KafkaBroker(
            bootstrap(url),
            request_timeout_ms=10_000,
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
        """The group's batches of the stream's topic, from the earliest offset for a new group."""
        from faststream.middlewares import AckPolicy

        subscriber = broker.subscriber(
            url.address(config.prefix, stream),
            group_id=config.group,
            batch=True,
            max_records=config.batch_messages,
            batch_timeout_ms=config.batch_wait_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )
        subscriber(handler)
        return subscriber

    def deliveries(self, message: Any, address: str) -> list[Delivery]:
        """The records of one fetched batch."""
        return [Delivery(address, record.value or b"") for record in message.raw_message]

    async def send(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, stream: str, body: bytes
    ) -> None:
        """Produce one record and wait for the broker's acknowledgement."""
        await broker.publish(body, topic=url.address(config.prefix, stream))

    async def remove(self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]) -> None:
        """Delete the topics of this prefix and the consumer group."""
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap(url))
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            topics = [url.address(config.prefix, s) for s in streams]
            if doomed := [t for t in topics if t in existing]:
                await admin.delete_topics(doomed)
            with contextlib.suppress(Exception):  # the group may never have existed
                await admin.delete_consumer_groups([config.group])
        finally:
            await admin.close()


BACKEND = KafkaBackend()
