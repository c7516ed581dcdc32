"""`wearhouse sql`: read-only SQL over the lake's Delta tables."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import duckdb
import typer

from wearhouse.cli.output import arrow_table, console, errors, render
from wearhouse.settings import get_settings


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def sql(
    query: Annotated[str, typer.Argument(help="A SELECT over silver.<table> and gold.<table>.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Run read-only SQL over the silver and gold tables, e.g. "select * from gold.user_daily limit 5"."""
    from wearhouse.lake import read

    try:
        check_read_only(query)
        con = read.connect(get_settings(), layers=("silver", "gold"))
        result = con.sql(query).to_arrow_table()
    except (duckdb.Error, ValueError) as exc:
        errors.print(f"[red]error:[/] {exc}", markup=True)
        raise typer.Exit(2) from None
    if format is Format.table:
        console.print(arrow_table(result))
    else:
        print(render(result, format.value))


def check_read_only(query: str) -> None:
    """Refuse anything but SELECT statements (and EXPLAIN of them)."""
    allowed = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
    statements = duckdb.extract_statements(query)
    if not statements:
        raise ValueError("no SQL statement given")
    for statement in statements:
        if statement.type not in allowed:
            raise ValueError(
                f"only SELECT queries are allowed here (got {statement.type.name}); "
                "the lake is changed by ingest, transform and erase-user"
            )
