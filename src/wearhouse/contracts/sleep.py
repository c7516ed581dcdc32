"""Sleep records, written by a device after each sleep cycle."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from wearhouse.contracts.base import Id, Record, Timestamp


class SleepMetric(BaseModel):
    """One sleep inside a `sleeps` record; `duration` is in milliseconds."""

    model_config = ConfigDict(extra="allow")

    start_ts: Timestamp
    end_ts: Timestamp
    duration: float | None = None
    levels: Any = None


class Sleeps(Record):
    """`sleeps`: device_id and the sleeps it measured."""

    device_id: Id
    created_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    metrics: list[dict[str, Any]]  # checked per sleep in silver (SleepMetric)
