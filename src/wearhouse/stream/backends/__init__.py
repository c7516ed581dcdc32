"""One module per broker, each with the same shape (a `Backend`); clients are imported lazily."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.stream.ingestor import Delivery

Ingest = Callable[[str, Sequence[Delivery]], Awaitable[None]]
"""Commit messages of one stream to bronze; returns once they are durable."""

Publish = Callable[[str, Sequence[bytes]], Awaitable[None]]
"""Publish message bodies to one stream; returns once the broker has confirmed every one."""

MODULES = {
    "nats": "nats",
    "redis": "redis",
    "amqp": "rabbit",
    "kafka": "kafka",
    "mqtt": "mqtt",
}


class Backend(Protocol):
    """What every broker module offers."""

    async def consume(
        self,
        url: BrokerUrl,
        config: StreamSettings,
        streams: Sequence[str],
        ingest: Ingest,
        ready: Callable[[], None],
        stop: asyncio.Event,
    ) -> None:
        """Consume `streams` until `stop` is set, acknowledging each message after `ingest` returns.

        Raises when the broker cannot be reached; the caller retries with back-off.
        """
        ...

    def publishing(
        self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]
    ) -> AbstractAsyncContextManager[Publish]:
        """A connected publisher; the names of `streams` exist on the broker once it is entered."""
        ...

    async def remove(self, url: BrokerUrl, config: StreamSettings, streams: Sequence[str]) -> None:
        """Delete what Wearhouse created on the broker for this prefix (tests and benchmarks)."""
        ...


def backend(url: BrokerUrl) -> Backend:
    """The module for the broker a URL names, imported on first use."""
    module = importlib.import_module(f"wearhouse.stream.backends.{MODULES[url.kind]}")
    instance: Backend = module.BACKEND
    return instance
