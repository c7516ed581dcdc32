"""The append-only bronze layer: every record exactly as received, with where and when it came."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from deltalake import (
    ColumnProperties,
    CommitProperties,
    DeltaTable,
    WriterProperties,
    write_deltalake,
)
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from wearhouse.contracts import STREAMS
from wearhouse.errors import TransientError
from wearhouse.lake.append import DeltaAppender, UnsupportedTable
from wearhouse.lake.compaction import Compactor
from wearhouse.lake.paths import REJECTS, table_path
from wearhouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

_META = [
    pa.field("_stream", pa.string(), nullable=False),
    pa.field("_source", pa.string(), nullable=False),
    pa.field("_batch_id", pa.string(), nullable=False),
    pa.field("_ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("_ingest_date", pa.date32(), nullable=False),
]
BRONZE_SCHEMA = pa.schema([pa.field("payload", pa.string(), nullable=False), *_META])
REJECTS_SCHEMA = pa.schema(
    [
        pa.field("payload", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        *_META,
    ]
)


# Every row's payload is a distinct JSON text: a dictionary page for it would be built only to be
# abandoned, and min/max statistics of JSON text serve no reader. The metadata columns keep both
# (a few values per file; the `_ingested_at` statistics let readers skip files).
PLAIN_COLUMNS = frozenset({"payload", "reason"})
WRITER_PROPERTIES = WriterProperties(
    compression="SNAPPY",
    column_properties={
        name: ColumnProperties(dictionary_enabled=False, statistics_enabled="NONE")
        for name in PLAIN_COLUMNS
    },
)


def new_batch_id() -> str:
    """A fresh, unique id for one bronze commit."""
    return uuid.uuid4().hex


def _schema_for(name: str) -> pa.Schema:
    return REJECTS_SCHEMA if name == REJECTS else BRONZE_SCHEMA


def ensure_tables(settings: Settings | None = None) -> None:
    """Create every bronze table that does not exist yet, so readers never miss one."""
    for name in [*STREAMS, REJECTS]:
        path = table_path("bronze", name, settings)
        try:
            DeltaTable(str(path))
        except TableNotFoundError:
            path.mkdir(parents=True, exist_ok=True)
            try:
                write_deltalake(
                    str(path),
                    _schema_for(name).empty_table(),
                    mode="append",
                    partition_by=["_ingest_date"],
                )
            except CommitFailedError:
                # Another process created it at the same moment: fine, as long as it exists now.
                DeltaTable(str(path))


def batch_id_runs(runs: Sequence[tuple[str, int]]) -> pa.Array:
    """A `_batch_id` column from (batch id, row count) runs, without a Python list of every row's."""
    if not runs:
        return pa.array([], pa.string())
    return pa.concat_arrays([pa.repeat(pa.scalar(b, pa.string()), n) for b, n in runs])


def _metadata(
    n: int, stream: str, source: str, batch_id: str | Sequence[str] | pa.Array, at: datetime
) -> list[pa.Array]:
    if isinstance(batch_id, str):
        batch_ids = pa.repeat(batch_id, n).cast(pa.string())
    elif isinstance(batch_id, pa.Array):
        batch_ids = batch_id
    else:
        batch_ids = pa.array(batch_id, pa.string())
    return [
        pa.repeat(stream, n).cast(pa.string()),
        pa.repeat(source, n).cast(pa.string()),
        batch_ids,
        pa.repeat(pa.scalar(at, pa.timestamp("us", tz="UTC")), n),
        pa.repeat(pa.scalar(at.date(), pa.date32()), n),
    ]


def append(
    stream: str,
    payloads: Sequence[str],
    *,
    source: str,
    batch_id: str | Sequence[str] | pa.Array | None = None,
    settings: Settings | None = None,
    commit_metadata: dict[str, str] | None = None,
) -> str:
    """Commit payloads to lake/bronze/<stream> as one Delta transaction; returns the batch id.

    `batch_id` may be one id for all rows or one per row (requests sharing a group commit, for
    instance as `batch_id_runs`);
    `commit_metadata` is stored in the Delta commit itself, atomically with the rows.
    """
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}: use one of {', '.join(STREAMS)}")
    batch_id = batch_id or new_batch_id()
    if not payloads and not commit_metadata:
        return batch_id if isinstance(batch_id, str) else ""
    at = datetime.now(UTC)
    columns = [
        pa.array(payloads, pa.string()),
        *_metadata(len(payloads), stream, source, batch_id, at),
    ]
    _write(
        "bronze",
        stream,
        pa.Table.from_arrays(columns, schema=BRONZE_SCHEMA),
        settings,
        commit_metadata,
    )
    return batch_id if isinstance(batch_id, str) else ""


