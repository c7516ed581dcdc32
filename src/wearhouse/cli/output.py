"""Shared terminal output: one console, Arrow tables as Rich tables, progress bars."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def arrow_table(data: pa.Table, title: str | None = None) -> Table:
    """A Rich table showing every row of an Arrow table."""
    table = Table(title=title, title_justify="left", header_style="bold cyan")
    numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in data.schema]
    for field, right in zip(data.schema, numeric, strict=True):
        table.add_column(field.name, justify="right" if right else "left")
    for row in data.to_pylist():
        table.add_row(*(_cell(v) for v in row.values()))
    return table


def _plain(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def render(data: pa.Table, fmt: str) -> str:
    """An Arrow table as CSV or JSON lines text."""
    rows = data.to_pylist()
    if fmt == "json":
        return "\n".join(
            json.dumps({k: _plain(v) for k, v in r.items()}, default=str) for r in rows
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(data.column_names)
    for r in rows:
        writer.writerow([_plain(v) for v in r.values()])
    return out.getvalue().rstrip("\n")


def bytes_progress() -> Progress:
    """A progress bar for work measured in bytes."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def steps_progress() -> Progress:
    """A progress bar for work counted in steps (users, models)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
