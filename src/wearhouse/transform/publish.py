"""Publish the silver and gold tables dbt built to Delta Lake, so any Delta reader can use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from wearhouse.lake import read
from wearhouse.lake.paths import table_path
from wearhouse.settings import Settings

PUBLISHED_LAYERS = ("silver", "gold")
BATCH_ROWS = 1_000_000
MERGED_TABLES = {
    "silver.heart_rate": "intermediate.int_heart_rate_validated",
    "silver.steps": "intermediate.int_steps_validated",
}
"""Tables too large to rewrite each run: an incremental publish appends the rows that came from
the run's new readings, which that intermediate table holds."""
PUBLISH_THREADS = 2
"""Tables written at once: the big append's Parquet encoding (in delta-rs, without the GIL)
overlaps with the small tables' queries and commits."""
PublishCallback = Callable[[str, int], None]
"""Called with (layer.table, rows written) after each table that got a new Delta version."""


@dataclass
class PublishReport:
    """Which tables got a new Delta version and which were already up to date."""

    written: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)


def publish(
    settings: Settings, *, incremental: bool = False, on_table: PublishCallback | None = None
) -> PublishReport:
    """Write every changed silver and gold table to lake/<layer>/<table>; unchanged ones are skipped.

    On an incremental run the large reading tables get only their new rows appended. A publish
    that dies half-way leaves some tables behind; running it again completes it.
    """
    state_file = settings.home.resolve() / "state" / "published.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    report = PublishReport()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        # The large appends first, so the small tables are written beside them.
        tables = sorted(_tables(con), key=lambda t: f"{t[0]}.{t[1]}" not in MERGED_TABLES)
        with ThreadPoolExecutor(PUBLISH_THREADS, thread_name_prefix="publish") as pool:
            pending = {
                pool.submit(
                    _publish_table, con.cursor(), f"{layer}.{table}",
                    table_path(layer, table, settings), state.get(f"{layer}.{table}"), incremental,
                ): f"{layer}.{table}"
                for layer, table in tables
            }  # fmt: skip
            for future in as_completed(pending):
                key = pending[future]
                try:
                    written, fingerprint = future.result()
                except BaseException:
                    for waiting in pending:  # the tables not started yet wait for the next run
                        waiting.cancel()
                    raise
                if fingerprint is None:
                    state.pop(key, None)  # a fingerprint of the whole table is no longer kept
                else:
                    state[key] = fingerprint
                if written is None:
                    report.unchanged.append(key)
                else:
                    report.written[key] = written
                    if on_table:
                        on_table(key, written)
                _save(state_file, state)
    finally:
        con.close()
    _save(state_file, state)
    return report


def _publish_table(
    con: duckdb.DuckDBPyConnection, key: str, path: Path, stored: str | None, incremental: bool
) -> tuple[int | None, str | None]:
    """Publish one table on its own cursor: (rows written or None, the fingerprint to keep)."""
    try:
        con.execute("set TimeZone = 'UTC'")
        if incremental and key in MERGED_TABLES and (path / "_delta_log").is_dir():
            return _append_new_rows(con, key, MERGED_TABLES[key], path), None
        fingerprint = _fingerprint(con, key)
        if stored == fingerprint and (path / "_delta_log").is_dir():
            return None, fingerprint
        return _write(con, f"select * from {key}", path), fingerprint
    finally:
        con.close()


def _save(state_file: Path, state: dict[str, str]) -> None:
    state_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.replace(state_file)


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('silver', 'gold') and table_type = 'BASE TABLE' order by 1, 2"
    ).fetchall()
    return [(schema, name) for schema, name in rows]


def _fingerprint(con: duckdb.DuckDBPyConnection, key: str) -> str:
    # An order-independent digest of every row: equal tables give equal fingerprints.
    [(count, digest)] = con.execute(
        f"select count(*), coalesce(sum(hash(t)), 0) from {key} as t"
    ).fetchall()
    return f"{count}:{digest}"


def _append_new_rows(
    con: duckdb.DuckDBPyConnection, key: str, new_readings: str, path: Path
) -> int | None:
    """Append the rows this run's new readings put in the table that the Delta table lacks.

    Those rows carry the batch id of a new reading: a batch id names one bronze append, so no
    stored row shares it. Their ingestion time, no earlier than the new readings', lets the scan
    skip the row groups of everything older. A new reading that repeats a stored one wrote
    nothing, so it is not looked up. Rows the Delta table already holds are skipped, so a publish
    repeated after a crash appends nothing twice. When a stored row differs (an earlier-ingested
    duplicate arrived late, so it now wins), the table is rewritten whole: correct, and rare.
    """
    valid = f"(select _batch_id, _ingested_at from {new_readings} where _reject_reason is null)"
    [(since,)] = con.execute(f"select min(_ingested_at) from {valid}").fetchall()
    if since is None:
        return None
    con.execute(
        f"create or replace temp view publish_rows as select * from {key} "
        f"where _ingested_at >= '{since.isoformat()}'::timestamptz "
        f"and _batch_id in (select distinct _batch_id from {valid})"
    )
    [(rows, first, last)] = con.execute(
        "select count(*), min(ts), max(ts) from publish_rows"
    ).fetchall()
    if not rows:
        return None
    try:
        source = read.scan_sql(DeltaTable(str(path)))
    except TableNotFoundError:
        source = None
    if source is None:
        return _write(con, f"select * from {key}", path)
    con.execute(
        "create or replace temp table stored_rows as select * from "
        f"(select * from {source}) as published "
        "semi join publish_rows using (device_id, ts) where published.ts between ? and ?",
        [first, last],
    )
    [(stored,)] = con.execute("select count(*) from stored_rows").fetchall()
    if not stored:  # the common case: every key is new to the Delta table
        missing, query = rows, "select * from publish_rows"
    else:  # a publish repeated after a crash, or rows replaced by earlier-ingested copies
        [(differing,)] = con.execute(
            "select count(*) from (select * from stored_rows except select * from publish_rows)"
        ).fetchall()
        if differing:
            return _write(con, f"select * from {key}", path)
        query = "select * from publish_rows anti join stored_rows using (device_id, ts)"
        [(missing,)] = con.execute(f"select count(*) from ({query})").fetchall()
    if not missing:
        return None
    reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
    write_deltalake(str(path), reader, mode="append")
    return int(missing)


def _write(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
    write_deltalake(str(path), reader, mode="overwrite", schema_mode="overwrite")
    [(count,)] = con.execute(f"select count(*) from ({query})").fetchall()
    return int(count)
