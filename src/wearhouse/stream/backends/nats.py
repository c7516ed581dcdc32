"""NATS JetStream: subjects <prefix>.<stream> in the JetStream stream <prefix>, one durable pull
consumer per Wearhouse stream (<group>-<stream>), fetched in batches and acknowledged after commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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


def stream_name(config: StreamSettings) -> str:
    """The JetStream stream holding every Wearhouse subject of this prefix."""
    return config.prefix


def durable(config: StreamSettings, stream: str) -> str:
    """The durable consumer of one Wearhouse stream."""
    return f"{config.group}-{stream}"


class _Fetch:
    """A pull subscription's fetch whose timeouts are always nats.errors.TimeoutError.

    nats-py sometimes ends a fetch with a bare asyncio.TimeoutError, which FastStream's batch
    pull loop does not catch (it catches nats' subclass): the loop then drops the messages it
    had already fetched for the batch, and they come back only after the ack wait. Raising the
    subclass keeps them in the batch.
    """

    def __init__(self, fetch: Callable[..., Awaitable[Any]]) -> None:
        self.fetch = fetch

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from nats.errors import TimeoutError as NatsTimeout

        try:
            return await self.fetch(*args, **kwargs)
        except NatsTimeout:
            raise
        except TimeoutError as exc:
            raise NatsTimeout from exc


def _patch_fetch(js: Any) -> None:
    """Wrap the fetch of every pull subscription FastStream's JetStream context creates."""
    if getattr(js, "_wearhouse_fetch", False):
        return
    pull_subscribe = js.pull_subscribe

    async def subscribe(*args: Any, **kwargs: Any) -> Any:
        subscription = await pull_subscribe(*args, **kwargs)
        subscription.fetch = _Fetch(subscription.fetch)
        return subscription

    js.pull_subscribe = subscribe
    js._wearhouse_fetch = True


class NatsBackend(FastStreamBackend):
    """NATS JetStream through FastStream's batch pull subscriber."""

    def broker(self, url: BrokerUrl, config: StreamSettings) -> Any:
        """A NatsBroker that reconnects forever, so an outage never ends the consumer."""
        from faststream.nats import NatsBroker

        return NatsBroker(
            url.url,  # credentials, if any, travel in the URL (nats://user:password@host:port)
            max_reconnect_attempts=-1,
            reconnect_time_wait=2,
            connect_timeout=3,
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
        """A durable pull consumer on the stream's subject, delivering every stored message."""
        from faststream.middlewares import AckPolicy
        from faststream.nats import JStream, PullSub
        from nats.js.api import AckPolicy as JsAckPolicy
        from nats.js.api import ConsumerConfig, DeliverPolicy

        consumer = ConsumerConfig(
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=JsAckPolicy.EXPLICIT,
            ack_wait=config.ack_wait_s,
            max_ack_pending=max(4 * config.batch_messages, 1000),
        )
        subscriber = broker.subscriber(
            url.address(config.prefix, stream),
            stream=JStream(stream_name(config), declare=False),
            durable=durable(config, stream),
            config=consumer,
            pull_sub=PullSub(
                batch_size=config.batch_messages, timeout=config.batch_wait_ms / 1000, batch=True
            ),
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )
        subscriber(handler)
        return subscriber

    def deliveries(self, message: Any, address: str) -> list[Delivery]:
        """The NATS messages of one fetched batch."""
        return [Delivery(m.subject, m.data) for m in message.raw_message]

    async def prepare(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]
    ) -> None:
        """Create the JetStream stream <prefix> (file storage) unless it exists."""
        from nats.js.api import StorageType
        from nats.js.errors import BadRequestError, NotFoundError

        _patch_fetch(broker.config.connection_state.stream)
        js = broker.connection.jetstream()
        name = stream_name(config)
        try:
            await js.stream_info(name)
            return
        except NotFoundError:
            pass
        try:
            await js.add_stream(
                name=name,
                subjects=[url.address(config.prefix, "*")],
                storage=StorageType.FILE,
                max_age=config.retention_hours * 3600,
            )
        except BadRequestError:  # created meanwhile by another process: fine if it is there now
            await js.stream_info(name)

    async def send(
        self, broker: Any, url: BrokerUrl, config: StreamSettings, stream: str, body: bytes
    ) -> None:
        """Publish to JetStream and wait for its PubAck (the message is stored)."""
        await broker.publish(
            body, url.address(config.prefix, stream), stream=stream_name(config), timeout=10
        )

    async def remove(self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]) -> None:
        """Delete the JetStream stream <prefix> and so its consumers."""
        from nats.js.errors import NotFoundError

        broker = self.broker(url, config)
        await broker.connect()
        try:
            await broker.connection.jetstream().delete_stream(stream_name(config))
        except NotFoundError:
            pass
        finally:
            await broker.stop()


BACKEND = NatsBackend()
