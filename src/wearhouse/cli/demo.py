"""`wearhouse demo`: a synthetic fleet through the real pipeline, then the headline insights."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Annotated

import duckdb
import typer

from wearhouse.cli.ingest import print_report as print_ingest
from wearhouse.cli.output import arrow_table, bytes_progress, console, errors, steps_progress
from wearhouse.cli.transform import print_report as print_transform
from wearhouse.cli.transform import run_with_progress
from wearhouse.errors import TerminalError
from wearhouse.settings import Settings, get_settings


def demo(
    users: Annotated[int, typer.Option(min=1, help="How many people in the fleet.")] = 50,
    days: Annotated[int, typer.Option(min=1, help="How many days of data.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed of the fleet.")] = 7,
    hr_interval: Annotated[
        int, typer.Option(min=1, help="Seconds between heart-rate readings.")
    ] = 30,
    serve: Annotated[bool, typer.Option(help="Keep the API and dashboard up afterwards.")] = False,
) -> None:
    """Generate a fleet, ingest it into bronze, build silver and gold, and print what it shows."""
    from wearhouse.ingest.files import ingest_path
    from wearhouse.lake import read
    from wearhouse.synth import FleetConfig, write_fleet

    settings = get_settings()
    out = settings.home.resolve() / "demo" / f"fleet-{users}x{days}-seed{seed}"
    start = date.today() - timedelta(days=days)
    config = FleetConfig(
        users=users, days=days, seed=seed, start=start, hr_interval_s=hr_interval, with_errors=True
    )
    console.rule(f"[bold]Wearhouse demo[/]: {users} people x {days} days, home {settings.home}")
    with steps_progress() as progress:
        task = progress.add_task("Generating the fleet", total=users)
        write_fleet(config, out, progress=lambda n: progress.advance(task, n))
    started = time.perf_counter()
    with bytes_progress() as progress:
        total = sum(p.stat().st_size for p in out.iterdir())
        task = progress.add_task("Ingesting into bronze", total=total)
        report = ingest_path(out, settings=settings, progress=lambda n: progress.advance(task, n))
    print_ingest(report, time.perf_counter() - started)
    started = time.perf_counter()
    try:
        result = run_with_progress(settings)
    except TerminalError as exc:
        errors.print(f"[red]transform failed:[/] {exc}")
        raise typer.Exit(1) from None
    print_transform(result, settings, time.perf_counter() - started)
    print_insights(read.connect(settings, layers=("gold",)))
    console.print(
        f"\nExplore further: [bold]WEARHOUSE_HOME={settings.home} wearhouse sql "
        '"select * from gold.user_daily limit 10"[/]'
    )
    if serve:
        keep_serving(settings)


def keep_serving(settings: Settings) -> None:
    """Serve the API over the demo's home with a fresh admin token, until Ctrl-C."""
    from wearhouse.auth.tokens import Role, TokenStore
    from wearhouse.cli.serve import serve

    token, _ = TokenStore.for_settings(settings).create(Role.admin)
    base = f"http://{settings.serve.host}:{settings.serve.port}"
    console.rule("[bold]Serving[/]")
    console.print(f"Dashboard: {base}/#token={token}")
    console.print(f"API docs: {base}/docs   health: {base}/health   metrics: {base}/metrics")
    console.print(f"Admin token for this demo (shown once): [bold]{token}[/]")
    console.print(f"Watch data arrive: wearhouse simulate --url {base} --token <token>")
    serve(host=None, port=None, workers=1, no_auth=False)


def print_insights(con: duckdb.DuckDBPyConnection) -> None:
    """The four headline tables of the demo."""
    from wearhouse.serve import queries

    month = queries.latest_month(con)
    if month is None:
        console.print("[yellow]No gold data yet.[/]")
        return
    console.print(
        arrow_table(
            queries.age_groups_for_month(con, month),
            title=f"Sleeping heart rate and monthly steps by age group, {month:%B %Y}",
        )
    )
    user = queries.busiest_user(con)
    if user:
        console.print(
            arrow_table(queries.user_daily(con, user), title=f"User {user}: the last 30 days")
        )
    console.print(arrow_table(queries.workout_summary(con), title="Latest workouts: heart rate"))
    console.print(
        arrow_table(queries.gym_summary(con), title="Gyms: time inside and time exercising")
    )
