"""One typed Settings object for Wearhouse, read from the environment (WEARHOUSE_<SECTION>__<KEY>)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseModel):
    """How the embedded DuckDB engine may use the machine."""

    threads: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)
    memory_limit: str = "6GB"
    # dbt models and tests run at once: the small nodes of an incremental run overlap.
    dbt_threads: int = Field(default=2, ge=1)


class IngestSettings(BaseModel):
    """How records reach bronze."""

    # Records per Delta commit when ingesting files; bigger commits mean fewer, larger files.
    batch_records: int = Field(default=50_000, ge=1)
    # HTTP: requests arriving within this window share one Delta commit.
    commit_window_ms: float = Field(default=2.0, ge=0)
    # HTTP: groups being committed at once; the next group's Parquet is written while the
    # previous group's commit is still on its way to disk.
    commits_in_flight: int = Field(default=2, ge=1)
    # HTTP: records waiting for a commit; beyond it requests get 503 with Retry-After.
    max_queued_records: int = Field(default=500_000, ge=1)
    # HTTP: largest accepted request body (after gzip decoding), in bytes.
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # HTTP: how long an Idempotency-Key is remembered.
    idempotency_hours: float = Field(default=24.0, gt=0)
    # Services: compact a bronze table's partitions after this many commits to it (0: never).
    compact_every_commits: int = Field(default=100, ge=0)
    # Services: compaction writes files of about this size; a file as large is not rewritten again.
    compact_file_mb: int = Field(default=8, ge=1)


class ServeSettings(BaseModel):
    """The HTTP service (`wearhouse serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    # Local demos only: every request acts as admin.
    no_auth: bool = False
    # Live feed: Redis pub/sub shared by several API processes (and broker consumers); unset means
    # an in-process feed, e.g. redis://127.0.0.1:6379/0.
    redis_url: str | None = None
    # Live feed: the Redis pub/sub channel; deployments sharing one Redis use one channel each.
    live_channel: str = Field(default="wearhouse:live", min_length=1)
    # Live feed: frames held per WebSocket client before the oldest are dropped (it gets a lag frame).
    live_queue_frames: int = Field(default=10_000, ge=1)
    # Live feed: wall-clock seconds without readings before a device that was sending is silent.
    live_silent_after_s: float = Field(default=300.0, gt=0)


class Settings(BaseSettings):
    """All Wearhouse configuration; environment first, e.g. WEARHOUSE_HOME, WEARHOUSE_ENGINE__THREADS."""

    model_config = SettingsConfigDict(
        env_prefix="WEARHOUSE_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Path(".wearhouse")
    engine: EngineSettings = EngineSettings()
    ingest: IngestSettings = IngestSettings()
    serve: ServeSettings = ServeSettings()

    @property
    def lake(self) -> Path:
        return self.home.resolve() / "lake"

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file dbt builds in; silver and gold are published from it to Delta."""
        return self.home.resolve() / "warehouse.duckdb"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call get_settings.cache_clear() after changing env."""
    return Settings()
