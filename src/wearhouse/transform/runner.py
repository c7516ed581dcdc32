"""Run the dbt project against the configured back end, reporting progress node by node."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wearhouse.contracts import STREAMS
from wearhouse.errors import TerminalError
from wearhouse.settings import Settings

PROJECT_DIR = Path(__file__).parent
NodeCallback = Callable[[str, str], None]
"""Called with (event, node name): event is "start", the node's final status, or "total"
(then the second argument is how many nodes the run has)."""


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The environment dbt's profiles.yml reads: the one place settings become a back end."""
    home = settings.home.resolve()
    return {
        "WEARHOUSE_HOME": str(home),
        "WEARHOUSE_TARGET": "duckdb",
        "WEARHOUSE_WAREHOUSE_PATH": str(settings.warehouse_path),
        "WEARHOUSE_ENGINE__THREADS": str(settings.engine.threads),
        "WEARHOUSE_ENGINE__MEMORY_LIMIT": settings.engine.memory_limit,
        "WEARHOUSE_DBT_TARGET": str(home / "dbt" / "target"),
        "DBT_LOG_PATH": str(home / "dbt" / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def register_bronze(settings: Settings) -> None:
    """Point the warehouse's `bronze.<stream>` views at the current files of each bronze Delta table.

    DuckDB then reads bronze natively and in parallel; run before every dbt invocation so that
    records committed since the last run are seen.
    """
    import duckdb
    from deltalake import DeltaTable

    from wearhouse.lake import bronze, read
    from wearhouse.lake.paths import REJECTS, table_path

    bronze.ensure_tables(settings)
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute("create schema if not exists bronze")
        for name in [*STREAMS, REJECTS]:
            read.register(
                con, f"bronze.{name}", DeltaTable(str(table_path("bronze", name, settings)))
            )
    finally:
        con.close()


@dataclass
class DbtOutcome:
    """What one dbt invocation did: node statuses and the failures, with their messages."""

    statuses: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def run_dbt(
    command: list[str], settings: Settings, on_node: NodeCallback | None = None
) -> DbtOutcome:
    """Run dbt (e.g. ["build", "--full-refresh"]) in a child process; raises TerminalError on failure.

    A child process keeps dbt's engine connections and memory out of this process, and can be
    interrupted without leaving it in a half state.
    """
    (settings.home.resolve() / "tmp").mkdir(parents=True, exist_ok=True)
    register_bronze(settings)
    args = [
        sys.executable, "-m", "wearhouse.transform._dbt_child",
        "--log-format", "json", "--log-level", "info",
        *command,
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
    ]  # fmt: skip
    env = {**os.environ, **dbt_environment(settings)}
    outcome = DbtOutcome()
    errors: list[str] = []
    with subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        for line in child.stdout:
            _handle(line, outcome, errors, on_node)
        stderr = child.stderr.read()
    outcome.failures = _failures(Path(env["WEARHOUSE_DBT_TARGET"]) / "run_results.json")
    if child.returncode != 0:
        detail = "\n  ".join(outcome.failures or errors or [stderr.strip()[-2000:]])
        raise TerminalError(
            f"dbt {command[0]} failed:\n  {detail or f'exit code {child.returncode}'}"
        )
    return outcome


def _failures(run_results: Path) -> list[str]:
    """Each failed node of the last run with dbt's message, read from run_results.json."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text()).get("results", [])
    return [
        f"{item['unique_id']}: {(item.get('message') or item['status']).strip()}"
        for item in results
        if item.get("status") in ("error", "fail", "runtime error")
    ]


def _handle(
    line: str, outcome: DbtOutcome, errors: list[str], on_node: NodeCallback | None
) -> None:
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return
    info, data = event.get("info", {}), event.get("data", {})
    name = info.get("name")
    node = data.get("node_info", {})
    if name == "FoundStats" and on_node:
        # "Found 31 models, 1 seed, 60 data tests, ...": what `build` will run, for a progress total.
        counts = re.findall(
            r"(\d+) (models?|seeds?|data tests?|unit tests?|snapshots?)", info.get("msg", "")
        )
        on_node("total", str(sum(int(n) for n, _ in counts)))
    elif name == "LogStartLine" and on_node:
        on_node("start", node.get("node_name", "?"))
    elif name and name.startswith("Log") and name.endswith("Result"):
        status = str(data.get("status", "?"))
        outcome.statuses[node.get("node_name") or data.get("name", "?")] = status
        if on_node:
            on_node(status, node.get("node_name", "?"))
    elif info.get("level") == "error" and info.get("msg"):
        errors.append(info["msg"].strip())