def append_rejected(
    stream: str,
    rejected: Sequence[tuple[str, str]],
    *,
    source: str,
    batch_id: str | Sequence[str] | pa.Array,
    settings: Settings | None = None,
    commit_metadata: dict[str, str] | None = None,
) -> None:
    """Keep records refused at the edge, (payload, reason) pairs, so silver.quarantine shows them."""
    if not rejected and not commit_metadata:
        return
    at = datetime.now(UTC)
    payloads = pa.array([p for p, _ in rejected], pa.string())
    reasons = pa.array([r for _, r in rejected], pa.string())
    meta = _metadata(len(rejected), stream, source, batch_id, at)
    table = pa.Table.from_arrays([payloads, reasons, *meta], schema=REJECTS_SCHEMA)
    _write("bronze", REJECTS, table, settings, commit_metadata)


# Open tables, so that each append reads only the commits since the last one instead of
# replaying the table's log; delta-rs retries a commit that another writer got to first.
_OPEN: dict[str, DeltaTable] = {}
_APPENDERS: dict[str, DeltaAppender | None] = {}
_OPEN_LOCK = threading.Lock()
_FALLBACK_LOCK = threading.Lock()
_COMPACTOR: Compactor | None = None


def start_compaction(settings: Settings) -> None:
    """Compact bronze tables in the background as this process commits to them (long-lived writers
    such as `wearhouse serve` and `wearhouse consume`); see wearhouse.lake.compaction."""
    global _COMPACTOR
    every = settings.ingest.compact_every_commits
    if _COMPACTOR is None and every > 0:
        _COMPACTOR = Compactor(
            every,
            settings.home.resolve() / "state" / "locks",
            WRITER_PROPERTIES,
            target_bytes=settings.ingest.compact_file_mb * 1024 * 1024,
        )


def stop_compaction() -> None:
    """Let a compaction under way finish, then stop compacting."""
    global _COMPACTOR
    if _COMPACTOR is not None:
        compactor, _COMPACTOR = _COMPACTOR, None
        compactor.close()


def _open_table(path: Path) -> DeltaTable | str:
    key = str(path)
    with _OPEN_LOCK:
        table = _OPEN.get(key)
        if table is None:
            try:
                table = _OPEN[key] = DeltaTable(key)
            except TableNotFoundError:
                return key
        return table


def _appender(path: Path) -> DeltaAppender | None:
    """The durable appender of the table at `path`, or None if the table does not exist yet or
    needs a Delta writer feature it lacks (then `write_deltalake` appends instead)."""
    key = str(path)
    with _OPEN_LOCK:
        if key in _APPENDERS:
            return _APPENDERS[key]
        try:
            appender = _APPENDERS[key] = DeltaAppender(path, "_ingest_date", PLAIN_COLUMNS)
        except TableNotFoundError:
            return None
        except UnsupportedTable as exc:
            _leave_to_delta_rs(key, exc)
            return None
        return appender


def _leave_to_delta_rs(key: str, why: UnsupportedTable) -> None:
    """From now on append to this table with write_deltalake (call with _OPEN_LOCK held)."""
    log.warning("%s; appending with write_deltalake instead", why)
    _APPENDERS[key] = None


def _write(
    layer: str,
    name: str,
    table: pa.Table,
    settings: Settings | None,
    commit_metadata: dict[str, str] | None = None,
) -> None:
    path = table_path(layer, name, settings or get_settings())
    try:
        appender = _appender(path)
        if appender is not None:
            try:
                appender.append(table, commit_metadata)
            except UnsupportedTable as exc:  # a writer changed the table under us
                with _OPEN_LOCK:
                    _leave_to_delta_rs(str(path), exc)
                appender = None
        if appender is None:
            path.mkdir(parents=True, exist_ok=True)
            properties = (
                CommitProperties(custom_metadata=commit_metadata) if commit_metadata else None
            )
            with _FALLBACK_LOCK:  # one shared DeltaTable: its appends take turns
                write_deltalake(
                    _open_table(path),
                    table,
                    mode="append",
                    partition_by=["_ingest_date"],
                    writer_properties=WRITER_PROPERTIES,
                    commit_properties=properties,
                )
    except OSError as exc:  # disk full, permissions, a vanished mount: worth retrying later
        raise TransientError(f"could not commit {table.num_rows} rows to {path}: {exc}") from exc
    if _COMPACTOR is not None and table.num_rows:
        _COMPACTOR.committed(path, set(table.column("_ingest_date").unique().to_pylist()))
