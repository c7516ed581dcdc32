"""`wearhouse transform`: bronze -> silver -> gold with dbt."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from wearhouse.cli.output import arrow_table, console, errors, steps_progress
from wearhouse.errors import TerminalError
from wearhouse.settings import Settings, get_settings
from wearhouse.transform.service import TransformReport


def transform(
    full_refresh: Annotated[bool, typer.Option(help="Rebuild every table from bronze.")] = False,
    select: Annotated[
        str | None, typer.Option(help="dbt selection, e.g. 'gold' or '+user_daily'.")
    ] = None,
) -> None:
    """Build silver and gold from bronze with dbt (models, seeds, tests) and publish them to Delta."""
    settings = get_settings()
    started = time.perf_counter()
    try:
        report = run_with_progress(settings, full_refresh=full_refresh, select=select)
    except TerminalError as exc:
        errors.print(f"[red]transform failed:[/] {exc}", markup=True)
        raise typer.Exit(1) from None
    print_report(report, settings, time.perf_counter() - started)


def run_with_progress(
    settings: Settings, *, full_refresh: bool = False, select: str | None = None
) -> TransformReport:
    """Run the transform with a progress bar advancing per dbt node."""
    from wearhouse.transform.service import transform as run

    with steps_progress() as progress:
        task = progress.add_task("Transforming", total=None)

        def on_node(event: str, node: str) -> None:
            if event == "total":
                progress.update(task, total=int(node))
            elif event == "start":
                progress.update(task, description=f"Building {node}")
            else:
                progress.advance(task)

        return run(settings, full_refresh=full_refresh, select=select, on_node=on_node)


def print_report(report: TransformReport, settings: Settings, seconds: float) -> None:
    """What was built and published, and what was quarantined."""
    from wearhouse.lake import read
    from wearhouse.serve import queries

    statuses = list(report.dbt.statuses.values())
    published = report.published
    if report.incremental:
        new = ", ".join(f"{n:,} {s}" for s, n in report.new_records.items() if n) or "none"
        console.print(
            f"Incremental run: new bronze records: {new}; "
            f"{report.affected_user_days or 0:,} user-days recomputed."
        )
    else:
        console.print(
            f"Full refresh ({report.full_refresh_reason}): every table rebuilt from bronze."
        )
    console.print(
        f"[green]Transformed[/] in {seconds:.1f} s: {sum(s in ('OK', 'success') for s in statuses)} models and seeds built, "
        f"{statuses.count('pass')} tests passed, {statuses.count('warn')} warnings; "
        f"{len(published.written)} tables published, {len(published.unchanged)} unchanged."
    )
    con = read.connect(settings, layers=("silver",))
    quarantined = queries.quarantine_counts(con)
    if quarantined.num_rows:
        total = sum(quarantined.column("records").to_pylist())
        console.print(
            arrow_table(quarantined, title=f"Quarantined {total:,} records (silver.quarantine)")
        )
