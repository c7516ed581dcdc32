"""Durable blind appends to a partitioned Delta table: Parquet files fsynced, then one log entry.

Bronze is written by many small appends (every group commit of the HTTP service, every broker
batch), and each must be on disk before it is acknowledged. delta-rs's `write_deltalake` does not
fsync what it writes, and its append costs more the more files the table holds, since it refreshes
its snapshot of the table after each commit (measured in one process on 29,000-row appends: 14 ms
per commit after 100 commits, 32 ms after 300; `create_write_transaction` 33 ms, then 85 ms).

An append here follows the Delta protocol's own recipe instead, at a cost that does not grow:

1. each partition's rows go to a new Parquet file (pyarrow), which is fsynced with its directory;
2. the commit, a `commitInfo` and one `add` action per file with its statistics, is written to a
   temporary file in `_delta_log` and fsynced;
3. it is published as the next version with a hard link, which fails if another writer took that
   version first: the append then moves on to the next version (blind appends never conflict),
   unless that commit changed the table's schema or protocol, which is checked again;
4. `_delta_log` is fsynced, and every `checkpointInterval` versions a checkpoint is written in the
   background by delta-rs so readers need not replay the whole log.

delta-rs's local store publishes commits with the same primitive, so both kinds of writers (and
delta-rs's OPTIMIZE) take turns safely. Tables whose protocol needs more than writer version 2 are
appended to with `write_deltalake`, without these guarantees' speed but with its correctness.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable

log = logging.getLogger(__name__)

CHECKPOINT_INTERVAL = 100
"""Delta's default `delta.checkpointInterval`."""
try:
    CLIENT = f"wearhouse-{package_version('wearhouse')}"
except PackageNotFoundError:  # running from a source tree that is not installed
    CLIENT = "wearhouse"
MAX_WRITER_VERSION = 2
"""Writer version 2 adds column invariants and append-only tables; a blind append honours both."""


