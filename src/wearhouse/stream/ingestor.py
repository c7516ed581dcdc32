"""The one consumer path every broker shares: messages -> checked records -> group commit to bronze.

`Ingestor.ingest` returns only once the records of its messages are committed to bronze; each
broker adapter acknowledges the messages after it returns, never before. A message that cannot be
read (not JSON, empty, no body) is a poison message: it is kept in bronze `_rejected` with the
broker, subject and reason (so silver.quarantine shows it) and acknowledged like any other, so it
never blocks the stream. Reasons hold no delivery counters: a redelivered bad record gives the same
reason, and silver.quarantine lists it once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from wearhouse.contracts.fast import batch_validator
from wearhouse.errors import TransientError
from wearhouse.ingest.committer import GroupCommitter, QueueFull
from wearhouse.ingest.http_records import ParsedBody
from wearhouse.ingest.records import READING_STREAMS, RecordError, check
from wearhouse.live.hub import LiveHub
from wearhouse.settings import Settings
from wearhouse.stream.config import BrokerUrl, StreamSettings

log = logging.getLogger(__name__)

HOW_TO_PUBLISH = "publish one JSON record or a JSON array of records"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One broker message: the subject (stream key, queue, topic) it came on and its body.

    `problem` is set when the broker adapter could not find a body in the message at all.
    """

    address: str
    body: bytes
    problem: str | None = None


@dataclass
class IngestStats:
    """What a consumer has committed since it started."""

    messages: int = 0
    records: int = 0
    readings: int = 0
    rejected: int = 0
    poison: int = 0
    batches: int = 0
    retries: int = 0
    last_commit: float | None = None

    def add(self, messages: int, parsed: ParsedBody, poison: int) -> None:
        """Count one committed batch of messages (several batches may share a Delta commit)."""
        self.messages += messages
        self.records += len(parsed.payloads)
        self.readings += parsed.readings
        self.rejected += len(parsed.rejected)
        self.poison += poison
        self.batches += 1
        self.last_commit = time.monotonic()


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _records(message: Delivery) -> list[Any] | str:
    """The records of one message, or the reason it is unreadable."""
    if message.problem is not None:
        return message.problem
    if not message.body.strip():
        return f"the message is empty: {HOW_TO_PUBLISH}"
    try:
        value = orjson.loads(message.body)
    except orjson.JSONDecodeError as exc:
        return f"the message is not valid JSON ({exc}): {HOW_TO_PUBLISH}"
    if isinstance(value, list):
        return value or f"the message is an empty JSON array: {HOW_TO_PUBLISH}"
    return [value]


def _readings(stream: str, records: Sequence[Any]) -> int:
    if stream not in READING_STREAMS:
        return len(records)
    return sum(
        len(m) if isinstance(r, dict) and isinstance(m := r.get("metrics"), list) else 1
        for r in records
    )


def _check_one_by_one(stream: str, records: Sequence[Any], where: str, parsed: ParsedBody) -> None:
    """The slow path: name each bad record of one message by its index."""
    for index, item in enumerate(records):
        raw = orjson.dumps(item)
        try:
            record = check(stream, raw)
        except RecordError as exc:
            parsed.rejected.append((raw.decode(), f"{where} record {index}: {exc}"))
            continue
        parsed.payloads.append(record.payload)
        parsed.readings += record.readings


def check_messages(
    stream: str, messages: Sequence[Delivery], where: Callable[[str], str]
) -> tuple[ParsedBody, int]:
    """Check every record of a batch of messages; returns them and how many messages were poison.

    `where(address)` names a message's origin in reasons, e.g. `nats subject wearhouse.steps`.
    """
    parsed, poison = ParsedBody(), 0
    spans: list[tuple[Delivery, list[Any]]] = []
    for message in messages:
        items = _records(message)
        if isinstance(items, str):
            parsed.rejected.append((_text(message.body), f"{where(message.address)}: {items}"))
            poison += 1
        else:
            spans.append((message, items))
    everything = [item for _, items in spans for item in items]
    if not everything:
        return parsed, poison
    validator = batch_validator(stream)
    try:  # the common case in one pass of pydantic-core: every record of the batch is valid
        validator.validate_python(everything)
    except ValidationError:
        for message, items in spans:
            try:
                validator.validate_python(items)
            except ValidationError:
                _check_one_by_one(stream, items, where(message.address), parsed)
            else:
                parsed.payloads += [orjson.dumps(r).decode() for r in items]
                parsed.readings += _readings(stream, items)
        return parsed, poison
    parsed.payloads += [orjson.dumps(r).decode() for r in everything]
    parsed.readings += _readings(stream, everything)
    return parsed, poison


class Ingestor:
    """Commits broker messages to bronze through the group committer; `_source` is the broker."""

    def __init__(self, settings: Settings, broker: BrokerUrl, config: StreamSettings) -> None:
        self.broker = broker
        self.config = config
        self.committer = GroupCommitter(settings, source=broker.kind)
        # With Redis, committed readings reach the API processes' live feed; without it the
        # feed is each API process's own and a consumer has nobody to tell.
        self.live = LiveHub(settings, listen=False) if settings.serve.redis_url else None
        if self.live is not None:
            self.committer.listeners.append(self.live.committed)
        self.stats = IngestStats()
        # Batch ids from a random base and a counter: unique, without an os.urandom call per
        # message (uuid4 costs ~0.1 ms here, a tenth of a RabbitMQ message's handling).
        self._batch_base = uuid.uuid4().int
        self._batches = itertools.count()

    def _batch_id(self) -> str:
        return uuid.UUID(int=(self._batch_base + next(self._batches)) % (1 << 128)).hex

    async def start(self) -> None:
        """Create missing bronze tables and start the group committer (and the live publisher)."""
        await self.committer.start()
        if self.live is not None:
            await self.live.start()

    async def stop(self) -> None:
        """Commit what is waiting, then stop."""
        await self.committer.stop()
        if self.live is not None:
            await self.live.stop()

    async def ingest(self, stream: str, messages: Sequence[Delivery]) -> None:
        """Commit the records of `messages` (all of one stream) to bronze; returns once durable."""
        if not messages:
            return
        parsed, poison = check_messages(stream, messages, self.broker.where)
        for payload, reason in parsed.rejected[:3]:
            log.warning("quarantined from %s: %s (%.80s)", self.broker.safe, reason, payload)
        await self._commit(stream, parsed)
        self.stats.add(len(messages), parsed, poison)

    async def _commit(self, stream: str, parsed: ParsedBody) -> None:
        """Submit until committed: a full queue waits, an unwritable bronze is retried with back-off."""
        answer = {"accepted": len(parsed.payloads), "rejected": len(parsed.rejected)}
        delay = 0.5
        while True:
            try:
                await self.committer.submit(stream, parsed, answer, None, self._batch_id())
                return
            except QueueFull:
                await asyncio.sleep(0.02)
            except TransientError as exc:
                self.stats.retries += 1
                log.error(
                    "%d %s records from %s are not committed (%s); the messages stay "
                    "unacknowledged, retrying in %.1f s: check that the lake is writable",
                    len(parsed.payloads) + len(parsed.rejected),
                    stream,
                    self.broker.safe,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.max_backoff_s)
