"""`wearhouse generate`: synthetic fleet files in the stream formats."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from wearhouse.cli.output import arrow_table, console, steps_progress


def generate(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write the stream files to.")
    ] = Path("fleet"),
    users: Annotated[int, typer.Option(min=1, help="How many people.")] = 50,
    days: Annotated[int, typer.Option(min=1, help="How many days of data.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 7,
    start: Annotated[
        str | None, typer.Option(help="First day, YYYY-MM-DD (default: `days` days ago).")
    ] = None,
    hr_interval: Annotated[
        int, typer.Option(min=1, help="Seconds between heart-rate readings.")
    ] = 30,
    with_errors: Annotated[
        bool, typer.Option(help="Add a few bad records that must be quarantined.")
    ] = False,
) -> None:
    """Generate a realistic, seeded fleet of users, devices and readings as stream files."""
    import pyarrow as pa

    from wearhouse.synth import FleetConfig, write_fleet

    first = (
        date.fromisoformat(start)
        if start
        else date.today().fromordinal(date.today().toordinal() - days)
    )
    config = FleetConfig(
        users=users,
        days=days,
        seed=seed,
        start=first,
        hr_interval_s=hr_interval,
        with_errors=with_errors,
    )
    with steps_progress() as progress:
        task = progress.add_task("Generating users", total=users)
        counts = write_fleet(config, out, progress=lambda n: progress.advance(task, n))
    rows = pa.table({"what": list(counts), "count": [int(v) for v in counts.values()]})
    console.print(arrow_table(rows, title=f"Wrote {out}"))
