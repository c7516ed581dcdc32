"""Reading the lake's Delta tables with DuckDB, for the SQL prompt, exports and tests.

Tables are read from the parquet files of their current Delta version (DeltaTable.file_uris),
which DuckDB scans natively and in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from wearhouse.lake.paths import LAYERS, table_path
from wearhouse.settings import Settings, get_settings


def open_table(layer: str, name: str, settings: Settings) -> DeltaTable | None:
    """The Delta table lake/<layer>/<name> at its current version, or None when not built yet."""
    try:
        return DeltaTable(str(table_path(layer, name, settings)))
    except TableNotFoundError:
        return None


def table_versions(layer: str, names: Iterable[str], settings: Settings) -> dict[str, int | None]:
    """The current Delta version of each named table of a layer (None when not built yet)."""
    found = {name: open_table(layer, name, settings) for name in names}
    return {name: None if table is None else table.version() for name, table in found.items()}


def scan_sql(table: DeltaTable) -> str | None:
    """A DuckDB expression reading the table's current version, or None when it has no files."""
    return _scan_files(table, table.file_uris())


def _scan_files(table: DeltaTable, files: list[str]) -> str | None:
    if not files:
        return None
    quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    hive = "true" if table.metadata().partition_columns else "false"
    return f"read_parquet([{quoted}], hive_partitioning = {hive}, union_by_name = true)"


def register(
    con: duckdb.DuckDBPyConnection,
    view: str,
    table: DeltaTable,
    files: list[str] | None = None,
) -> None:
    """Create (or replace) a view named `view` over the Delta table's current version.

    The view names the files themselves, so it can be stored in a database file and read by
    another process (dbt reads bronze that way); an empty table becomes a typed empty view.
    `files`, when given, restricts the view to those data files of the table.
    """
    source = scan_sql(table) if files is None else _scan_files(table, files)
    if source is None:
        empty = pa.schema(table.schema().to_arrow()).empty_table()
        con.register("_empty_delta_table", empty)
        columns = con.sql("describe select * from _empty_delta_table").fetchall()
        con.unregister("_empty_delta_table")
        typed = ", ".join(f"null::{ctype} as {name}" for name, ctype, *_ in columns)
        source = f"(select {typed} where false)"
    con.execute(f"create or replace view {view} as select * from {source}")


def connect(
    settings: Settings | None = None, layers: tuple[str, ...] = LAYERS
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a schema per layer and a view per published Delta table."""
    settings = settings or get_settings()
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for layer in layers:
        con.execute(f"create schema if not exists {layer}")
        root = settings.lake / layer
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.iterdir() if (p / "_delta_log").is_dir()):
            name = path.name.lstrip("_") if layer == "bronze" else path.name
            register(con, f"{layer}.{name}", DeltaTable(str(path)))
    return con


def read_table(layer: str, name: str, settings: Settings | None = None) -> pa.Table:
    """One whole Delta table as an Arrow table (tests and small exports)."""
    path = table_path(layer, name, settings)
    try:
        table = DeltaTable(str(path))
    except TableNotFoundError:
        raise FileNotFoundError(
            f"{layer}.{name} has not been built yet ({path}): run `wearhouse transform`"
        ) from None
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    register(con, "t", table)
    return con.sql("select * from t").to_arrow_table()
