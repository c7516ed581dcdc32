"""Device readings: heart rate and steps, as single readings or Fitbit-style buckets."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


def _check_shape(record: BaseModel, single: tuple[str, ...]) -> None:
    values = record.__dict__
    has_single = all(values.get(key) is not None for key in single)
    bucket = ("created_at", "ended_at", "metrics")
    has_bucket = all(values.get(key) is not None for key in bucket)
    if not (has_single or has_bucket):
        missing_single = [k for k in single if values.get(k) is None]
        missing_bucket = [k for k in bucket if values.get(k) is None]
        raise ValueError(
            f"a reading needs {' + '.join(single)} (missing {', '.join(missing_single)}) "
            f"or a bucket needs {' + '.join(bucket)} (missing {', '.join(missing_bucket)})"
        )


class HeartRate(Record):
    """`heart_rate`: one reading (ts + bpm) or a bucket (created_at, ended_at, metrics)."""

    device_id: Id
    ts: Timestamp | None = None
    bpm: float | None = None
    confidence: int | None = Field(default=None, ge=0, le=3)
    activity_id: Id | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    created_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    # Only the envelope is checked at the edge: one bad reading must not reject its whole
    # bucket, so each metric is checked in silver and quarantined on its own (HeartRateMetric).
    metrics: list[dict[str, Any]] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        _check_shape(self, ("ts", "bpm"))
        return self


class Steps(Record):
    """`steps`: one reading (ts + steps) or a bucket (created_at, ended_at, metrics)."""

    device_id: Id
    ts: Timestamp | None = None
    steps: float | None = None
    created_at: Timestamp | None = None
    ended_at: Timestamp | None = None
    metrics: list[dict[str, Any]] | None = None  # checked per metric in silver (StepsMetric)

    @model_validator(mode="after")
    def _one_shape(self) -> Self:
        _check_shape(self, ("ts", "steps"))
        return self
