"""`wearhouse serve`: HTTP ingestion, the query API over gold, the live feed and the dashboard."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from wearhouse.cli.output import errors
from wearhouse.settings import get_settings


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [default: 8000].")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes [default: 1].")
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Local demos only: accept requests without a token.")
    ] = False,
) -> None:
    """Serve ingestion (POST /v1/ingest/{stream}), the query API over gold, the live feed
    (WS /v1/live), the dashboard (/), /health, /metrics and /docs."""
    import uvicorn

    settings = get_settings()
    host = host or settings.serve.host
    port = port or settings.serve.port
    workers = workers or settings.serve.workers
    if no_auth:
        os.environ["WEARHOUSE_SERVE__NO_AUTH"] = "true"
        errors.print(
            "[bold red]WARNING: --no-auth: every request is accepted as admin, without a token. "
            "Use it only for a local demo, never on a network.[/]"
        )
    elif not (settings.home.resolve() / "tokens.json").exists():
        errors.print(
            "[yellow]No tokens yet: create one with `wearhouse token create --role device`.[/]"
        )
    os.environ["WEARHOUSE_HOME"] = str(settings.home.resolve())
    # The app factory reads the settings again: in this process too (one worker), not a cached copy.
    get_settings.cache_clear()
    uvicorn.run(
        "wearhouse.ingest.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
    )
