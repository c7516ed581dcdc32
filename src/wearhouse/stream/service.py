"""`wearhouse consume` as a service: one broker's streams into bronze until stopped.

A broker that cannot be reached (at start, or lost for good by its client) is retried with
exponential back-off and logged each time; the consumer never exits because a broker is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from wearhouse.settings import Settings
from wearhouse.stream.backends import backend
from wearhouse.stream.config import BrokerUrl, StreamSettings
from wearhouse.stream.ingestor import Ingestor, IngestStats

log = logging.getLogger(__name__)

FIRST_RETRY_S = 1.0


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _start(
    ingestor: Ingestor, settings: Settings, config: StreamSettings, stop: asyncio.Event
) -> bool:
    """Start the committer, retrying while bronze cannot be prepared; False if stopped first."""
    delay = FIRST_RETRY_S
    while not stop.is_set():
        try:
            await ingestor.start()
            return True
        except Exception as exc:  # e.g. another process creating the same tables right now
            log.warning(
                "cannot prepare the bronze tables under %s (%s: %s); retrying in %.0f s: "
                "check that the lake is writable",
                settings.lake,
                type(exc).__name__,
                exc,
                delay,
            )
            await _pause(stop, delay)
            delay = min(delay * 2, config.max_backoff_s)
    return False


async def consume(
    settings: Settings,
    url: BrokerUrl,
    streams: Sequence[str],
    config: StreamSettings,
    stop: asyncio.Event,
    on_ready: Callable[[IngestStats], None] | None = None,
    ingestor: Ingestor | None = None,
) -> IngestStats:
    """Consume `streams` from the broker into bronze until `stop` is set; returns what was done."""
    ingestor = ingestor or Ingestor(settings, url, config)
    if not await _start(ingestor, settings, config, stop):
        return ingestor.stats
    broker = backend(url)
    delay = FIRST_RETRY_S
    names = ", ".join(url.address(config.prefix, s) for s in streams)
    try:
        while not stop.is_set():
            connected = False

            def ready() -> None:
                nonlocal connected, delay
                connected, delay = True, FIRST_RETRY_S
                log.info("consuming %s from %s into bronze", names, url.safe)
                if on_ready is not None:
                    on_ready(ingestor.stats)

            running = asyncio.create_task(
                broker.consume(url, config, streams, ingestor.ingest, ready, stop)
            )
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not connected and not running.done():  # stopped while still connecting
                running.cancel()
            try:
                await running
            except asyncio.CancelledError:
                if not stop.is_set():
                    raise
            except Exception as exc:  # the broker, not the data: retry, never crash
                if stop.is_set():  # e.g. the connection was already gone while closing it
                    log.info("closed %s (%s: %s)", url.safe, type(exc).__name__, exc)
                    break
                what = "lost" if connected else "cannot reach"
                log.warning(
                    "%s %s (%s: %s); retrying in %.0f s: check that the broker is running "
                    "and the URL, user and password are right",
                    what,
                    url.safe,
                    type(exc).__name__,
                    exc,
                    delay,
                )
                await _pause(stop, delay)
                delay = min(delay * 2, config.max_backoff_s)
    finally:
        await ingestor.stop()
    log.info(
        "stopped consuming %s: %d messages, %d records committed",
        url.safe,
        ingestor.stats.messages,
        ingestor.stats.records,
    )
    return ingestor.stats
