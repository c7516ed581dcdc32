"""The `wearhouse` Typer application: one module per noun, wired here."""

from __future__ import annotations

import typer

from wearhouse.cli.backfill import backfill
from wearhouse.cli.consume import consume
from wearhouse.cli.demo import demo
from wearhouse.cli.generate import generate
from wearhouse.cli.importers import import_app
from wearhouse.cli.ingest import ingest
from wearhouse.cli.orchestrate import orchestrate
from wearhouse.cli.serve import serve
from wearhouse.cli.simulate import simulate
from wearhouse.cli.sql import sql
from wearhouse.cli.token import app as token_app
from wearhouse.cli.transform import transform

app = typer.Typer(
    name="wearhouse",
    help="Wearhouse: a lakehouse for wearable and IoT health data (bronze -> silver -> gold).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.command()(demo)
app.command()(generate)
app.command()(ingest)
app.command()(transform)
app.command()(backfill)
app.command()(orchestrate)
app.command()(sql)
app.command()(serve)
app.command()(simulate)
app.command()(consume)
app.add_typer(token_app, name="token")
app.add_typer(import_app, name="import")


if __name__ == "__main__":
    app()