class UnsupportedTable(Exception):
    """The table needs a writer feature this appender does not implement."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _timestamp_stat(value: datetime, *, upper: bool) -> str:
    """Delta keeps timestamp statistics to the millisecond: the minimum is cut down to it and the
    maximum rounded up, so no reader skips a file whose rows fall within the cut-off part."""
    value = value.astimezone(UTC)
    if upper and value.microsecond % 1000:
        value += timedelta(microseconds=1000 - value.microsecond % 1000)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _stat(value: Any, *, upper: bool) -> Any:
    if isinstance(value, datetime):
        return _timestamp_stat(value, upper=upper)
    if isinstance(value, date):
        return value.isoformat()
    return value


def file_stats(table: pa.Table, columns: list[str]) -> str:
    """The `stats` of an add action: row count, and min, max and null count of `columns`."""
    low: dict[str, Any] = {}
    high: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    for name in columns:
        column = table.column(name)
        nulls[name] = column.null_count
        if column.null_count == len(column):
            continue
        bounds = pc.min_max(column)
        low[name] = _stat(bounds["min"].as_py(), upper=False)
        high[name] = _stat(bounds["max"].as_py(), upper=True)
    return json.dumps(
        {"numRecords": table.num_rows, "minValues": low, "maxValues": high, "nullCount": nulls},
        separators=(",", ":"),
    )


class DeltaAppender:
    """Appends to one Delta table partitioned by a single column; safe to share between threads.

    `plain` columns (large, distinct values such as JSON payloads) are written without a
    dictionary and without statistics; the others get both, and their statistics go into the log.
    """

    def __init__(self, path: Path, partition_column: str, plain: frozenset[str]) -> None:
        self.path = path
        self.log_dir = path / "_delta_log"
        self.partition_column = partition_column
        self.plain = plain
        self._lock = threading.Lock()
        self._version = self._check(DeltaTable(str(path)))

    def _check(self, table: DeltaTable) -> int:
        protocol = table.protocol()
        if protocol.min_writer_version > MAX_WRITER_VERSION or protocol.writer_features:
            raise UnsupportedTable(
                f"{self.path} needs Delta writer version {protocol.min_writer_version}"
                f" (features {protocol.writer_features or []})"
            )
        partitions = table.metadata().partition_columns
        if partitions != [self.partition_column]:
            raise UnsupportedTable(f"{self.path} is partitioned by {partitions}")
        self._fields = {f.name for f in table.schema().to_arrow()}
        self._interval = int(
            table.metadata().configuration.get("delta.checkpointInterval", CHECKPOINT_INTERVAL)
        )
        return table.version()

    def append(self, table: pa.Table, commit_metadata: Mapping[str, str] | None = None) -> int:
        """Write `table` (with its partition column) as one commit; returns the version."""
        if set(table.column_names) != self._fields:
            raise UnsupportedTable(
                f"rows with columns {table.column_names} do not match {self.path}'s schema"
            )
        adds = [self._write_file(part, value) for value, part in self._partitions(table)]
        return self._commit(adds, table.num_rows, commit_metadata or {})

    def _partitions(self, table: pa.Table) -> list[tuple[Any, pa.Table]]:
        column = table.column(self.partition_column)
        rest = table.drop_columns([self.partition_column])
        values = column.unique().to_pylist()
        if len(values) <= 1:
            return [(values[0] if values else None, rest)]
        return [(v, rest.filter(pc.equal(column, v))) for v in values]

    def _write_file(self, rows: pa.Table, value: Any) -> dict[str, Any]:
        text = _stat(value, upper=False)
        part = f"{self.partition_column}={text}"
        folder = self.path / part
        folder.mkdir(exist_ok=True)
        name = f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
        indexed = [c for c in rows.column_names if c not in self.plain]
        with open(folder / name, "wb") as handle:
            pq.write_table(
                rows,
                handle,
                compression="snappy",
                use_dictionary=indexed,
                write_statistics=indexed,
            )
            handle.flush()
            os.fsync(handle.fileno())
            size = handle.tell()
        _fsync_dir(folder)
        return {
            "add": {
                "path": f"{part}/{name}",
                "partitionValues": {self.partition_column: text},
                "size": size,
                "modificationTime": int(time.time() * 1000),
                "dataChange": True,
                "stats": file_stats(rows, indexed),
            }
        }

    def _commit(self, adds: list[dict[str, Any]], rows: int, metadata: Mapping[str, str]) -> int:
        info = {
            "timestamp": int(time.time() * 1000),
            "operation": "WRITE",
            "operationParameters": {
                "mode": "Append",
                "partitionBy": json.dumps([self.partition_column]),
            },
            "clientVersion": CLIENT,
            "operationMetrics": {"num_added_files": len(adds), "num_added_rows": rows},
            **metadata,
        }
        lines = [json.dumps({"commitInfo": info}, separators=(",", ":"))]
        lines += [json.dumps(add, separators=(",", ":")) for add in adds]
        staged = self.log_dir / f"_commit_{uuid.uuid4()}.json.tmp"
        with open(staged, "w") as handle:
            handle.write("\n".join(lines) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            with self._lock:
                version = self._publish(staged)
        finally:
            staged.unlink(missing_ok=True)
        _fsync_dir(self.log_dir)
        if version % self._interval == 0:
            _checkpoint(self.path, version)
        return version

    def _publish(self, staged: Path) -> int:
        version = self._version + 1
        if not (self.log_dir / f"{version - 1:020d}.json").exists():
            # The table was replaced since it was opened (or its log moved on past a cleanup):
            # read its version again rather than leave a gap in the log.
            version = self._check(DeltaTable(str(self.path))) + 1
        while True:
            target = self.log_dir / f"{version:020d}.json"
            try:
                os.link(staged, target)
            except FileExistsError:
                # Another writer took this version. Appends commute with appends and with
                # OPTIMIZE; a new schema or protocol must be checked before writing after it.
                text = target.read_text()
                if '{"metaData"' in text or '{"protocol"' in text:
                    self._check(DeltaTable(str(self.path)))
                version += 1
                continue
            self._version = version
            return version


_CHECKPOINTS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wearhouse-checkpoint")


def _checkpoint(path: Path, version: int) -> None:
    """Write a checkpoint of `path` at (or after) `version`, off the committing thread."""

    def run() -> None:
        try:
            DeltaTable(str(path)).create_checkpoint()
        except Exception:  # a checkpoint only speeds up reads: the log stays complete
            log.exception("checkpoint of %s after version %d failed", path, version)

    _CHECKPOINTS.submit(run)
