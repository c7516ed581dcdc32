"""Publish the silver and gold tables dbt built to Delta Lake, so any Delta reader can use them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from deltalake import write_deltalake

from wearhouse.lake.paths import table_path
from wearhouse.settings import Settings

PUBLISHED_LAYERS = ("silver", "gold")
BATCH_ROWS = 1_000_000


@dataclass
class PublishReport:
    """Which tables got a new Delta version and which were already up to date."""

    written: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)


def publish(settings: Settings) -> PublishReport:
    """Write every changed silver and gold table to lake/<layer>/<table>; unchanged ones are skipped."""
    state_file = settings.home.resolve() / "state" / "published.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    report = PublishReport()
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        for layer, table in _tables(con):
            key = f"{layer}.{table}"
            fingerprint = _fingerprint(con, key)
            path = table_path(layer, table, settings)
            if state.get(key) == fingerprint and (path / "_delta_log").is_dir():
                report.unchanged.append(key)
                continue
            report.written[key] = _write(con, key, path)
            state[key] = fingerprint
    finally:
        con.close()
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(state, indent=2, sort_keys=True))
    return report


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


def _write(con: duckdb.DuckDBPyConnection, key: str, path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    reader = con.sql(f"select * from {key}").to_arrow_reader(BATCH_ROWS)
    write_deltalake(str(path), reader, mode="overwrite", schema_mode="overwrite")
    [(count,)] = con.execute(f"select count(*) from {key}").fetchall()
    return int(count)
