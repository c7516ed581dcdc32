"""The `wearhouse` Typer application: one module per noun, wired here."""

from __future__ import annotations

import typer

from wearhouse.cli.demo import demo
from wearhouse.cli.generate import generate
from wearhouse.cli.ingest import ingest
from wearhouse.cli.sql import sql
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
app.command()(sql)


if __name__ == "__main__":
    app()
