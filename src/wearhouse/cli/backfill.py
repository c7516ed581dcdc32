"""`wearhouse backfill`: rebuild gold for a range of days, partition by partition."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from wearhouse.cli.output import console, errors, steps_progress
from wearhouse.errors import TerminalError
from wearhouse.orchestration.backfill import BackfillReport, By
from wearhouse.settings import get_settings


def backfill(
    start: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="First day to rebuild (YYYY-MM-DD, UTC).")
    ],
    end: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="Last day to rebuild, inclusive.")
    ],
    by: Annotated[
        By, typer.Option(help="One transform per day, or per calendar month for long ranges.")
    ] = By.day,
) -> None:
    """Rebuild gold (daily, weekly and monthly facts) for the days START..END from silver, in order."""
    from wearhouse.orchestration import backfill as service

    settings = get_settings()
    began = time.perf_counter()
    try:
        planned = service.plan(settings, start.date(), end.date(), by)
        with steps_progress() as progress:
            task = progress.add_task("Backfilling", total=len(planned.partitions))

            label = "Backfilling"

            def on_partition(index: int, first: date, last: date) -> None:
                nonlocal label
                label = f"Rebuilding {_label(first, last)}"
                progress.update(task, completed=index, description=label)
                progress.console.print(f"{label} ({index + 1}/{len(planned.partitions)})")

            def on_node(event: str, node: str) -> None:
                if event == "start":
                    progress.update(task, description=f"{label}: {node}")

            report = service.backfill(settings, planned, on_partition=on_partition, on_node=on_node)
            progress.update(task, completed=len(planned.partitions))
    except TerminalError as exc:
        errors.print(f"[red]backfill failed:[/] {exc}", markup=True)
        raise typer.Exit(1) from None
    print_summary(report, time.perf_counter() - began)


def _label(first: date, last: date) -> str:
    return str(first) if first == last else f"{first} to {last}"


def print_summary(report: BackfillReport, seconds: float) -> None:
    """One line per rebuilt partition, then the totals."""
    table = Table(title="Backfill", title_justify="left", header_style="bold cyan")
    for column in ("days", "seconds", "tables published", "tests passed"):
        table.add_column(column, justify="left" if column == "days" else "right")
    for part in report.partitions:
        statuses = list(part.report.dbt.statuses.values())
        table.add_row(
            _label(part.first, part.last),
            f"{part.seconds:.1f}",
            str(len(part.report.published.written)),
            str(statuses.count("pass")),
        )
    console.print(table)
    for first, last in report.skipped:
        console.print(f"[yellow]Skipped {_label(first, last)}: no readings on those days.[/]")
    days = sum((p.last - p.first).days + 1 for p in report.partitions)
    parts = len(report.partitions)
    console.print(
        f"[green]Backfilled[/] {_plural(days, 'day')} in {_plural(parts, 'partition')} "
        f"in {seconds:.1f} s."
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
