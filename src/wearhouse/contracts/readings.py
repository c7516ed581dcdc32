"""Device readings: heart rate and steps, as single readings or Fitbit-style buckets."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from wearhouse.contracts.base import Id, Record, Timestamp


class HeartRateMetric(BaseModel):
    """One reading inside a heart-rate bucket."""

    model_config = ConfigDict(extra="allow")

    ts: Timestamp
    bpm: float
    confidence: int | None = Field(default=None, ge=0, le=3)


class StepsMetric(BaseModel):
    """One per-minute step count inside a steps bucket."""

    model_config = ConfigDict(extra="allow")

    ts: Timestamp
    steps: float


class HeartRateReading(Record):
    """One heart-rate reading, as event streams send it."""

    device_id: Id
    ts: Timestamp
    bpm: float
    confidence: int | None = Field(default=None, ge=0, le=3)
    activity_id: Id | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class HeartRateBucket(Record):
    """A Fitbit-style bucket of heart-rate readings (HeartRateMetric each)."""

    device_id: Id
    created_at: Timestamp
    ended_at: Timestamp
    # Only the envelope is checked at the edge: one bad reading must not reject its whole
    # bucket, so each metric is checked in silver and quarantined on its own.
    metrics: list[dict[str, Any]]


class HeartRate(
    RootModel[Annotated[HeartRateReading | HeartRateBucket, Field(union_mode="left_to_right")]]
):
    """`heart_rate`: one reading (ts + bpm) or a bucket (created_at, ended_at, metrics)."""


class StepsReading(Record):
    """One per-minute step count."""

    device_id: Id
    ts: Timestamp
    steps: float


class StepsBucket(Record):
    """A bucket of per-minute step counts (StepsMetric each), checked per metric in silver."""

    device_id: Id
    created_at: Timestamp
    ended_at: Timestamp
    metrics: list[dict[str, Any]]


class Steps(RootModel[Annotated[StepsReading | StepsBucket, Field(union_mode="left_to_right")]]):
    """`steps`: one reading (ts + steps) or a bucket (created_at, ended_at, metrics)."""


SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "heart_rate": (("ts", "bpm"), ("created_at", "ended_at", "metrics")),
    "steps": (("ts", "steps"), ("created_at", "ended_at", "metrics")),
}
"""The keys that make a single reading and a bucket, per stream with both shapes."""
