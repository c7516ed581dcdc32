"""ISO 8601 UTC text for epoch seconds, as the streams carry it."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=65_536)
def iso(epoch: int) -> str:
    """Epoch seconds as ISO 8601 UTC with a `Z`, e.g. 2026-10-01T00:00:00Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
