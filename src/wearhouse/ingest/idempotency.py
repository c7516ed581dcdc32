"""Idempotency keys, remembered durably in the same Delta commits as the records they cover."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from typing import Any

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from wearhouse.contracts import STREAMS
from wearhouse.lake.paths import REJECTS, table_path
from wearhouse.settings import Settings

METADATA_KEY = "wearhouse.idempotency"
# Commits read back per bronze table at start-up; older keys than this are long expired under load.
HISTORY_COMMITS = 20_000

Answer = dict[str, Any]


def scoped(token_id: str, stream: str, key: str) -> str:
    """Keys are per token and stream: two devices numbering their batches alike never collide."""
    return f"{token_id}:{stream}:{key}"


class IdempotencyStore:
    """Answers of requests that carried an Idempotency-Key, for `ttl_s` seconds.

    The committer writes each key into the Delta commit that completes its request, so a key is
    remembered exactly when its records are durable; at start-up the store is rebuilt from the
    bronze tables' commit history.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._answers: OrderedDict[str, tuple[float, Answer]] = OrderedDict()

    def get(self, key: str) -> Answer | None:
        """The first answer given for this key, if it is still remembered."""
        entry = self._answers.get(key)
        if entry is None or entry[0] < time.time() - self.ttl_s:
            return None
        return entry[1]

    def remember(self, entries: dict[str, Answer], at: float | None = None) -> None:
        """Record answers (after their commit), dropping expired ones."""
        now = at if at is not None else time.time()
        for key, answer in entries.items():
            self._answers[key] = (now, answer)
            self._answers.move_to_end(key)
        cutoff = time.time() - self.ttl_s
        while self._answers and next(iter(self._answers.values()))[0] < cutoff:
            self._answers.popitem(last=False)

    def load(self, settings: Settings) -> int:
        """Rebuild from the bronze tables' recent commits; returns how many keys were found."""
        cutoff_ms = (time.time() - self.ttl_s) * 1000
        found: list[tuple[float, dict[str, Answer]]] = []
        for name in [*STREAMS, REJECTS]:
            try:
                history = DeltaTable(str(table_path("bronze", name, settings))).history(
                    HISTORY_COMMITS
                )
            except TableNotFoundError:
                continue
            for commit in history:
                if METADATA_KEY in commit and commit.get("timestamp", 0) >= cutoff_ms:
                    found.append((commit["timestamp"] / 1000, json.loads(commit[METADATA_KEY])))
        for at, entries in sorted(found, key=lambda item: item[0]):
            self.remember(entries, at=at)
        return sum(len(entries) for _, entries in found)
