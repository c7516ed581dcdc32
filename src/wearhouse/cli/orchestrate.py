"""`wearhouse orchestrate`: the Dagster UI and daemon over this Wearhouse home."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from wearhouse.cli.output import console
from wearhouse.settings import Settings, get_settings

MODULE = "wearhouse.orchestration.definitions"
INSTANCE_YAML = """\
# Written by `wearhouse orchestrate`; edit freely, it is not overwritten.
concurrency:
  runs:
    # dbt builds one warehouse file: one transform at a time, the others wait in the queue.
    tag_concurrency_limits:
      - key: wearhouse/transform
        limit: 1
telemetry:
  enabled: false
"""


def orchestrate(
    host: Annotated[str, typer.Option(help="Address the Dagster UI listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the Dagster UI.")] = 3000,
) -> None:
    """Start the Dagster UI and daemon (`dagster dev`): asset graph, runs, schedules, sensor, backfills."""
    settings = get_settings()
    env = environment(settings)
    console.print(
        f"Dagster UI on http://{host}:{port} (instance in {env['DAGSTER_HOME']}); "
        "Ctrl-C stops the UI and the daemon."
    )
    command = [sys.executable, "-m", "dagster", "dev", "-m", MODULE, "--host", host]
    command += ["--port", str(port)]
    with subprocess.Popen(command, env=env) as child:
        # A service manager stops us with SIGTERM: dagster dev then stops its webserver, daemon
        # and code servers as on Ctrl-C, instead of leaving them running.
        signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGINT))
        try:
            code = child.wait()
        except KeyboardInterrupt:
            # The terminal sent SIGINT to dagster dev too; let it stop its webserver and daemon.
            code = child.wait()
    raise typer.Exit(code)


def environment(settings: Settings) -> dict[str, str]:
    """The environment of `dagster dev`: this home, and a Dagster instance kept under it."""
    dagster_home = instance_dir(settings)
    dagster_home.mkdir(parents=True, exist_ok=True)
    instance = dagster_home / "dagster.yaml"
    if not instance.exists():
        instance.write_text(INSTANCE_YAML)
    return {
        **os.environ,
        "WEARHOUSE_HOME": str(settings.home.resolve()),
        "DAGSTER_HOME": str(dagster_home),
    }


def instance_dir(settings: Settings) -> Path:
    """Where Dagster keeps its runs, schedules' ticks and the sensor's cursor."""
    return settings.home.resolve() / "dagster"
