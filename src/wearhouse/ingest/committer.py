"""Group commit: requests that arrive close together share one Delta commit per stream.

A request is answered only after its records are committed, so an acknowledged record is
durable. A bounded count of waiting records gives backpressure instead of unbounded memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from prometheus_client import Histogram

from wearhouse.errors import TransientError
from wearhouse.ingest.http_records import ParsedBody
from wearhouse.ingest.idempotency import METADATA_KEY, Answer, IdempotencyStore
from wearhouse.lake import bronze
from wearhouse.settings import Settings

log = logging.getLogger(__name__)

COMMIT_SECONDS = Histogram(
    "wearhouse_ingest_commit_seconds",
    "Time to commit one group of requests to bronze",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


SWITCH_INTERVAL_S = 0.0005


class QueueFull(Exception):
    """More records are waiting for a commit than the configured bound: retry shortly."""


@dataclass
class _Pending:
    stream: str
    parsed: ParsedBody
    batch_id: str
    answer: Answer
    key: str | None
    future: asyncio.Future[Answer]

    @property
    def size(self) -> int:
        return len(self.parsed.payloads) + len(self.parsed.rejected)


class GroupCommitter:
    """Collects checked requests and commits them to bronze in groups, one task per process."""

    def __init__(self, settings: Settings, source: str = "http") -> None:
        self.settings = settings
        self.source = source
        self.idempotency = IdempotencyStore(settings.ingest.idempotency_hours * 3600)
        self._waiting: list[_Pending] = []
        self._queued = 0
        self._inflight: dict[str, asyncio.Future[Answer]] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._commits: set[asyncio.Task[None]] = set()
        self._free_slots = settings.ingest.commits_in_flight
        # Called with (stream, payloads) for each committed request, on the event loop; a
        # listener must return at once (the live feed only queues the references).
        self.listeners: list[Callable[[str, list[str]], None]] = []

    @property
    def queued_records(self) -> int:
        """Records accepted by a request but not committed yet."""
        return self._queued

    async def start(self) -> None:
        """Create missing bronze tables, reload idempotency keys, and start committing."""
        # The commit thread needs the GIL back after each call into delta-rs; with the default
        # 5 ms switch interval it queues behind the request parsing on the event loop thread,
        # which doubled the commit time under load.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        await asyncio.to_thread(bronze.ensure_tables, self.settings)
        bronze.start_compaction(self.settings)
        loaded = await asyncio.to_thread(self.idempotency.load, self.settings)
        log.info("group committer started; %d idempotency keys reloaded", loaded)
        self._task = asyncio.create_task(self._run(), name="wearhouse-group-commit")

    async def stop(self) -> None:
        """Commit what is waiting, then stop."""
        if self._task is None:
            return
        while self._waiting or self._commits:
            await asyncio.sleep(0.01)
        self._task.cancel()
        self._task = None
        await asyncio.to_thread(bronze.stop_compaction)

    async def submit(
        self, stream: str, parsed: ParsedBody, answer: Answer, key: str | None, batch_id: str
    ) -> tuple[Answer, bool]:
        """Wait until the request's records are committed; returns the answer to send and
        whether this request's records were the ones committed (False for a repeated key)."""
        if key is not None:
            known = self.idempotency.get(key)
            if known is not None:
                return known, False
            running = self._inflight.get(key)
            if running is not None:
                return await asyncio.shield(running), False
        size = len(parsed.payloads) + len(parsed.rejected)
        if self._queued + size > self.settings.ingest.max_queued_records and self._queued:
            raise QueueFull(f"{self._queued:,} records are waiting for a commit")
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Pending(stream, parsed, batch_id, answer, key, future))
        self._queued += size
        if key is not None:
            self._inflight[key] = future
        self._wakeup.set()
        try:
            return await asyncio.shield(future), True
        finally:
            if key is not None:
                self._inflight.pop(key, None)

    async def _run(self) -> None:
        window = self.settings.ingest.commit_window_ms / 1000
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            # Requests arriving together share a commit. A group that found every slot busy is
            # committed as soon as one frees up (_commit_group): it has gathered meanwhile.
            if window:
                await asyncio.sleep(window)
            self._start_commit()

    def _start_commit(self) -> None:
        """Commit what is waiting, unless every slot is busy: then the group keeps growing until
        a commit finishes, which starts it."""
        if not self._waiting or self._free_slots == 0:
            return
        group, self._waiting = self._waiting, []
        self._free_slots -= 1
        commit = asyncio.create_task(self._commit_group(group))
        self._commits.add(commit)
        commit.add_done_callback(self._commits.discard)

    async def _commit_group(self, group: list[_Pending]) -> None:
        started = time.perf_counter()
        try:
            await asyncio.to_thread(self._commit, group)
        except Exception as exc:  # the store failed: nothing in this group is acknowledged
            log.exception("bronze commit failed for %d requests", len(group))
            error = TransientError(f"bronze is not writable right now ({exc}); retry the request")
            for item in group:
                item.future.set_exception(error)
        else:
            COMMIT_SECONDS.observe(time.perf_counter() - started)
            keyed = {item.key: item.answer for item in group if item.key is not None}
            self.idempotency.remember(keyed)
            if self.listeners:
                self._announce(group)
            for item in group:
                item.future.set_result(item.answer)
        finally:
            self._queued -= sum(item.size for item in group)
            self._free_slots += 1
            self._start_commit()

    def _announce(self, group: list[_Pending]) -> None:
        for listener in self.listeners:
            try:
                for item in group:
                    listener(item.stream, item.parsed.payloads)
            except Exception:  # a listener must never cost an acknowledged commit its answer
                log.exception("a commit listener failed; the commit itself succeeded")

    def _commit(self, group: list[_Pending]) -> None:
        """One Delta commit per table touched; the last one carries the group's idempotency keys."""
        keyed = {item.key: item.answer for item in group if item.key is not None}
        writes = self._writes(group)
        for position, (kind, stream, rows, batch_ids) in enumerate(writes):
            metadata = (
                {METADATA_KEY: json.dumps(keyed)} if keyed and position == len(writes) - 1 else None
            )
            if kind == "rejected":
                bronze.append_rejected(
                    stream, rows, source=self.source, batch_id=batch_ids,
                    settings=self.settings, commit_metadata=metadata,
                )  # fmt: skip
            else:
                bronze.append(
                    stream, rows, source=self.source, batch_id=batch_ids,
                    settings=self.settings, commit_metadata=metadata,
                )  # fmt: skip

    @staticmethod
    def _writes(group: list[_Pending]) -> list[tuple[str, str, list[Any], pa.Array]]:
        accepted: dict[str, tuple[list[str], list[tuple[str, int]]]] = defaultdict(lambda: ([], []))
        rejected: dict[str, tuple[list[tuple[str, str]], list[tuple[str, int]]]] = defaultdict(
            lambda: ([], [])
        )
        for item in group:
            rows, runs = accepted[item.stream]
            rows.extend(item.parsed.payloads)
            runs.append((item.batch_id, len(item.parsed.payloads)))
            bad, bad_runs = rejected[item.stream]
            bad.extend(item.parsed.rejected)
            bad_runs.append((item.batch_id, len(item.parsed.rejected)))
        writes: list[tuple[str, str, list[Any], pa.Array]] = [
            ("rejected", stream, rows, bronze.batch_id_runs(runs))
            for stream, (rows, runs) in rejected.items()
            if rows
        ]
        writes += [
            ("accepted", stream, rows, bronze.batch_id_runs(runs))
            for stream, (rows, runs) in accepted.items()
            if rows
        ]
        if not writes:  # only duplicates of keyed requests: still record the keys
            writes.append(("rejected", group[0].stream, [], bronze.batch_id_runs([])))
        return writes
